//! The node's database: the account tree and the sequencer's records in one RocksDB, so that
//! sealing a batch (tree changes, the batch, its transactions' new status, the pool entries it
//! consumed, the priority cursor) is one atomic write.
//!
//! Callers see typed [`tables`] and one write type, [`DbWrite`]: stage puts and deletes of any
//! table, the tree's changes and meta values, then [`DbWrite::commit`] them together with the
//! WAL synced. RocksDB's `WriteBatch` and column-family handles stay inside this module.
//!
//! A write that would leave the data directory's filesystem with less than the configured free
//! space ([`NodeDb::keep_free`], `[storage] min_free_mib`) is refused before RocksDB sees it
//! ([`DbError::DiskFull`]): once RocksDB itself fails to append to its WAL for want of space it
//! stops taking writes until it is reopened, while a refused write costs nothing and the next
//! one succeeds as soon as space returns.
//! Accepted transactions are acknowledged only after their write commits; the caller groups
//! many into one write.

pub mod tables;

#[cfg(test)]
mod damage_tests;

use rocksdb::{Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tables::{Codec, CodecError, EntryOf, KeyOf, MetaEntry, Table, ValueOf, META_FAMILY};
use zksettle_core::tree::{ChangeSet, RocksStore, StoreError, TREE_COLUMN_FAMILIES};

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// RocksDB refused.
    #[error("database")]
    Rocks(#[from] rocksdb::Error),
    /// A stored key or value does not decode.
    #[error("corrupt {what} record")]
    Corrupt {
        /// Which record ([`Table::RECORD`], or "meta value").
        what: &'static str,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// The tree store failed.
    #[error("account tree store")]
    Tree(#[from] StoreError),
    /// The write would leave less free space than the database keeps; nothing was written.
    #[error(
        "the data directory's filesystem has {free_bytes} bytes free, under the {min_free_bytes} \
         kept free ([storage] min_free_mib): nothing written; the node carries on once there is \
         space"
    )]
    DiskFull {
        /// Free space (for unprivileged users) now.
        free_bytes: u64,
        /// The free space the database keeps.
        min_free_bytes: u64,
    },
    /// The filesystem's free space could not be read.
    #[error("reading the free space of {path}")]
    FreeSpace {
        /// The data directory.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// The node database.
#[derive(Debug, Clone)]
pub struct NodeDb {
    db: Arc<DB>,
    space: Arc<FreeSpace>,
}

/// The free space writes keep on the database's filesystem.
#[derive(Debug)]
struct FreeSpace {
    path: PathBuf,
    min_free_bytes: AtomicU64,
}

impl FreeSpace {
    /// Refuses a write that would start with less than the kept free space.
    fn check(&self) -> Result<(), DbError> {
        let min_free_bytes = self.min_free_bytes.load(Ordering::Relaxed);
        if min_free_bytes == 0 {
            return Ok(());
        }
        let stat = rustix::fs::statvfs(&self.path).map_err(|e| DbError::FreeSpace {
            path: self.path.clone(),
            source: e.into(),
        })?;
        let free_bytes = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free_bytes < min_free_bytes {
            metrics::counter!("zksettle_db_writes_refused_disk_full_total").increment(1);
            return Err(DbError::DiskFull {
                free_bytes,
                min_free_bytes,
            });
        }
        Ok(())
    }
}

/// Staged changes to the database, written atomically by [`DbWrite::commit`]. Dropping it
/// without committing writes nothing.
#[must_use = "nothing is written until commit"]
pub struct DbWrite {
    db: Arc<DB>,
    space: Arc<FreeSpace>,
    batch: WriteBatch,
}

impl std::fmt::Debug for DbWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbWrite")
            .field("staged", &self.batch.len())
            .finish()
    }
}

fn decoded<C: Codec>(what: &'static str, bytes: &[u8]) -> Result<C::Item, DbError> {
    C::decode(bytes).map_err(|source| DbError::Corrupt { what, source })
}

fn family<'a>(db: &'a DB, name: &str) -> &'a rocksdb::ColumnFamily {
    // Every family in `NODE_COLUMN_FAMILIES` is created by `NodeDb::open`.
    db.cf_handle(name).expect("opened with every family")
}

