//! Progress of long jobs (setup, proving), reported by phase for a caller to render.

/// A phase of a job and the fraction of the job done when it starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The phase starting: `synthesize`, `prove`, `verify` for a proof; `setup`, `hash`, `write`
    /// for keys; `load` when keys come from the cache; `done` at the end of every job.
    pub phase: &'static str,
    /// In `[0, 1]`.
    pub fraction: f64,
}

impl Progress {
    /// Phase `phase`, `fraction` of the job done.
    pub const fn new(phase: &'static str, fraction: f64) -> Self {
        Progress { phase, fraction }
    }
}

/// A callback that ignores progress.
pub fn ignore_progress(_: Progress) {}
