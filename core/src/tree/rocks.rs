//! RocksDB tree store: one column family per record kind, every commit one `WriteBatch`.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `tree_nodes` | level (1 byte) ‖ index (8 bytes BE) | node, 32 bytes BE |
//! | `accounts` | index (4 bytes BE) | [`Account::to_bytes`] |
//! | `account_keys` | packed key (32) ‖ token (4 BE) ‖ index (4 BE) | empty |
//! | `tree_meta` | `depth`, `highest_index` | 1 byte, 4 bytes BE |
//!
//! The sequencer shares the database: it opens it with [`TREE_COLUMN_FAMILIES`] plus its own, and
//! puts [`RocksStore::stage`]d tree changes into the same `WriteBatch` as its batch records so that
//! sealing a batch is one atomic write.

use super::store::{ChangeSet, NodeKey, StoreError, TreeStore};
use crate::account::{Account, AccountIndex, TokenId};
use crate::field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
use rocksdb::{ColumnFamily, Options, WriteBatch, DB};
use std::path::Path;
use std::sync::Arc;

const CF_NODES: &str = "tree_nodes";
const CF_ACCOUNTS: &str = "accounts";
const CF_ACCOUNT_KEYS: &str = "account_keys";
const CF_META: &str = "tree_meta";
const META_DEPTH: &[u8] = b"depth";
const META_HIGHEST: &[u8] = b"highest_index";

/// Column families the tree needs; a shared database must open all of them.
pub const TREE_COLUMN_FAMILIES: [&str; 4] = [CF_NODES, CF_ACCOUNTS, CF_ACCOUNT_KEYS, CF_META];

/// A [`TreeStore`] in RocksDB.
#[derive(Debug, Clone)]
pub struct RocksStore {
    db: Arc<DB>,
}

fn backend(e: rocksdb::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn node_key(key: NodeKey) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[0] = key.level;
    out[1..].copy_from_slice(&key.index.to_be_bytes());
    out
}

fn key_index_key(packed: &[u8; 32], token: TokenId, index: AccountIndex) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(packed);
    out[32..36].copy_from_slice(&token.0.to_be_bytes());
    out[36..].copy_from_slice(&index.0.to_be_bytes());
    out
}

impl RocksStore {
    /// Opens (creating if needed) a database at `path` holding only the tree.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let db = DB::open_cf(&opts, path, TREE_COLUMN_FAMILIES).map_err(backend)?;
        Ok(RocksStore { db: Arc::new(db) })
    }

    /// Uses a database opened by the caller with (at least) [`TREE_COLUMN_FAMILIES`].
    pub fn from_db(db: Arc<DB>) -> Result<Self, StoreError> {
        for name in TREE_COLUMN_FAMILIES {
            if db.cf_handle(name).is_none() {
                return Err(StoreError::MissingFamily(name));
            }
        }
        Ok(RocksStore { db })
    }

    /// The shared database handle.
    pub fn db(&self) -> &Arc<DB> {
        &self.db
    }

    fn cf(&self, name: &str) -> &ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("column families checked at open")
    }

    /// Adds a change set to a caller's write batch without writing it.
    pub fn stage(&self, changes: &ChangeSet, batch: &mut WriteBatch) {
        let (nodes, accounts, keys, meta) = (
            self.cf(CF_NODES),
            self.cf(CF_ACCOUNTS),
            self.cf(CF_ACCOUNT_KEYS),
            self.cf(CF_META),
        );
        for (key, value) in &changes.nodes {
            match value {
                Some(v) => batch.put_cf(nodes, node_key(*key), fr_to_be_bytes(v)),
                None => batch.delete_cf(nodes, node_key(*key)),
            }
        }
        for (index, account) in &changes.accounts {
            match account {
                Some(a) => batch.put_cf(accounts, index.0.to_be_bytes(), a.to_bytes()),
                None => batch.delete_cf(accounts, index.0.to_be_bytes()),
            }
        }
        for e in &changes.key_index_removed {
            batch.delete_cf(keys, key_index_key(&e.packed_key, e.token, e.index));
        }
        for e in &changes.key_index_added {
            batch.put_cf(keys, key_index_key(&e.packed_key, e.token, e.index), []);
        }
        if let Some(h) = changes.highest_index {
            batch.put_cf(meta, META_HIGHEST, h.0.to_be_bytes());
        }
    }
}

impl TreeStore for RocksStore {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StoreError> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_NODES), node_key(key))
            .map_err(backend)?
        {
            None => Ok(None),
            Some(bytes) => {
                let arr: &[u8; 32] = bytes
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt { what: "tree node" })?;
                Ok(Some(
                    fr_from_be_bytes(arr).map_err(|_| StoreError::Corrupt { what: "tree node" })?,
                ))
            }
        }
    }

    fn account(&self, index: AccountIndex) -> Result<Option<Account>, StoreError> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_ACCOUNTS), index.0.to_be_bytes())
            .map_err(backend)?
        {
            None => Ok(None),
            Some(bytes) => Ok(Some(
                Account::from_bytes(&bytes).map_err(|_| StoreError::Corrupt { what: "account" })?,
            )),
        }
    }

    fn accounts_by_key(
        &self,
        packed_key: &[u8; 32],
        token: TokenId,
    ) -> Result<Vec<AccountIndex>, StoreError> {
        let mut prefix = [0u8; 36];
        prefix[..32].copy_from_slice(packed_key);
        prefix[32..].copy_from_slice(&token.0.to_be_bytes());
        let mut out = Vec::new();
        for item in self.db.prefix_iterator_cf(self.cf(CF_ACCOUNT_KEYS), prefix) {
            let (key, _) = item.map_err(backend)?;
            if !key.starts_with(&prefix) {
                break;
            }
            let index: [u8; 4] = key[36..].try_into().map_err(|_| StoreError::Corrupt {
                what: "account key index",
            })?;
            out.push(AccountIndex(u32::from_be_bytes(index)));
        }
        Ok(out)
    }

    fn highest_index(&self) -> Result<AccountIndex, StoreError> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_META), META_HIGHEST)
            .map_err(backend)?
        {
            None => Ok(AccountIndex(0)),
            Some(b) => {
                let arr: [u8; 4] = b.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                    what: "highest index",
                })?;
                Ok(AccountIndex(u32::from_be_bytes(arr)))
            }
        }
    }

    fn depth(&self) -> Result<Option<u8>, StoreError> {
        match self
            .db
            .get_pinned_cf(self.cf(CF_META), META_DEPTH)
            .map_err(backend)?
        {
            None => Ok(None),
            Some(b) if b.len() == 1 => Ok(Some(b[0])),
            Some(_) => Err(StoreError::Corrupt { what: "tree depth" }),
        }
    }

    fn set_depth(&mut self, depth: u8) -> Result<(), StoreError> {
        self.db
            .put_cf(self.cf(CF_META), META_DEPTH, [depth])
            .map_err(backend)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.stage(changes, &mut batch);
        self.db.write(batch).map_err(backend)
    }
}
