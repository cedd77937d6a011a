//! Storage behind the account tree: the [`TreeStore`] trait, the change set it commits
//! atomically, and the in-memory store.

use crate::account::{Account, AccountIndex, TokenId};
use crate::field::Fr;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A node position: `level` 0 is the leaves, `level == depth / 2` is the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeKey {
    /// Height above the leaves.
    pub level: u8,
    /// Position within the level.
    pub index: u64,
}

/// An entry of the (public key, token) → account lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyIndexEntry {
    /// circomlib-packed public key.
    pub packed_key: [u8; 32],
    /// Token of the account.
    pub token: TokenId,
    /// Where the account lives.
    pub index: AccountIndex,
}

/// Everything one commit changes; a store applies it all or nothing.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// Node values; `None` deletes a node (it is back to the empty-subtree value).
    pub nodes: Vec<(NodeKey, Option<Fr>)>,
    /// Account records; `None` deletes one.
    pub accounts: Vec<(AccountIndex, Option<Account>)>,
    /// Lookup entries to add.
    pub key_index_added: Vec<KeyIndexEntry>,
    /// Lookup entries to remove.
    pub key_index_removed: Vec<KeyIndexEntry>,
    /// New "highest index ever used", when it grew.
    pub highest_index: Option<AccountIndex>,
}

impl ChangeSet {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.accounts.is_empty()
            && self.key_index_added.is_empty()
            && self.key_index_removed.is_empty()
            && self.highest_index.is_none()
    }
}

/// A storage failure, shared: cheap to clone and comparable by identity, so that every
/// operation or transaction one failed read or write touched can carry the same error (with
/// its source) in the `Clone + Eq` error types of the state transition and the pool.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage failed")]
pub struct StorageFailure(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>);

impl StorageFailure {
    /// Wraps `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageFailure(Arc::new(error))
    }
}

impl PartialEq for StorageFailure {
    /// The same failure, not an equal message: two failures are never interchangeable.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StorageFailure {}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("storage backend")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The database lacks a column family the store needs (opened by a caller without
    /// [`super::TREE_COLUMN_FAMILIES`]).
    #[error("missing column family {0}")]
    MissingFamily(&'static str),
    /// Stored bytes do not decode: the database is corrupt or from another version.
    #[error("corrupt record in {what}")]
    Corrupt {
        /// Which record kind.
        what: &'static str,
    },
    /// The store was created for another tree depth.
    #[error("store holds a tree of depth {stored}, opened with depth {requested}")]
    DepthMismatch {
        /// Depth recorded in the store.
        stored: u8,
        /// Depth asked for.
        requested: u8,
    },
}

/// Where the account tree keeps its nodes and accounts.
///
/// Only nodes that differ from the empty-subtree value of their level are stored, so an empty
/// tree of any depth costs nothing. Implementations must make [`TreeStore::commit`] atomic.
pub trait TreeStore {
    /// A stored node, or `None` if the node is the empty-subtree value.
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StoreError>;
    /// A stored account, or `None` if the leaf is empty.
    fn account(&self, index: AccountIndex) -> Result<Option<Account>, StoreError>;
    /// Accounts owned by `packed_key` holding `token`, in index order.
    fn accounts_by_key(
        &self,
        packed_key: &[u8; 32],
        token: TokenId,
    ) -> Result<Vec<AccountIndex>, StoreError>;
    /// The highest index that ever held an account (0 if none did).
    fn highest_index(&self) -> Result<AccountIndex, StoreError>;
    /// The depth recorded for this store, if any.
    fn depth(&self) -> Result<Option<u8>, StoreError>;
    /// Records the depth of a new store.
    fn set_depth(&mut self, depth: u8) -> Result<(), StoreError>;
    /// Applies a change set atomically.
    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError>;
}

/// A store in memory, for tests, tools and replays that need no durability.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    nodes: BTreeMap<NodeKey, Fr>,
    accounts: BTreeMap<AccountIndex, Account>,
    key_index: BTreeSet<KeyIndexEntry>,
    highest_index: AccountIndex,
    depth: Option<u8>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored (non-empty) nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

impl TreeStore for MemoryStore {
    fn node(&self, key: NodeKey) -> Result<Option<Fr>, StoreError> {
        Ok(self.nodes.get(&key).copied())
    }

    fn account(&self, index: AccountIndex) -> Result<Option<Account>, StoreError> {
        Ok(self.accounts.get(&index).copied())
    }

    fn accounts_by_key(
        &self,
        packed_key: &[u8; 32],
        token: TokenId,
    ) -> Result<Vec<AccountIndex>, StoreError> {
        let from = KeyIndexEntry {
            packed_key: *packed_key,
            token,
            index: AccountIndex(0),
        };
        Ok(self
            .key_index
            .range(from..)
            .take_while(|e| e.packed_key == *packed_key && e.token == token)
            .map(|e| e.index)
            .collect())
    }

    fn highest_index(&self) -> Result<AccountIndex, StoreError> {
        Ok(self.highest_index)
    }

    fn depth(&self) -> Result<Option<u8>, StoreError> {
        Ok(self.depth)
    }

    fn set_depth(&mut self, depth: u8) -> Result<(), StoreError> {
        self.depth = Some(depth);
        Ok(())
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        for (key, value) in &changes.nodes {
            match value {
                Some(v) => self.nodes.insert(*key, *v),
                None => self.nodes.remove(key),
            };
        }
        for (index, account) in &changes.accounts {
            match account {
                Some(a) => self.accounts.insert(*index, *a),
                None => self.accounts.remove(index),
            };
        }
        for e in &changes.key_index_removed {
            self.key_index.remove(e);
        }
        self.key_index
            .extend(changes.key_index_added.iter().copied());
        if let Some(h) = changes.highest_index {
            self.highest_index = h;
        }
        Ok(())
    }
}