impl NodeDb {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        // Every write is synced before it is acknowledged, so only the last record of the log
        // can be incomplete (a crash during a write no one was told of). Damage anywhere else is
        // refused at open; RocksDB's default would replay up to it and silently drop every
        // acknowledged write after it.
        opts.set_wal_recovery_mode(rocksdb::DBRecoveryMode::TolerateCorruptedTailRecords);
        let families = TREE_COLUMN_FAMILIES
            .iter()
            .copied()
            .chain(tables::NODE_COLUMN_FAMILIES);
        let db = DB::open_cf(&opts, path.as_ref(), families)?;
        Ok(NodeDb::over(db, path.as_ref()))
    }

    fn over(db: DB, path: &Path) -> Self {
        NodeDb {
            db: Arc::new(db),
            space: Arc::new(FreeSpace {
                path: path.to_owned(),
                min_free_bytes: AtomicU64::new(0),
            }),
        }
    }

    /// The database's directory.
    pub fn path(&self) -> &Path {
        &self.space.path
    }

    /// Refuses every later write (of this handle and its clones) that would start with less
    /// than `bytes` free on the database's filesystem; 0 checks nothing (the default).
    pub fn keep_free(&self, bytes: u64) {
        self.space.min_free_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Opens the existing database at `path` to read only, beside a node that may be running on
    /// it: what it holds when opened (RocksDB's read-only mode takes no lock and sees no later
    /// write). Writing through it fails.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let families = TREE_COLUMN_FAMILIES
            .iter()
            .copied()
            .chain(tables::NODE_COLUMN_FAMILIES);
        let db = DB::open_cf_for_read_only(&Options::default(), path.as_ref(), families, false)?;
        Ok(NodeDb::over(db, path.as_ref()))
    }

    /// A tree store over the same database.
    pub fn tree_store(&self) -> Result<RocksStore, DbError> {
        Ok(RocksStore::from_db(self.db.clone())?)
    }

    /// A new, empty write.
    pub fn write(&self) -> DbWrite {
        DbWrite {
            db: self.db.clone(),
            space: self.space.clone(),
            batch: WriteBatch::default(),
        }
    }

    /// The value at `key` in table `T`.
    pub fn get<T: Table>(&self, key: &KeyOf<T>) -> Result<Option<ValueOf<T>>, DbError> {
        let family = family(&self.db, T::NAME);
        self.db
            .get_pinned_cf(family, T::Key::encode(key))?
            .map(|bytes| decoded::<T::Value>(T::RECORD, &bytes))
            .transpose()
    }

    /// Whether table `T` holds `key`.
    pub fn contains<T: Table>(&self, key: &KeyOf<T>) -> Result<bool, DbError> {
        let family = family(&self.db, T::NAME);
        Ok(self
            .db
            .get_pinned_cf(family, T::Key::encode(key))?
            .is_some())
    }

    /// Table `T`'s entries in key order, from `from` on (all when `None`), at most `limit`.
    pub fn entries<T: Table>(
        &self,
        from: Option<&KeyOf<T>>,
        limit: usize,
    ) -> Result<Vec<EntryOf<T>>, DbError> {
        let start = from.map(T::Key::encode);
        let mode = match &start {
            Some(key) => IteratorMode::From(key, Direction::Forward),
            None => IteratorMode::Start,
        };
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(family(&self.db, T::NAME), mode)
            .take(limit)
        {
            let (key, value) = item?;
            out.push((
                decoded::<T::Key>(T::RECORD, &key)?,
                decoded::<T::Value>(T::RECORD, &value)?,
            ));
        }
        Ok(out)
    }

    /// Table `T`'s highest key, if any.
    pub fn last_key<T: Table>(&self) -> Result<Option<KeyOf<T>>, DbError> {
        let mut iter = self
            .db
            .iterator_cf(family(&self.db, T::NAME), IteratorMode::End);
        iter.next()
            .map(|item| decoded::<T::Key>(T::RECORD, &item?.0))
            .transpose()
    }

    /// The highest batch number stored (0: none).
    pub fn last_batch_number(&self) -> Result<u64, DbError> {
        Ok(self.last_key::<tables::Batches>()?.unwrap_or(0))
    }

    /// The serial after the highest stored priority operation (0: none).
    pub fn priority_end(&self) -> Result<u64, DbError> {
        Ok(self
            .last_key::<tables::PriorityOps>()?
            .map_or(0, |serial| serial + 1))
    }

    /// A meta value.
    pub fn meta<M: MetaEntry>(&self) -> Result<Option<<M::Value as Codec>::Item>, DbError> {
        self.db
            .get_pinned_cf(family(&self.db, META_FAMILY), M::KEY)?
            .map(|bytes| decoded::<M::Value>("meta value", &bytes))
            .transpose()
    }

    /// A meta counter, 0 when unset.
    pub fn counter<M: MetaEntry<Value = tables::BigEndianU64>>(&self) -> Result<u64, DbError> {
        Ok(self.meta::<M>()?.unwrap_or(0))
    }
}

