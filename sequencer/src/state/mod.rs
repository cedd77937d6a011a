//! The sequencer's state machine: the account tree, the pool and the database, kept in step.
//!
//! - [`SequencerState::check_many`] runs the checks that need no lock (the sender exists, token,
//!   packing, signature: a key never changes once its account exists), signatures batched.
//! - [`SequencerState::admit`] puts checked transactions into the pool and makes them durable in
//!   one synced write before any is acknowledged.
//! - [`SequencerState::seal`] makes the next batch: due L1 priority operations first, in queue
//!   order, then the pool's best transactions; applies it through the core state transition and
//!   writes the tree changes, the batch, the transactions' fate and the priority cursor in one
//!   atomic write.
//! - [`SequencerState::open`] restores all of it after a restart, crash included: the tree and
//!   batches are as of the last write, and the pool is rebuilt from the durable pool entries.

mod adopt;
mod check;
mod seal;
#[cfg(test)]
mod tests;

pub use adopt::{AdoptError, Adopted, ForeignBatch};

use crate::mempool::{
    Added, DropReason, Dropped, Mempool, MempoolConfig, PoolError, SenderState, TxHash,
};
use crate::records::{BatchRecord, Genesis, TxRecord};
use crate::routing::RouteError;
use crate::store::tables::{Genesis as GenesisMeta, NextArrival, NextPriority, Pool, Txs};
use crate::store::{DbError, DbWrite, NodeDb};
use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use zksettle_core::stf::{BatchError, OpError};
use zksettle_core::tree::{AccountTree, RocksStore, StorageFailure};
use zksettle_core::{AccountIndex, SignedTx, StfConfig};

/// Why a transaction was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// It breaks a protocol rule (unknown account, token, signature, packing, ...).
    #[error(transparent)]
    Invalid(#[from] OpError),
    /// The pool refused it (nonce, balance, limits, replacement, duplicate).
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The database failed; the transaction was not accepted.
    #[error("the node could not store it")]
    Storage(#[source] StorageFailure),
    /// The node is stopping; the transaction was not accepted.
    #[error("the node is shutting down")]
    ShuttingDown,
}

/// Why the sequencer failed as a whole (not because of one transaction).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The database belongs to another deployment.
    #[error("database was created for {stored}, this node is configured for {configured}")]
    WrongDeployment {
        /// What the database holds.
        stored: String,
        /// What the node was given.
        configured: String,
    },
    /// The state transition refused the whole batch.
    #[error("batch {number}: {source}")]
    Batch {
        /// Batch number.
        number: u64,
        /// Why.
        source: BatchError,
    },
    /// A priority op could not be routed.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The tree failed.
    #[error("account tree")]
    Tree(#[from] zksettle_core::tree::TreeError),
    /// A batch settled by someone else could not be adopted.
    #[error(transparent)]
    Adopt(Box<AdoptError>),
}

/// What the sequencer needs to run.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// Deployment and shape.
    pub genesis: Genesis,
    /// The operator's fee accounts, at most one per token; fees in other tokens are refused.
    pub fee_recipients: Vec<AccountIndex>,
    /// Pool limits.
    pub mempool: MempoolConfig,
}

impl SequencerConfig {
    fn stf(&self) -> StfConfig {
        StfConfig {
            domain: self.genesis.domain,
            shape: self.genesis.shape,
        }
    }
}

/// The outcome of sealing a batch.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The stored batch.
    pub batch: BatchRecord,
    /// Transactions the batch refused, and pool transactions that became invalid.
    pub dropped: Vec<Dropped>,
}

/// See the module docs.
pub struct SequencerState {
    db: NodeDb,
    tree: AccountTree<RocksStore>,
    pool: Mempool,
    config: SequencerConfig,
    /// Pool transactions' keys in the `pool` column family.
    arrivals: HashMap<TxHash, u64>,
    next_arrival: u64,
    last_batch: u64,
    next_priority: u64,
}

