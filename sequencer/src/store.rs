//! The node's database: the account tree and the sequencer's records in one RocksDB, so that
//! sealing a batch (tree changes, the batch, its transactions' new status, the pool entries it
//! consumed, the priority cursor) is one atomic `WriteBatch`.
//!
//! | column family | key | value |
//! |---|---|---|
//! | tree families | see `zksettle_core::tree::RocksStore` | |
//! | `txs` | tx hash (32) | [`TxRecord`], binary (`records::tx_codec`) |
//! | `pool` | arrival (8 BE) | tx hash: accepted, not yet in a batch |
//! | `batches` | number (8 BE) | [`BatchRecord`], JSON |
//! | `proofs` | number (8 BE) | Groth16 proof, arkworks compressed |
//! | `priority_ops` | serial (8 BE) | [`StoredPriorityOp`], JSON: seen on L1, confirmed |
//! | `node_meta` | name | value (see the `META_*` names) |
//!
//! Accepted transactions are written with the WAL synced before they are acknowledged; the
//! caller groups many into one write.

use crate::records::{BatchRecord, StoredPriorityOp, TxRecord};
use rocksdb::{ColumnFamily, Options, WriteBatch, WriteOptions, DB};
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;
use std::sync::Arc;
use zksettle_core::tree::{RocksStore, StoreError, TREE_COLUMN_FAMILIES};

const CF_TXS: &str = "txs";
const CF_POOL: &str = "pool";
const CF_BATCHES: &str = "batches";
const CF_PROOFS: &str = "proofs";
const CF_PRIORITY: &str = "priority_ops";
const CF_META: &str = "node_meta";

