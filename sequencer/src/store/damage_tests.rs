//! A damaged database at start: torn and bit-flipped files under the real RocksDB. Each must be
//! refused with an error, or its damaged records refused when read; never read as other data.

use super::tables::{Pool, Table};
use super::*;
use std::io::{Seek, SeekFrom, Write};

/// Pool entries written: enough for several table blocks.
const ENTRIES: u64 = 5000;

fn value(n: u64) -> [u8; 32] {
    let mut v = [0u8; 32];
    v[..8].copy_from_slice(&n.to_be_bytes());
    v[8..16].copy_from_slice(&n.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    v
}

/// A database holding `ENTRIES` pool entries, each in its own synced write; flushed to a table
/// file when `flush`, else held only in the write-ahead log.
fn written(flush: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = NodeDb::open(dir.path()).unwrap();
    for n in 0..ENTRIES {
        let mut write = db.write();
        write.put::<Pool>(&n, &value(n));
        write.commit().unwrap();
    }
    if flush {
        db.db.flush_cf(family(&db.db, Pool::NAME)).unwrap();
    }
    dir
}

/// The largest file in `dir` whose name ends with `suffix`.
fn largest(dir: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap_or_else(|| panic!("no {suffix} file"))
}

fn flip_byte(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at as usize] ^= 0x5a;
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write_all(&bytes).unwrap();
    file.sync_all().unwrap();
}

/// Opening `dir` fails, or reading the pool back fails; it never returns other entries.
fn refused_or_intact(dir: &Path) -> Result<(), String> {
    let db = match NodeDb::open(dir) {
        Ok(db) => db,
        Err(e) => return Err(format!("open: {}", crate::ErrorChain(&e))),
    };
    match db.entries::<Pool>(None, usize::MAX) {
        Err(e) => Err(format!("read: {}", crate::ErrorChain(&e))),
        Ok(entries) => {
            let expected: Vec<(u64, [u8; 32])> = (0..ENTRIES).map(|n| (n, value(n))).collect();
            let first_difference = entries.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                entries == expected,
                "damage read back as other data: {} of {ENTRIES} entries, first difference at {:?}",
                entries.len(),
                first_difference
            );
            Ok(())
        }
    }
}

#[test]
fn a_torn_table_file_is_refused_at_open() {
    let dir = written(true);
    let table = largest(dir.path(), ".sst");
    let len = table.metadata().unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&table)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let refusal = NodeDb::open(dir.path()).map(|_| ()).unwrap_err();
    let message = crate::ErrorChain(&refusal).to_string();
    assert!(message.contains("Corruption"), "{message}");
}

#[test]
fn a_flipped_byte_in_a_table_file_is_never_read_as_data() {
    let dir = written(true);
    let table = largest(dir.path(), ".sst");
    let len = table.metadata().unwrap().len();
    flip_byte(&table, len / 4);
    let refusal = refused_or_intact(dir.path()).unwrap_err();
    assert!(refusal.contains("Corruption"), "{refusal}");
}

#[test]
fn a_damaged_manifest_is_refused_at_open() {
    let dir = written(true);
    let manifest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("MANIFEST-"))
        })
        .expect("a MANIFEST file");
    let len = manifest.metadata().unwrap().len();
    flip_byte(&manifest, len / 2);
    let refusal = NodeDb::open(dir.path()).map(|_| ()).unwrap_err();
    let message = crate::ErrorChain(&refusal).to_string();
    assert!(message.contains("Corruption"), "{message}");
}

#[test]
fn a_damaged_log_record_before_the_last_is_refused_not_dropped_with_what_follows() {
    let dir = written(false);
    let log = largest(dir.path(), ".log");
    let len = log.metadata().unwrap().len();
    flip_byte(&log, len / 2);
    let refusal = refused_or_intact(dir.path()).unwrap_err();
    assert!(refusal.contains("Corruption"), "{refusal}");
}

#[test]
fn a_log_torn_in_its_last_record_opens_without_that_record_only() {
    // What a crash in the middle of a write leaves (that write was never acknowledged).
    let dir = written(false);
    let log = largest(dir.path(), ".log");
    let len = log.metadata().unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let db = NodeDb::open(dir.path()).unwrap();
    let entries = db.entries::<Pool>(None, usize::MAX).unwrap();
    let expected: Vec<(u64, [u8; 32])> = (0..ENTRIES - 1).map(|n| (n, value(n))).collect();
    assert!(entries == expected, "{} entries", entries.len());
}
