//! Where a report binary's figures go: printed as they come, and written at the end to
//! `benches/results/<report>.md` with what a reader needs to trust and repeat them (the
//! machine, the commit, the command, the time), so that the README quotes the current table
//! and the history lives in git instead of in the README's prose.

use std::fmt::Write as _;
use std::path::PathBuf;

/// A report's lines, printed as they are added and kept for [`Results::write`].
#[derive(Debug)]
pub struct Results {
    name: &'static str,
    lines: Vec<String>,
}

impl Results {
    /// A report named `name` (the file's stem).
    pub fn new(name: &'static str) -> Self {
        Results {
            name,
            lines: Vec::new(),
        }
    }

    /// Prints `line` and keeps it.
    pub fn line(&mut self, line: impl Into<String>) {
        let line = line.into();
        println!("{line}");
        self.lines.push(line);
    }

    /// Writes `benches/results/<name>.md` (in this checkout) and says where.
    pub fn write(&self) -> std::io::Result<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.md", self.name));
        std::fs::write(&path, self.render())?;
        println!("written to {}", path.display());
        Ok(path)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", self.name);
        let _ = writeln!(out, "- command: `{}`", command());
        let _ = writeln!(out, "- commit: {}", commit());
        let _ = writeln!(out, "- machine: {}", machine());
        let _ = writeln!(out, "- finished: {}\n", utc(unix_now()));
        out.push_str("```text\n");
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("```\n");
        out
    }
}

fn command() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let profile = if cfg!(debug_assertions) {
        ""
    } else {
        "--release "
    };
    format!(
        "cargo run {profile}-p zksettle-benches --bin {binary} -- {}",
        args.join(" ")
    )
    .trim_end()
    .to_owned()
}

/// The checkout's commit, with `+dirty` when files differ from it; "unknown" without git.
fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}+dirty")
            } else {
                commit
            }
        }
        None => "unknown".into(),
    }
}

/// The CPU model, its threads, memory, and which of the prover's fast paths it has.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".into(), |m| m.trim().to_owned());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or("?".into(), |kib| format!("{:.0}", kib / (1 << 20) as f64));
    format!(
        "{model}, {threads} threads, {memory_gib} GiB, {} ({})",
        zksettle_prover::msm::Arithmetic::fastest_here(),
        std::env::consts::ARCH
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `secs` since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (the proleptic Gregorian calendar,
/// by days-from-civil inverted).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn unix_seconds_read_as_a_utc_date() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_000_000), "2026-11-30 00:53 UTC");
    }
}
