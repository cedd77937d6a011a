//! Whether the base chain answers, as the node's L1 tasks last found it (for `/health` and the
//! `zksettle_l1_*` metrics), and the back-off those tasks wait between failed attempts.
//!
//! An outage of the L1 endpoint stops only settlement and the intake of new priority
//! operations: admission, sealing and proving go on from the database. Each L1 task retries
//! after `1 s, 2 s, 4 s, … ≤ 32 s` ([`Backoff`]), so a node that lost its endpoint for an hour
//! sends it about two requests a minute per task, and resumes within 32 s of its return.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first wait after a failure.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(32);

/// Exponential back-off: each failure doubles the wait, from [`FIRST_WAIT`] up to
/// [`LONGEST_WAIT`]; a success starts again from the first.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_WAIT }
    }
}

impl Backoff {
    /// The wait before the next attempt after a failure.
    pub(crate) fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(LONGEST_WAIT);
        wait
    }

    /// An attempt succeeded.
    pub(crate) fn succeeded(&mut self) {
        self.next = FIRST_WAIT;
    }
}

/// The base chain's reachability, shared by the L1 tasks and read by `zks_health`.
#[derive(Debug, Default)]
pub(crate) struct L1Link {
    state: Mutex<LinkState>,
}

#[derive(Debug, Default, Clone)]
struct LinkState {
    /// Failed attempts in a row.
    failures: u64,
    /// When the current run of failures began.
    down_since: Option<SystemTime>,
    /// The last failure, with its sources.
    last_error: Option<String>,
    /// The last head block read.
    head: Option<u64>,
    /// Why the node stopped reading L1, if it did.
    halted: Option<String>,
}

impl L1Link {
    /// The node stopped reading L1 for good (until restarted after an operator's fix).
    pub(crate) fn halted(&self, why: String) {
        self.lock().halted = Some(why);
    }

    /// An L1 request answered; `head` is the block number it read, if it read one.
    pub(crate) fn answered(&self, head: Option<u64>) {
        let mut state = self.lock();
        if state.failures > 0 {
            tracing::info!(
                failures = state.failures,
                "the base chain answers again; settling resumes"
            );
        }
        state.failures = 0;
        state.down_since = None;
        if let Some(head) = head {
            state.head = Some(head);
            metrics::gauge!("zksettle_l1_head_block").set(head as f64);
        }
        metrics::gauge!("zksettle_l1_up").set(1.0);
    }

    /// An L1 request could not be sent or answered; `error` is the failure with its sources.
    pub(crate) fn unreachable(&self, error: String) {
        let mut state = self.lock();
        state.failures += 1;
        state.down_since.get_or_insert_with(SystemTime::now);
        state.last_error = Some(error);
        metrics::gauge!("zksettle_l1_up").set(0.0);
        metrics::counter!("zksettle_l1_unreachable_total").increment(1);
    }

    /// What `/health` shows.
    pub(crate) fn view(&self) -> L1LinkView {
        let state = self.lock().clone();
        let seconds = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        L1LinkView {
            reachable: state.failures == 0,
            failures: state.failures,
            unreachable_since: state.down_since.map(seconds),
            last_error: state.last_error,
            head: state.head,
            halted: state.halted,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        // Plain data: a panic elsewhere while holding it leaves nothing half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The base chain as the node last found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1LinkView {
    /// Whether the last L1 request was answered.
    pub reachable: bool,
    /// Failed L1 requests in a row.
    pub failures: u64,
    /// Unix seconds since the node cannot reach L1, while it cannot.
    pub unreachable_since: Option<u64>,
    /// The last failure, with its sources (kept after L1 answers again).
    pub last_error: Option<String>,
    /// The last head block read.
    pub head: Option<u64>,
    /// Why the node stopped reading priority operations from L1 (a reorganization deeper than
    /// the confirmation depth), if it did: it needs an operator.
    pub halted: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling_and_starts_again_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| backoff.failed().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 32, 32]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), FIRST_WAIT);
    }

    #[test]
    fn the_link_reports_an_outage_until_l1_answers_and_keeps_the_last_error() {
        let link = L1Link::default();
        link.answered(Some(7));
        assert!(link.view().reachable);
        link.unreachable("connection refused".into());
        link.unreachable("connection refused again".into());
        let down = link.view();
        assert!(!down.reachable);
        assert_eq!(down.failures, 2);
        assert!(down.unreachable_since.is_some());
        assert_eq!(down.head, Some(7));
        link.answered(Some(9));
        let up = link.view();
        assert_eq!(
            (up.reachable, up.failures, up.unreachable_since, up.head),
            (true, 0, None, Some(9))
        );
        assert_eq!(up.last_error.as_deref(), Some("connection refused again"));
    }
}