impl DbWrite {
    /// Stages `value` at `key` in table `T`.
    pub fn put<T: Table>(&mut self, key: &KeyOf<T>, value: &ValueOf<T>) {
        let family = family(&self.db, T::NAME);
        self.batch
            .put_cf(family, T::Key::encode(key), T::Value::encode(value));
    }

    /// Stages the removal of `key` from table `T`.
    pub fn delete<T: Table>(&mut self, key: &KeyOf<T>) {
        let family = family(&self.db, T::NAME);
        self.batch.delete_cf(family, T::Key::encode(key));
    }

    /// Stages a meta value.
    pub fn put_meta<M: MetaEntry>(&mut self, value: &<M::Value as Codec>::Item) {
        let family = family(&self.db, META_FAMILY);
        self.batch.put_cf(family, M::KEY, M::Value::encode(value));
    }

    /// Stages the account tree's uncommitted changes, so that they land with the records.
    pub fn put_tree_changes(&mut self, store: &RocksStore, changes: &ChangeSet) {
        store.stage(changes, &mut self.batch);
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Writes everything staged, atomically, with the WAL synced: durable once this returns.
    pub fn commit(self) -> Result<(), DbError> {
        self.space.check()?;
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.write_opt(self.batch, &opts)?)
    }
}

#[cfg(test)]
mod tests {
    use super::tables::{Pool, Proven, Settled, Txs};
    use super::*;

    #[test]
    fn counters_and_pool_entries_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = NodeDb::open(dir.path()).unwrap();
            let mut write = db.write();
            write.put_meta::<Proven>(&7);
            write.put::<Pool>(&2, &[2; 32]);
            write.put::<Pool>(&1, &[1; 32]);
            write.commit().unwrap();
        }
        let db = NodeDb::open(dir.path()).unwrap();
        assert_eq!(db.counter::<Proven>().unwrap(), 7);
        assert_eq!(db.counter::<Settled>().unwrap(), 0);
        assert_eq!(
            db.entries::<Pool>(None, usize::MAX).unwrap(),
            [(1, [1; 32]), (2, [2; 32])]
        );
        assert_eq!(db.last_key::<Pool>().unwrap(), Some(2));
        let mut write = db.write();
        write.delete::<Pool>(&1);
        write.commit().unwrap();
        assert_eq!(
            db.entries::<Pool>(None, usize::MAX).unwrap(),
            [(2, [2; 32])]
        );
    }

    #[test]
    fn a_write_dropped_without_commit_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = NodeDb::open(dir.path()).unwrap();
        let mut write = db.write();
        write.put_meta::<Proven>(&3);
        drop(write);
        assert_eq!(db.meta::<Proven>().unwrap(), None);
    }

    #[test]
    fn a_corrupt_record_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = NodeDb::open(dir.path()).unwrap();
        let mut write = db.write();
        write
            .batch
            .put_cf(family(&db.db, Txs::NAME), [9; 32], b"not json");
        write
            .batch
            .put_cf(family(&db.db, META_FAMILY), Settled::KEY, b"short");
        write.commit().unwrap();
        assert!(matches!(
            db.get::<Txs>(&[9; 32]),
            Err(DbError::Corrupt {
                what: "transaction",
                ..
            })
        ));
        assert!(matches!(
            db.counter::<Settled>(),
            Err(DbError::Corrupt {
                source: CodecError::Length {
                    expected: 8,
                    found: 5
                },
                ..
            })
        ));
    }
}
