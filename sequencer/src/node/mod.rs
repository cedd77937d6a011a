//! The running node: the state machine behind a lock, and the tasks around it.
//!
//! ```text
//!  JSON-RPC ──► admission (groups, checks signatures in parallel, one synced write per group)
//!                   │
//!                   ▼
//!              SequencerState ◄── L1 watcher (confirmed deposits and forced exits)
//!                   │ seal (capacity reached, or max wait)
//!                   ▼
//!              prover workers (blocking threads, in parallel; or, with `[prover] queue`, worker
//!                   │          processes on a PostgreSQL job queue; Groth16 or halo2, the
//!                   │          deployment's system) ──► proofs, as its verifier takes them, in
//!                   │          the database
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
//!
//! [`NodeBuilder`] starts it all (the JSON-RPC server included); the [`NodeHandle`] owns the
//! server, a cancellation token and the supervised task set: a task that panics or stops stops
//! the node with its name and error ([`NodeHandle::failed`]), and [`NodeHandle::shutdown`]
//! cancels every task and waits for it, so no failure goes unseen.

pub mod config;
mod l1_link;
mod l1_tasks;
mod pipeline;
mod proving;
mod queue;
mod resources;

pub use config::NodeConfig;
pub use l1_link::L1LinkView;
pub use proving::NodeProver;
pub use resources::ResourcesView;

use crate::mempool::{DropReason, TxHash};
use crate::records::Genesis;
use crate::state::{SequencerConfig, SequencerState, StateError, SubmitError};
use crate::store::NodeDb;
use jsonrpsee::server::ServerHandle;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, mpsc, oneshot, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use zksettle_core::tree::RocksStore;
use zksettle_core::{AccountIndex, SignedTx};
use zksettle_l1::{Chain, RollupClient};