impl std::fmt::Debug for SequencerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequencerState")
            .field("last_batch", &self.last_batch)
            .field("next_priority", &self.next_priority)
            .field("pool", &self.pool.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn storage(e: impl std::error::Error + Send + Sync + 'static) -> SubmitError {
    SubmitError::Storage(StorageFailure::new(e))
}

impl SequencerState {
    /// Opens the state in `db`, creating the genesis state (an empty tree) on first use.
    pub fn open(db: NodeDb, config: SequencerConfig) -> Result<Self, StateError> {
        let configured = serde_json::to_string(&config.genesis).expect("genesis serializes");
        match db.meta::<GenesisMeta>()? {
            Some(stored) if stored != configured => {
                return Err(StateError::WrongDeployment { stored, configured })
            }
            Some(_) => {}
            None => {
                let mut batch = db.write();
                batch.put_meta::<GenesisMeta>(&configured);
                batch.commit()?;
            }
        }
        let tree = AccountTree::open(db.tree_store()?, config.genesis.shape.depth)?;
        let mut state = SequencerState {
            pool: Mempool::new(config.mempool),
            last_batch: db.last_batch_number()?,
            next_priority: db.counter::<NextPriority>()?,
            db,
            tree,
            config,
            arrivals: HashMap::new(),
            next_arrival: 0,
        };
        state.restore_pool()?;
        Ok(state)
    }

    /// Re-admits the durable pool entries in arrival order; those that no longer fit the state
    /// are recorded as rejected and returned with why.
    fn restore_pool(&mut self) -> Result<Vec<(TxHash, DropReason)>, StateError> {
        let entries = self.db.entries::<Pool>(None, usize::MAX)?;
        // Arrival numbers are never reused: a transaction returned to the pool by
        // [`Self::adopt`] takes its first arrival number back as its key.
        self.next_arrival = entries
            .last()
            .map_or(0, |(a, _)| a + 1)
            .max(self.db.counter::<NextArrival>()?)
            .max(self.next_arrival);
        let now = Instant::now();
        let mut refused = Vec::new();
        let mut batch = self.db.write();
        for (arrival, hash) in entries {
            let Some(mut record) = self.db.get::<Txs>(&hash)? else {
                batch.delete::<Pool>(&arrival);
                continue;
            };
            let outcome = self
                .sender_state(record.tx.tx.from())
                .and_then(|st| Ok(self.pool.add(record.tx, st, now)?));
            match outcome {
                Ok(_) => {
                    self.arrivals.insert(hash, arrival);
                }
                Err(e) => {
                    let reason = DropReason::Refused {
                        rule: e.to_string(),
                    };
                    record.rejected = Some(reason.clone());
                    refused.push((hash, reason));
                    batch.put::<Txs>(&hash, &record);
                    batch.delete::<Pool>(&arrival);
                }
            }
        }
        batch.commit()?;
        Ok(refused)
    }

    /// The database.
    pub fn db(&self) -> &NodeDb {
        &self.db
    }

    /// The pool.
    pub fn pool(&self) -> &Mempool {
        &self.pool
    }

    /// The tree after the last sealed batch.
    pub fn tree(&self) -> &AccountTree<RocksStore> {
        &self.tree
    }

    /// The last sealed batch (0: none).
    pub fn last_batch(&self) -> u64 {
        self.last_batch
    }

    /// The next priority serial to include.
    pub fn next_priority(&self) -> u64 {
        self.next_priority
    }

    /// The configuration.
    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    fn sender_state(&self, index: AccountIndex) -> Result<SenderState, SubmitError> {
        let account = self
            .tree
            .account(index)
            .map_err(storage)?
            .ok_or(OpError::UnknownAccount(index))?;
        Ok(SenderState {
            nonce: account.nonce,
            balance: account.balance,
        })
    }

    /// The next nonce `index` should sign with, counting its pooled transactions.
    pub fn next_nonce(&self, index: AccountIndex) -> Result<u32, SubmitError> {
        let st = self.sender_state(index)?;
        Ok(self.pool.next_nonce(index, st))
    }

    /// The tokens the fee recipients hold (fees in other tokens are refused).
    pub fn fee_tokens(&self) -> Vec<zksettle_core::TokenId> {
        self.fee_recipients()
            .iter()
            .filter_map(|i| self.tree.account(*i).ok().flatten().map(|a| a.token))
            .collect()
    }

    fn fee_recipients(&self) -> Vec<AccountIndex> {
        // A configured recipient that does not exist yet (its deposit is still queued) is
        // skipped rather than failing every batch.
        self.config
            .fee_recipients
            .iter()
            .copied()
            .filter(|i| matches!(self.tree.account(*i), Ok(Some(_))))
            .collect()
    }

    /// Admits checked transactions: each goes into the pool or is refused, and the accepted
    /// ones are durable when this returns. One synced write for the whole group.
    pub fn admit(&mut self, txs: &[SignedTx]) -> Vec<Result<TxHash, SubmitError>> {
        let now = Instant::now();
        let mut batch = self.db.write();
        let mut staged = HashMap::new();
        let mut results = Vec::with_capacity(txs.len());
        for signed in txs {
            // A transaction already sealed into a batch is known, not stale: a wallet resending
            // it after a timeout gets the same answer whether or not the batch sealed meanwhile.
            match self.db.get::<Txs>(&signed.hash()) {
                Ok(Some(record)) if record.batch.is_some() => {
                    results.push(Err(PoolError::AlreadyKnown.into()));
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    results.push(Err(storage(e)));
                    continue;
                }
            }
            let outcome = self
                .sender_state(signed.tx.from())
                .and_then(|st| Ok(self.pool.add(*signed, st, now)?));
            let how = match outcome {
                Ok(how) => how,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            let hash = signed.hash();
            if let Added::Replaced(old) = how {
                if let Err(e) = self.retire(
                    &mut batch,
                    &mut staged,
                    &old,
                    DropReason::Replaced { by: hash },
                ) {
                    results.push(Err(storage(e)));
                    continue;
                }
            }
            let arrival = self.next_arrival;
            self.next_arrival += 1;
            self.arrivals.insert(hash, arrival);
            batch.put::<Pool>(&arrival, &hash);
            let record = TxRecord {
                tx: *signed,
                arrival,
                batch: None,
                rejected: None,
            };
            batch.put::<Txs>(&hash, &record);
            staged.insert(hash, record);
            results.push(Ok(hash));
        }
        if results.iter().any(Result::is_ok) {
            batch.put_meta::<NextArrival>(&self.next_arrival);
            if let Err(e) = batch.commit() {
                // Nothing was acknowledged. Rebuild the pool from what is on disk, so memory
                // and disk agree again (replacements and promotions included).
                let failure = StorageFailure::new(e);
                for r in &mut results {
                    if r.is_ok() {
                        *r = Err(SubmitError::Storage(failure.clone()));
                    }
                }
                self.pool = Mempool::new(self.config.mempool);
                self.arrivals.clear();
                if let Err(e) = self.restore_pool() {
                    tracing::error!(error = %crate::ErrorChain(&e), "rebuilding the pool after a failed write");
                }
            }
        }
        results
    }

    /// Stages a pooled transaction's removal with the reason it left. `staged` holds the records
    /// already put in `batch` (a transaction admitted and replaced in one group is not on disk
    /// yet).
    fn retire(
        &mut self,
        batch: &mut DbWrite,
        staged: &mut HashMap<TxHash, TxRecord>,
        hash: &TxHash,
        reason: DropReason,
    ) -> Result<(), StateError> {
        if let Some(arrival) = self.arrivals.remove(hash) {
            batch.delete::<Pool>(&arrival);
        }
        let record = match staged.remove(hash) {
            Some(r) => Some(r),
            None => self.db.get::<Txs>(hash)?,
        };
        if let Some(mut record) = record {
            record.rejected = Some(reason);
            batch.put::<Txs>(hash, &record);
            staged.insert(*hash, record);
        }
        Ok(())
    }

    /// Drops queued transactions past the pool's lifetime.
    pub fn evict_expired(&mut self) -> Result<Vec<Dropped>, StateError> {
        let dropped = self.pool.evict_expired(Instant::now());
        let mut write = self.db.write();
        let mut staged = HashMap::new();
        for d in &dropped {
            self.retire(&mut write, &mut staged, &d.hash, d.reason.clone())?;
        }
        write.commit()?;
        Ok(dropped)
    }
}
