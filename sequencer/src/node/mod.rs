//! The running node: the state machine behind a lock, and the tasks around it.
//!
//! ```text
//!  JSON-RPC ──► admission (groups, checks signatures in parallel, one synced write per group)
//!                   │
//!                   ▼
//!              SequencerState ◄── L1 watcher (confirmed deposits and forced exits)
//!                   │ seal (capacity reached, or max wait)
//!                   ▼
//!              prover workers (blocking threads, in parallel) ──► proofs in the database
//!                   │
//!                   ▼
//!              L1 sender (in batch order; follows the contract: claims a verified batch only
//!                         if it is this node's statement, adopts anyone else's, resends what a
//!                         reorganization removed; see `state::adopt`)
//! ```
//!
//! Every stage reads its work from the database, so each resumes where it stopped after a
//! restart: unsealed transactions are back in the pool, sealed batches without a proof are
//! proven again, proven batches the contract has not verified are sent again (after checking
//! the contract's batch number, so nothing is sent twice).

pub mod config;
mod pipeline;

pub use config::NodeConfig;

use crate::mempool::TxHash;
use crate::records::Genesis;
use crate::state::{SequencerConfig, SequencerState, StateError, SubmitError};
use crate::store::NodeDb;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use zksettle_core::tree::RocksStore;
use zksettle_core::{AccountIndex, SignedTx};
use zksettle_l1::{Chain, RollupClient};
use zksettle_prover::BatchProver;

/// Something that happened, for subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A batch was sealed.
    Sealed(u64),
    /// A batch was proven.
    Proven(u64),
    /// A batch was verified on L1 in this transaction.
    Settled(u64, String),
    /// A transaction left the pool without being included.
    Dropped(TxHash, String),
    /// This node's sealed batch was discarded: L1 verified someone else's under its number
    /// (its transactions went back to the pool or into that batch).
    Discarded(u64),
    /// A batch seen verified is no longer on L1 (a reorganization); it is sent again.
    Unsettled(u64),
}

/// What the node's tasks share.
pub struct NodeContext<C> {
    state: Mutex<SequencerState>,
    /// A read view of the committed tree, for lock-free checks.
    store: RocksStore,
    db: NodeDb,
    config: NodeConfig,
    sequencer: SequencerConfig,
    rollup: RollupClient<C>,
    events: broadcast::Sender<NodeEvent>,
    admission: mpsc::Sender<Admission>,
    sealed: Notify,
    proven: Notify,
    /// Whether the batcher seals (see [`NodeContext::set_sealing`]).
    sealing: AtomicBool,
}

impl<C> std::fmt::Debug for NodeContext<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeContext").finish_non_exhaustive()
    }
}

/// One transaction waiting for admission, and where its answer goes.
pub(crate) struct Admission {
    tx: SignedTx,
    reply: oneshot::Sender<Result<TxHash, SubmitError>>,
}

/// Why the node stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The base chain failed.
    #[error("L1: {0}")]
    L1(String),
    /// The prover failed.
    #[error("prover: {0}")]
    Prover(String),
    /// The node is shutting down.
    #[error("the node is shutting down")]
    ShuttingDown,
}

impl<C: Chain + Clone + 'static> NodeContext<C> {
    /// Locks the state.
    pub fn state(&self) -> MutexGuard<'_, SequencerState> {
        // A panic while holding the lock is a bug; the state on disk is still consistent, so
        // keep serving from what the lock holds rather than poisoning every later request.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The database.
    pub fn db(&self) -> &NodeDb {
        &self.db
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The deployment.
    pub fn genesis(&self) -> &Genesis {
        &self.sequencer.genesis
    }

    /// The rollup contract.
    pub fn rollup(&self) -> &RollupClient<C> {
        &self.rollup
    }

    /// Stops or resumes sealing (as op-node's `admin_stopSequencer` does). While stopped the
    /// node keeps accepting transactions and following L1; nothing already sealed is affected.
    pub fn set_sealing(&self, enabled: bool) {
        self.sealing.store(enabled, Ordering::SeqCst);
    }

    /// Whether the batcher seals.
    pub fn is_sealing(&self) -> bool {
        self.sealing.load(Ordering::SeqCst)
    }

    /// A receiver of node events.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Submits a signed transaction; answers once it is durable in the pool, or refused.
    pub async fn submit(&self, tx: SignedTx) -> Result<TxHash, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.admission
            .send(Admission { tx, reply })
            .await
            .map_err(|_| SubmitError::ShuttingDown)?;
        answer.await.map_err(|_| SubmitError::ShuttingDown)?
    }

    /// Submits many signed transactions at once; answer `i` is for `txs[i]`, each given once
    /// that transaction is durable in the pool, or refused. They enter admission back to back,
    /// so they share admission groups (one batched signature check, one synced write).
    pub async fn submit_many(&self, txs: Vec<SignedTx>) -> Vec<Result<TxHash, SubmitError>> {
        let mut answers = Vec::with_capacity(txs.len());
        for tx in txs {
            let (reply, answer) = oneshot::channel();
            match self.admission.send(Admission { tx, reply }).await {
                Ok(()) => answers.push(Some(answer)),
                Err(_) => answers.push(None),
            }
        }
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            results.push(match answer {
                Some(answer) => answer.await.unwrap_or(Err(SubmitError::ShuttingDown)),
                None => Err(SubmitError::ShuttingDown),
            });
        }
        results
    }

    /// The account at `index` in the state after the last sealed batch.
    pub fn account(
        &self,
        index: AccountIndex,
    ) -> Result<Option<zksettle_core::Account>, zksettle_core::tree::StoreError> {
        use zksettle_core::tree::TreeStore;
        self.store.account(index)
    }
}

/// A started node.
#[derive(Debug)]
pub struct NodeHandle<C> {
    /// The shared context (for the RPC server and tests).
    pub context: Arc<NodeContext<C>>,
    tasks: Vec<JoinHandle<()>>,
}

impl<C> NodeHandle<C> {
    /// Stops every task.
    pub fn shutdown(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Starts the node's tasks on the current tokio runtime.
///
/// With `prover` `None` the node proves nothing: sealed batches wait for a proof (a restart
/// with a prover proves them). `zksettle bench load` runs a node so, to measure admission
/// without proving competing for the cores.
pub fn launch<C: Chain + Clone + 'static>(
    config: NodeConfig,
    sequencer: SequencerConfig,
    db: NodeDb,
    rollup: RollupClient<C>,
    prover: Option<Arc<BatchProver>>,
) -> Result<NodeHandle<C>, NodeError> {
    let state = SequencerState::open(db.clone(), sequencer.clone())?;
    let store = db.tree_store().map_err(StateError::from)?;
    let (admission, admissions) = mpsc::channel(65_536);
    let (events, _) = broadcast::channel(4096);
    let context = Arc::new(NodeContext {
        state: Mutex::new(state),
        store,
        db,
        config,
        sequencer,
        rollup,
        events,
        admission,
        sealed: Notify::new(),
        proven: Notify::new(),
        sealing: AtomicBool::new(true),
    });
    let mut tasks = vec![
        tokio::spawn(pipeline::admit(context.clone(), admissions)),
        tokio::spawn(pipeline::batcher(context.clone())),
        tokio::spawn(pipeline::l1_sender(context.clone())),
        tokio::spawn(pipeline::l1_watcher(context.clone())),
    ];
    if let Some(prover) = prover {
        tasks.push(tokio::spawn(pipeline::prover(context.clone(), prover)));
    }
    Ok(NodeHandle { context, tasks })
}