/// Events the node's broadcast holds for its slowest subscriber; one further behind is dropped
/// (see `rpc::subscriptions`). The node never waits for a subscriber.
pub const EVENT_CAPACITY: usize = 4096;

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
    Dropped(TxHash, DropReason),
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
    /// Whether the base chain answers, as the L1 tasks last found it.
    l1: l1_link::L1Link,
    /// The machine's resources the node holds, last sampled.
    resources: resources::Resources,
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
    /// The JSON-RPC server could not start (address in use, say).
    #[error("JSON-RPC server on {addr}")]
    Rpc {
        /// The configured address.
        addr: SocketAddr,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A task panicked; the node stops rather than run without it.
    #[error("the {task} task panicked: {message}")]
    TaskPanicked {
        /// Which task.
        task: &'static str,
        /// The panic's message.
        message: String,
    },
    /// The PostgreSQL prover queue was configured for a halo2 deployment: its workers
    /// (`zksettle prover worker`) prove with Groth16 only.
    #[error("the prover queue ([prover] queue) serves Groth16 deployments only; this one settles with halo2: prove in the node")]
    QueueNeedsGroth16,
    /// A task ended although nothing asked it to (each runs until the node stops).
    #[error("the {task} task stopped unexpectedly")]
    TaskEnded {
        /// Which task.
        task: &'static str,
    },
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

    /// The base chain as the node's L1 tasks last found it.
    pub fn l1_link(&self) -> L1LinkView {
        self.l1.view()
    }

    /// The machine's resources the node holds, as last sampled.
    pub fn resources(&self) -> ResourcesView {
        self.resources.view()
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

/// A started node: its context, the JSON-RPC server, and its supervised tasks.
#[derive(Debug)]
pub struct NodeHandle<C> {
    /// The shared context (for the RPC server and tests).
    pub context: Arc<NodeContext<C>>,
    server: ServerHandle,
    rpc_addr: SocketAddr,
    cancel: CancellationToken,
    tasks: JoinSet<Result<(), NodeError>>,
}

impl<C> NodeHandle<C> {
    /// The address the JSON-RPC server listens on (the configured one, its port resolved).
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    /// Waits until a task fails and returns why; never returns while every task runs. The
    /// node's other tasks keep running: call [`NodeHandle::shutdown`] next.
    pub async fn failed(&mut self) -> NodeError {
        loop {
            match self.tasks.join_next().await {
                Some(Ok(Ok(()))) => continue,
                Some(Ok(Err(e))) => return e,
                Some(Err(join)) => {
                    // The supervisor itself never panics; only a runtime shutting down cancels it.
                    return NodeError::TaskEnded {
                        task: if join.is_cancelled() {
                            "supervisor (cancelled)"
                        } else {
                            "supervisor"
                        },
                    };
                }
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// Stops the JSON-RPC server and every task, and waits for them: work already handed to a
    /// blocking thread (a proof, a synced write) finishes first. The first task failure seen
    /// on the way, if any, is returned.
    pub async fn shutdown(mut self) -> Result<(), NodeError> {
        let _ = self.server.stop();
        self.cancel.cancel();
        let mut first = None;
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok(Err(e)) = joined {
                first.get_or_insert(e);
            }
        }
        self.server.stopped().await;
        first.map_or(Ok(()), Err)
    }
}

/// Runs `task` under the node's supervision: it stops when `cancel` fires; if it panics or
/// ends on its own, the supervisor reports it by name.
fn supervise<F>(
    tasks: &mut JoinSet<Result<(), NodeError>>,
    cancel: &CancellationToken,
    name: &'static str,
    task: F,
) where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let cancel = cancel.clone();
    tasks.spawn(async move {
        let mut running = tokio::spawn(task);
        tokio::select! {
            () = cancel.cancelled() => {
                running.abort();
                match running.await {
                    Err(e) if e.is_panic() => Err(panicked(name, e)),
                    _ => Ok(()),
                }
            }
            joined = &mut running => match joined {
                Err(e) if e.is_panic() => Err(panicked(name, e)),
                _ => {
                    tracing::error!(task = name, "a node task stopped unexpectedly");
                    Err(NodeError::TaskEnded { task: name })
                }
            },
        }
    });
}

fn panicked(task: &'static str, e: tokio::task::JoinError) -> NodeError {
    let payload = e.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".into());
    tracing::error!(task, %message, "a node task panicked");
    NodeError::TaskPanicked { task, message }
}

/// Builds and starts a node: the state from its database, the tasks around it, and the
/// JSON-RPC server, on the current tokio runtime.
#[derive(Debug)]
pub struct NodeBuilder<C> {
    config: NodeConfig,
    sequencer: SequencerConfig,
    db: NodeDb,
    rollup: RollupClient<C>,
    prover: Option<NodeProver>,
}

impl<C: Chain + Clone + 'static> NodeBuilder<C> {
    /// A node of this deployment over this database, settling through `rollup`; it proves
    /// nothing until given a prover.
    pub fn new(
        config: NodeConfig,
        sequencer: SequencerConfig,
        db: NodeDb,
        rollup: RollupClient<C>,
    ) -> Self {
        NodeBuilder {
            config,
            sequencer,
            db,
            rollup,
            prover: None,
        }
    }

    /// Proves sealed batches with `prover` (or, with `None`, leaves them for a restart with a
    /// prover: `zksettle bench load` runs a node so, to measure admission without proving
    /// competing for the cores).
    pub fn prover(mut self, prover: Option<NodeProver>) -> Self {
        self.prover = prover;
        self
    }

    /// Opens the state, starts the tasks and the JSON-RPC server.
    pub async fn launch(self) -> Result<NodeHandle<C>, NodeError> {
        self.db
            .keep_free(self.config.storage.min_free_mib.saturating_mul(1 << 20));
        let state = SequencerState::open(self.db.clone(), self.sequencer.clone())?;
        let store = self.db.tree_store().map_err(StateError::from)?;
        let (admission, admissions) = mpsc::channel(65_536);
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let context = Arc::new(NodeContext {
            state: Mutex::new(state),
            store,
            db: self.db,
            config: self.config,
            sequencer: self.sequencer,
            rollup: self.rollup,
            events,
            admission,
            sealed: Notify::new(),
            proven: Notify::new(),
            sealing: AtomicBool::new(true),
            l1: l1_link::L1Link::default(),
            resources: resources::Resources::default(),
        });
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let ctx = &context;
        supervise(
            &mut tasks,
            &cancel,
            "admission",
            pipeline::admit(ctx.clone(), admissions),
        );
        supervise(
            &mut tasks,
            &cancel,
            "batcher",
            pipeline::batcher(ctx.clone()),
        );
        supervise(
            &mut tasks,
            &cancel,
            "L1 sender",
            l1_tasks::l1_sender(ctx.clone()),
        );
        supervise(
            &mut tasks,
            &cancel,
            "L1 watcher",
            l1_tasks::l1_watcher(ctx.clone()),
        );
        let sampled = ctx.clone();
        supervise(&mut tasks, &cancel, "resources", async move {
            let database = sampled.db.path().to_owned();
            loop {
                let ctx = sampled.clone();
                let database = database.clone();
                let _ = tokio::task::spawn_blocking(move || ctx.resources.sample(&database)).await;
                tokio::time::sleep(resources::SAMPLE_EVERY).await;
            }
        });
        match (self.prover, context.config.prover.queue.clone()) {
            (Some(NodeProver::Halo2(_)), Some(_)) => {
                cancel.cancel();
                while tasks.join_next().await.is_some() {}
                return Err(NodeError::QueueNeedsGroth16);
            }
            (Some(NodeProver::Groth16(prover)), Some(url)) => supervise(
                &mut tasks,
                &cancel,
                "prover queue",
                queue::dispatcher(ctx.clone(), prover, url),
            ),
            (Some(prover), None) => supervise(
                &mut tasks,
                &cancel,
                "prover",
                pipeline::prover(ctx.clone(), prover),
            ),
            (None, _) => {}
        }
        let addr = context.config.rpc.addr;
        let (server, rpc_addr) = match crate::rpc::serve(context.clone()).await {
            Ok(started) => started,
            Err(source) => {
                cancel.cancel();
                while tasks.join_next().await.is_some() {}
                return Err(NodeError::Rpc { addr, source });
            }
        };
        Ok(NodeHandle {
            context,
            server,
            rpc_addr,
            cancel,
            tasks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_reported_by_name_with_its_message() {
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        supervise(&mut tasks, &cancel, "batcher", async {
            panic!("the tree is gone")
        });
        supervise(&mut tasks, &cancel, "L1 watcher", std::future::pending());
        let first = tasks
            .join_next()
            .await
            .expect("a task")
            .expect("supervised");
        assert!(matches!(
            first,
            Err(NodeError::TaskPanicked { task: "batcher", ref message }) if message == "the tree is gone"
        ));
        // The others keep running until cancelled, and then stop cleanly.
        cancel.cancel();
        assert!(matches!(tasks.join_next().await, Some(Ok(Ok(())))));
        assert!(tasks.join_next().await.is_none());
    }

    #[tokio::test]
    async fn a_task_that_returns_on_its_own_is_a_failure() {
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        supervise(&mut tasks, &cancel, "prover", async {});
        assert!(matches!(
            tasks.join_next().await,
            Some(Ok(Err(NodeError::TaskEnded { task: "prover" })))
        ));
    }
}
