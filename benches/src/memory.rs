//! The process's peak resident memory, as Linux keeps it: `VmHWM` in `/proc/self/status`, reset
//! by writing `5` to `/proc/self/clear_refs` (Linux 4.0 and later). Elsewhere both do nothing
//! and the peak is unknown.

/// Peak resident memory since the last [`reset_peak_rss`] (or the start), MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts a new peak at the current resident memory.
pub fn reset_peak_rss() {
    // Unsupported kernels refuse the write; the peak then runs from the start.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
