//! What the node holds of the machine, sampled every few seconds for `/health` and metrics:
//! resident memory, open file descriptors and the database's size on disk. A slow leak shows
//! as a climbing line long before it stops the node (Linux `/proc`; `None` elsewhere).

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;

/// How often the node samples its resources.
pub(crate) const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The last sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcesView {
    /// Resident memory (`VmRSS`), bytes.
    pub resident_bytes: Option<u64>,
    /// Peak resident memory (`VmHWM`), bytes.
    pub peak_resident_bytes: Option<u64>,
    /// Open file descriptors (sockets included).
    pub open_files: Option<u64>,
    /// The database directory's files, bytes.
    pub database_bytes: Option<u64>,
}

/// The latest sample, shared.
#[derive(Debug, Default)]
pub(crate) struct Resources {
    last: Mutex<ResourcesView>,
}

impl Resources {
    /// Samples now, records the metrics and keeps the sample.
    pub(crate) fn sample(&self, database: &Path) {
        let status = std::fs::read_to_string("/proc/self/status").ok();
        let field = |name: &str| status.as_deref().and_then(|s| status_kib(s, name));
        let view = ResourcesView {
            resident_bytes: field("VmRSS:"),
            peak_resident_bytes: field("VmHWM:"),
            open_files: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|entries| entries.count() as u64),
            database_bytes: directory_bytes(database),
        };
        let gauges = [
            ("zksettle_process_resident_bytes", view.resident_bytes),
            (
                "zksettle_process_peak_resident_bytes",
                view.peak_resident_bytes,
            ),
            ("zksettle_process_open_files", view.open_files),
            ("zksettle_database_bytes", view.database_bytes),
        ];
        for (name, value) in gauges {
            if let Some(value) = value {
                metrics::gauge!(name).set(value as f64);
            }
        }
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = view;
    }

    /// The last sample.
    pub(crate) fn view(&self) -> ResourcesView {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A `/proc/self/status` field given in kB, in bytes.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The sizes of the files directly in `dir` (RocksDB keeps its files flat).
fn directory_bytes(dir: &Path) -> Option<u64> {
    let entries = std::fs::read_dir(dir).ok()?;
    Some(
        entries
            .filter_map(|e| e.ok()?.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let status = "Name:\tzksettle\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(100 << 20));
        assert_eq!(status_kib(status, "VmHWM:"), Some(200 << 20));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn a_sample_of_this_process_sees_its_memory_files_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 1000]).unwrap();
        let resources = Resources::default();
        resources.sample(dir.path());
        let view = resources.view();
        assert_eq!(view.database_bytes, Some(1000));
        assert!(view.resident_bytes.is_some_and(|b| b > 0));
        assert!(view.open_files.is_some_and(|n| n >= 3));
    }
}