/// The deployment the database belongs to (JSON of [`crate::records::Genesis`]).
pub const META_GENESIS: &[u8] = b"genesis";
/// Highest batch with a stored proof (u64 BE).
pub const META_PROVEN: &[u8] = b"proven";
/// Highest batch the contract verified (u64 BE).
pub const META_SETTLED: &[u8] = b"settled";
/// Next L1 block the watcher reads (u64 BE).
pub const META_L1_NEXT_BLOCK: &[u8] = b"l1_next_block";
/// Next priority serial a batch will include (u64 BE).
pub const META_NEXT_PRIORITY: &[u8] = b"next_priority";
/// The arrival number the next accepted transaction gets (u64 BE); arrivals are never reused.
pub const META_NEXT_ARRIVAL: &[u8] = b"next_arrival";
/// The settlement transaction in flight, if any (JSON of [`crate::records::InFlight`]).
pub const META_IN_FLIGHT: &[u8] = b"l1_in_flight";

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// RocksDB refused.
    #[error("database: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A record does not decode.
    #[error("corrupt {what} record: {reason}")]
    Corrupt {
        /// Which record.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The tree store failed.
    #[error(transparent)]
    Tree(#[from] StoreError),
}

/// The node database.
#[derive(Debug, Clone)]
pub struct NodeDb {
    db: Arc<DB>,
}

fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, DbError> {
    serde_json::from_slice(bytes).map_err(|e| DbError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize")
}

fn u64_of(what: &'static str, bytes: &[u8]) -> Result<u64, DbError> {
    let arr: [u8; 8] = bytes.try_into().map_err(|_| DbError::Corrupt {
        what,
        reason: format!("{} bytes, expected 8", bytes.len()),
    })?;
    Ok(u64::from_be_bytes(arr))
}

impl NodeDb {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let families = TREE_COLUMN_FAMILIES.iter().copied().chain([
            CF_TXS,
            CF_POOL,
            CF_BATCHES,
            CF_PROOFS,
            CF_PRIORITY,
            CF_META,
        ]);
        let db = DB::open_cf(&opts, path, families)?;
        Ok(NodeDb { db: Arc::new(db) })
    }

    /// A tree store over the same database.
    pub fn tree_store(&self) -> Result<RocksStore, DbError> {
        Ok(RocksStore::from_db(self.db.clone())?)
    }

    fn cf(&self, name: &str) -> &ColumnFamily {
        self.db.cf_handle(name).expect("opened with every family")
    }

    /// Writes `batch` with the WAL synced: durable once this returns.
    pub fn write_durable(&self, batch: WriteBatch) -> Result<(), DbError> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.write_opt(batch, &opts)?)
    }

    /// A meta value.
    pub fn meta(&self, name: &[u8]) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self.db.get_cf(self.cf(CF_META), name)?)
    }

    /// A meta counter (0 when unset).
    pub fn meta_u64(&self, name: &'static [u8]) -> Result<u64, DbError> {
        match self.meta(name)? {
            None => Ok(0),
            Some(bytes) => u64_of("meta counter", &bytes),
        }
    }

    /// Stages a meta value.
    pub fn put_meta(&self, batch: &mut WriteBatch, name: &[u8], value: &[u8]) {
        batch.put_cf(self.cf(CF_META), name, value);
    }

    /// Stages a meta counter.
    pub fn put_meta_u64(&self, batch: &mut WriteBatch, name: &[u8], value: u64) {
        self.put_meta(batch, name, &be(value));
    }

    /// Stages removal of a meta value.
    pub fn delete_meta(&self, batch: &mut WriteBatch, name: &[u8]) {
        batch.delete_cf(self.cf(CF_META), name);
    }

    /// A transaction's record.
    pub fn tx(&self, hash: &[u8; 32]) -> Result<Option<TxRecord>, DbError> {
        self.db
            .get_pinned_cf(self.cf(CF_TXS), hash)?
            .map(|b| {
                crate::records::tx_codec::decode(&b).map_err(|e| DbError::Corrupt {
                    what: "transaction",
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// Stages a transaction's record.
    pub fn put_tx(&self, batch: &mut WriteBatch, hash: &[u8; 32], record: &TxRecord) {
        batch.put_cf(
            self.cf(CF_TXS),
            hash,
            crate::records::tx_codec::encode(record),
        );
    }

    /// Stages a pool entry (an accepted transaction not yet in a batch).
    pub fn put_pool_entry(&self, batch: &mut WriteBatch, arrival: u64, hash: &[u8; 32]) {
        batch.put_cf(self.cf(CF_POOL), be(arrival), hash);
    }

    /// Stages removal of a pool entry.
    pub fn delete_pool_entry(&self, batch: &mut WriteBatch, arrival: u64) {
        batch.delete_cf(self.cf(CF_POOL), be(arrival));
    }

    /// The pool entries, in arrival order: (arrival, tx hash).
    pub fn pool_entries(&self) -> Result<Vec<(u64, [u8; 32])>, DbError> {
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(self.cf(CF_POOL), rocksdb::IteratorMode::Start)
        {
            let (key, value) = item?;
            let hash: [u8; 32] = value.as_ref().try_into().map_err(|_| DbError::Corrupt {
                what: "pool entry",
                reason: "hash is not 32 bytes".into(),
            })?;
            out.push((u64_of("pool entry", &key)?, hash));
        }
        Ok(out)
    }

    /// A batch.
    pub fn batch(&self, number: u64) -> Result<Option<BatchRecord>, DbError> {
        self.db
            .get_pinned_cf(self.cf(CF_BATCHES), be(number))?
            .map(|b| decode("batch", &b))
            .transpose()
    }

    /// The highest batch number stored (0: none).
    pub fn last_batch_number(&self) -> Result<u64, DbError> {
        let mut iter = self
            .db
            .iterator_cf(self.cf(CF_BATCHES), rocksdb::IteratorMode::End);
        match iter.next() {
            None => Ok(0),
            Some(item) => u64_of("batch key", &item?.0),
        }
    }

    /// Stages a batch.
    pub fn put_batch(&self, batch: &mut WriteBatch, record: &BatchRecord) {
        batch.put_cf(self.cf(CF_BATCHES), be(record.number), encode(record));
    }

    /// Stages a batch's removal (a batch discarded for one settled by someone else).
    pub fn delete_batch(&self, batch: &mut WriteBatch, number: u64) {
        batch.delete_cf(self.cf(CF_BATCHES), be(number));
    }

    /// Stages a proof's removal.
    pub fn delete_proof(&self, batch: &mut WriteBatch, number: u64) {
        batch.delete_cf(self.cf(CF_PROOFS), be(number));
    }

    /// A batch's proof bytes.
    pub fn proof(&self, number: u64) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self.db.get_cf(self.cf(CF_PROOFS), be(number))?)
    }

    /// Stages a batch's proof.
    pub fn put_proof(&self, batch: &mut WriteBatch, number: u64, proof: &[u8]) {
        batch.put_cf(self.cf(CF_PROOFS), be(number), proof);
    }

    /// A priority operation seen on L1.
    pub fn priority_op(&self, serial: u64) -> Result<Option<StoredPriorityOp>, DbError> {
        self.db
            .get_pinned_cf(self.cf(CF_PRIORITY), be(serial))?
            .map(|b| decode("priority op", &b))
            .transpose()
    }

    /// Priority operations from `serial` on, in order, at most `limit`.
    pub fn priority_ops_from(
        &self,
        serial: u64,
        limit: usize,
    ) -> Result<Vec<StoredPriorityOp>, DbError> {
        let start = be(serial);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(
            self.cf(CF_PRIORITY),
            rocksdb::IteratorMode::From(&start, rocksdb::Direction::Forward),
        ) {
            if out.len() >= limit {
                break;
            }
            let (_, value) = item?;
            out.push(decode("priority op", &value)?);
        }
        Ok(out)
    }

    /// The next serial after the highest stored priority op (0: none).
    pub fn priority_end(&self) -> Result<u64, DbError> {
        let mut iter = self
            .db
            .iterator_cf(self.cf(CF_PRIORITY), rocksdb::IteratorMode::End);
        match iter.next() {
            None => Ok(0),
            Some(item) => Ok(u64_of("priority key", &item?.0)? + 1),
        }
    }

    /// Stages a priority op.
    pub fn put_priority_op(&self, batch: &mut WriteBatch, op: &StoredPriorityOp) {
        batch.put_cf(self.cf(CF_PRIORITY), be(op.op.serial()), encode(op));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_pool_entries_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = NodeDb::open(dir.path()).unwrap();
            let mut batch = WriteBatch::default();
            db.put_meta_u64(&mut batch, META_PROVEN, 7);
            db.put_pool_entry(&mut batch, 2, &[2; 32]);
            db.put_pool_entry(&mut batch, 1, &[1; 32]);
            db.write_durable(batch).unwrap();
        }
        let db = NodeDb::open(dir.path()).unwrap();
        assert_eq!(db.meta_u64(META_PROVEN).unwrap(), 7);
        assert_eq!(db.meta_u64(META_SETTLED).unwrap(), 0);
        assert_eq!(db.pool_entries().unwrap(), [(1, [1; 32]), (2, [2; 32])]);
        let mut batch = WriteBatch::default();
        db.delete_pool_entry(&mut batch, 1);
        db.write_durable(batch).unwrap();
        assert_eq!(db.pool_entries().unwrap(), [(2, [2; 32])]);
    }

    #[test]
    fn a_corrupt_record_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = NodeDb::open(dir.path()).unwrap();
        let mut batch = WriteBatch::default();
        batch.put_cf(db.cf(CF_TXS), [9; 32], b"not json");
        db.put_meta(&mut batch, META_SETTLED, b"short");
        db.write_durable(batch).unwrap();
        assert!(matches!(
            db.tx(&[9; 32]),
            Err(DbError::Corrupt {
                what: "transaction",
                ..
            })
        ));
        assert!(matches!(
            db.meta_u64(META_SETTLED),
            Err(DbError::Corrupt { .. })
        ));
    }
}
