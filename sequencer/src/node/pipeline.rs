//! The node's tasks: admission, batcher and prover dispatcher (the L1 sender and watcher are in
//! [`super::l1_tasks`]), and the error they share. Each loops until aborted, logs and retries on
//! failure, and takes its work from the database.

use super::proving::{NodeProver, Provers};
use super::{Admission, NodeContext, NodeEvent};
use crate::error_chain::ErrorChain;
use crate::state::{SequencerState, StateError, SubmitError};
use crate::store::tables::{Batches, Proofs, Proven};
use crate::store::DbError;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use zksettle_l1::{Chain, ChainError, L1Error};
use zksettle_prover::{BatchProver, ProverError, ProverPool};

/// Most transactions admitted in one group (one synced write).
const ADMISSION_GROUP: usize = 4096;
/// How often the batcher looks at the pool.
const BATCHER_TICK: Duration = Duration::from_millis(50);
/// Back-off after a failure.
pub(super) const RETRY: Duration = Duration::from_secs(2);

/// Why a step of a node task failed; the task logs it (with its sources) and tries again.
#[derive(Debug, thiserror::Error)]
pub(super) enum PipelineError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The state machine failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The rollup contract's client failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The base chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The prover failed.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// The prover panicked on a batch (a bug; the batch is tried again).
    #[error("the prover panicked on batch {0}")]
    ProverPanicked(u64),
    /// A blocking step was cancelled or panicked.
    #[error("a blocking step did not finish")]
    Blocking(#[from] tokio::task::JoinError),
    /// A batch the node needs is not in its database.
    #[error("batch {0} is not stored")]
    MissingBatch(u64),
    /// Batch `0` was settled by someone else; the node has nothing to prove for it.
    #[error("batch {0} was settled by someone else; nothing to prove")]
    Foreign(u64),
    /// The contract is past a batch whose `BatchVerified` event is nowhere in its history.
    #[error("the contract is past batch {0} but its BatchVerified event was not found")]
    MissingEvent(u64),
    /// A `submitBatch` transaction's calldata does not match its `BatchVerified` event.
    #[error("batch {number}: the submitBatch calldata in {l1_tx} disagrees with its event")]
    CalldataMismatch {
        /// The batch.
        number: u64,
        /// The L1 transaction.
        l1_tx: alloy::primitives::B256,
    },
    /// An event's commitment is not a field element (the contract never emits one).
    #[error("batch {0}: commitment above the field modulus")]
    CommitmentNotReduced(u64),
    /// L1 reorganized away a batch this node adopted from someone else: it cannot be sent again.
    #[error(
        "L1 reorganized away batch {0}, which someone else settled and this node adopted; \
         raise l1.confirmations and resync the node from L1"
    )]
    AdoptedBatchReorganized(u64),
    /// A block the watcher read priority operations from is no longer on L1.
    #[error(
        "L1 block {block}, read for priority operations, is no longer on the chain (hash {stored} \
         then, {found:?} now): a reorganization deeper than l1.confirmations; the node reads no \
         more priority operations (raise l1.confirmations and resync the node from L1)"
    )]
    ReorganizedBelowDepth {
        /// The block.
        block: u64,
        /// Its hash when read.
        stored: alloy::primitives::B256,
        /// Its hash now (`None`: above the head now).
        found: Option<alloy::primitives::B256>,
    },
    /// A block's hash changed while the watcher read it (a reorganization under way).
    #[error("L1 block {0} changed while it was read; reading it again")]
    ChangedWhileRead(u64),
    /// The L1 events skip a priority serial.
    #[error("priority serial {found} follows {expected}: a gap in the L1 events")]
    PriorityGap {
        /// The next serial the node expected.
        expected: u64,
        /// The serial found.
        found: u64,
    },
}

impl PipelineError {
    /// Whether the base chain could not be reached (rather than answering with a refusal).
    pub(super) fn l1_unreachable(&self) -> bool {
        matches!(
            self,
            PipelineError::Chain(ChainError::Transport(_))
                | PipelineError::L1(L1Error::Chain(ChainError::Transport(_)))
        )
    }
}

/// Where a submitter's answer goes.
type Reply = tokio::sync::oneshot::Sender<Result<crate::mempool::TxHash, SubmitError>>;

/// A group after its lock-free checks: valid transactions, and each submitter's reply slot with
/// its refusal if the checks refused it.
struct CheckedGroup {
    valid: Vec<zksettle_core::SignedTx>,
    replies: Vec<(Reply, Option<SubmitError>)>,
}

/// Admission in two stages, so the next group's checks (CPU: hashing, signatures) run while the
/// current group is admitted and synced to disk (I/O), groups kept in arrival order.
pub(super) async fn admit<C: Chain + Clone + 'static>(
    ctx: Arc<NodeContext<C>>,
    mut admissions: mpsc::Receiver<Admission>,
) {
    let (checked, mut to_write) = mpsc::channel::<CheckedGroup>(1);
    let writer_ctx = ctx.clone();
    let writer = tokio::spawn(async move {
        while let Some(group) = to_write.recv().await {
            let ctx = writer_ctx.clone();
            let started = Instant::now();
            let size = group.replies.len();
            if let Err(e) = tokio::task::spawn_blocking(move || write_group(&ctx, group)).await {
                tracing::error!(error = %ErrorChain(&e), "admission group failed");
            }
            tracing::debug!(
                size,
                seconds = started.elapsed().as_secs_f64(),
                "admission group written"
            );
        }
    });
    let mut group = Vec::with_capacity(ADMISSION_GROUP);
    while admissions.recv_many(&mut group, ADMISSION_GROUP).await > 0 {
        let items = std::mem::take(&mut group);
        let worker = ctx.clone();
        let started = Instant::now();
        let size = items.len();
        match tokio::task::spawn_blocking(move || check_group(&worker, items)).await {
            Ok(group) => {
                tracing::debug!(
                    size,
                    seconds = started.elapsed().as_secs_f64(),
                    "admission group checked"
                );
                if checked.send(group).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "checking an admission group failed")
            }
        }
    }
    drop(checked);
    let _ = writer.await;
}

fn check_group<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    items: Vec<Admission>,
) -> CheckedGroup {
    let fee_tokens = ctx.state().fee_tokens();
    let txs: Vec<&zksettle_core::SignedTx> = items.iter().map(|a| &a.tx).collect();
    let checks = SequencerState::check_many(&ctx.store, &ctx.sequencer, &fee_tokens, &txs);
    let mut group = CheckedGroup {
        valid: Vec::with_capacity(items.len()),
        replies: Vec::with_capacity(items.len()),
    };
    for (item, check) in items.into_iter().zip(checks) {
        match check {
            Ok(_) => {
                group.valid.push(item.tx);
                group.replies.push((item.reply, None));
            }
            Err(e) => group.replies.push((item.reply, Some(e))),
        }
    }
    group
}

fn write_group<C: Chain + Clone + 'static>(ctx: &NodeContext<C>, group: CheckedGroup) {
    let mut admitted = ctx.state().admit(&group.valid).into_iter();
    for (reply, refused) in group.replies {
        let outcome = match refused {
            Some(e) => Err(e),
            None => admitted.next().expect("one result per valid transaction"),
        };
        match &outcome {
            Ok(_) => metrics::counter!("zksettle_transactions_accepted_total").increment(1),
            Err(e) => metrics::counter!(
                "zksettle_transactions_rejected_total",
                "reason" => crate::rpc::error_reason(e)
            )
            .increment(1),
        }
        // The submitter may have gone; the transaction stays accepted.
        let _ = reply.send(outcome);
    }
    record_pool_gauges(&ctx.state());
}

/// Runs `f` on the locked state on a blocking thread (the lock may be held for a while by a
/// seal or an admission write), then sets the pool gauges from what it left.
async fn with_state<C: Chain + Clone + 'static, T: Send + 'static>(
    ctx: &Arc<NodeContext<C>>,
    f: impl FnOnce(&mut SequencerState) -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let worker = ctx.clone();
    tokio::task::spawn_blocking(move || {
        let mut state = worker.state();
        let out = f(&mut state);
        record_pool_gauges(&state);
        out
    })
    .await
}

/// Tells subscribers which transactions left the pool, and why.
fn announce_dropped<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    dropped: Vec<crate::mempool::Dropped>,
) {
    for d in dropped {
        let _ = ctx
            .events
            .send(NodeEvent::Dropped(d.hash, d.reason.clone()));
    }
}

/// Sets the pool gauges from the pool as it is now: after every admission group, seal,
/// eviction and adoption, so that they follow the state they report.
pub(super) fn record_pool_gauges(state: &SequencerState) {
    metrics::gauge!("zksettle_mempool_pending").set(state.pool().pending_len() as f64);
    metrics::gauge!("zksettle_mempool_queued").set(state.pool().queued_len() as f64);
}

pub(super) async fn batcher<C: Chain + Clone + 'static>(ctx: Arc<NodeContext<C>>) {
    let max_wait = Duration::from_millis(ctx.config.batch.max_wait_ms);
    let capacity = ctx.sequencer.genesis.shape.chunks;
    let mut last_seal = Instant::now();
    let mut last_eviction = Instant::now();
    loop {
        tokio::time::sleep(BATCHER_TICK).await;
        let waited = last_seal.elapsed() >= max_wait;
        let worker = ctx.clone();
        // The state lock may be held for a while by a seal or an admission write: take it on a
        // blocking thread, never on the runtime's.
        let due = tokio::task::spawn_blocking(move || {
            let state = worker.state();
            let full = state.pool().pending_len() >= capacity;
            match state.has_work() {
                Ok(work) => work && (full || waited),
                Err(e) => {
                    tracing::error!(error = %ErrorChain(&e), "reading the priority queue");
                    false
                }
            }
        })
        .await
        .unwrap_or(false);
        if last_eviction.elapsed() >= Duration::from_secs(60) {
            last_eviction = Instant::now();
            let evicted = with_state(&ctx, |state| state.evict_expired()).await;
            if let Ok(Ok(dropped)) = evicted {
                announce_dropped(&ctx, dropped);
            }
        }
        if !due || !ctx.is_sealing() {
            continue;
        }
        let started = Instant::now();
        let sealed = with_state(&ctx, |state| state.seal()).await;
        match sealed {
            Ok(Ok(Some(sealed))) => {
                last_seal = Instant::now();
                let n = sealed.batch.number;
                tracing::info!(
                    batch = n,
                    transactions = sealed.batch.tx_hashes.len(),
                    priority_ops = sealed.batch.priority.1 - sealed.batch.priority.0,
                    root = %zksettle_core::field::fr_to_decimal(&sealed.batch.new_root()),
                    "sealed"
                );
                metrics::counter!("zksettle_batches_sealed_total").increment(1);
                metrics::histogram!("zksettle_seal_seconds")
                    .record(started.elapsed().as_secs_f64());
                announce_dropped(&ctx, sealed.dropped);
                let _ = ctx.events.send(NodeEvent::Sealed(n));
                ctx.sealed.notify_one();
            }
            Ok(Ok(None)) => last_seal = Instant::now(),
            Ok(Err(e)) => {
                tracing::error!(error = %ErrorChain(&e), "sealing failed; retrying");
                tokio::time::sleep(RETRY).await;
            }
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "sealing task failed; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// The lowest sealed batch above `from` with no proof that is not being proven.
fn next_unproven<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    from: u64,
    busy: &BTreeSet<u64>,
) -> Option<u64> {
    let last = ctx.state().last_batch();
    (from..=last).find(|n| !busy.contains(n) && matches!(ctx.db.get::<Proofs>(n), Ok(None)))
}

/// Builds the proving key's fixed-base tables on a blocking thread within the configured
/// memory, or reads them back from the configured directory; proofs started meanwhile use the
/// variable-base MSM.
fn build_tables_in_background<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    prover: &Arc<BatchProver>,
) {
    let mib = ctx.config.prover.table_memory_mib;
    if mib == 0 {
        return;
    }
    let budget = usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    let prover = prover.clone();
    let dir = ctx.config.prover.table_dir.clone();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        // One thread, so that proofs keep the shared pool's threads meanwhile.
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })
            .and_then(|pool| match &dir {
                Some(dir) => Ok(report_stored(
                    &prover.load_or_build_tables_on(budget, &pool, dir)?,
                )),
                None => Ok(prover.build_tables_on(budget, &pool)?),
            });
        match built {
            Ok(tables) => {
                metrics::gauge!("zksettle_prover_table_bytes").set(tables.memory_bytes() as f64);
                tracing::info!(
                    queries = tables.queries(),
                    mib = tables.memory_bytes() >> 20,
                    seconds = started.elapsed().as_secs_f64(),
                    "fixed-base tables ready"
                );
            }
            Err(e) => tracing::warn!(
                error = %ErrorChain(&*e),
                "fixed-base tables not built; proving without"
            ),
        }
    });
}

/// Logs where stored tables came from and why a file was not used or written.
fn report_stored<'a>(stored: &zksettle_prover::StoredTables<'a>) -> &'a zksettle_prover::KeyTables {
    let path = stored.path.display();
    if stored.loaded {
        tracing::info!(file = %path, "fixed-base tables read back from disk");
    }
    if let Some(e) = &stored.refused {
        tracing::warn!(error = %ErrorChain(e), "stored fixed-base tables not used; rebuilt");
    }
    if let Some(e) = &stored.not_saved {
        tracing::warn!(error = %ErrorChain(e), "fixed-base tables not kept on disk");
    }
    stored.tables
}

pub(super) async fn prover<C: Chain + Clone + 'static>(
    ctx: Arc<NodeContext<C>>,
    prover: NodeProver,
) {
    let pool = match prover {
        NodeProver::Groth16(prover) => {
            let workers = proof_workers(&ctx.config.prover, prover.constraints().constraints());
            build_tables_in_background(&ctx, &prover);
            // Each running proof has a worker of its own: its own rayon pool of
            // `cores / workers` threads, so side-by-side proofs do not oversubscribe the cores
            // between them.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            match ProverPool::with_prover(prover, workers, cores) {
                Ok(pool) => Provers::Groth16(Arc::new(pool)),
                Err(e) => {
                    // Without threads to prove on the node cannot settle; the supervisor
                    // stops it.
                    tracing::error!(error = %ErrorChain(&e), "building the prover's thread pools");
                    return;
                }
            }
        }
        NodeProver::Halo2(prover) => {
            tracing::info!("halo2 prover: one proof at a time, on every core");
            Provers::Halo2(prover)
        }
    };
    metrics::gauge!("zksettle_prover_workers").set(pool.workers() as f64);
    let pool = Arc::new(pool);
    let mut free_workers: Vec<usize> = (0..pool.workers()).rev().collect();
    let mut running: JoinSet<(u64, usize, Result<ProvenStatement, PipelineError>)> = JoinSet::new();
    let mut busy = BTreeSet::new();
    loop {
        let cursor = ctx.db.counter::<Proven>().unwrap_or(0) + 1;
        while let Some(&worker) = free_workers.last() {
            let (reader, claimed) = (ctx.clone(), busy.clone());
            let next =
                tokio::task::spawn_blocking(move || next_unproven(&reader, cursor, &claimed))
                    .await
                    .ok()
                    .flatten();
            let Some(n) = next else {
                break;
            };
            free_workers.pop();
            busy.insert(n);
            let (ctx, pool) = (ctx.clone(), pool.clone());
            running.spawn_blocking(move || {
                // A panic in the prover is a bug; report it as this batch's failure so the
                // batch is tried again instead of being lost to the dispatcher.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    prove(&ctx, &pool, worker, n)
                }))
                .unwrap_or(Err(PipelineError::ProverPanicked(n)));
                (n, worker, outcome)
            });
        }
        tokio::select! {
            Some(done) = running.join_next() => match done {
                Ok((n, worker, Ok(proven))) => {
                    busy.remove(&n);
                    free_workers.push(worker);
                    match store_proof(&ctx, n, &proven) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::info!(batch = n, "proof discarded: the batch was replaced");
                            continue;
                        }
                        Err(e) => {
                            tracing::error!(batch = n, error = %ErrorChain(&e), "storing the proof");
                            continue;
                        }
                    }
                    tracing::info!(batch = n, "proven");
                    metrics::counter!("zksettle_batches_proven_total").increment(1);
                    let _ = ctx.events.send(NodeEvent::Proven(n));
                    ctx.proven.notify_one();
                }
                Ok((n, worker, Err(e))) => {
                    busy.remove(&n);
                    free_workers.push(worker);
                    tracing::error!(batch = n, error = %ErrorChain(&e), "proving failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
                Err(e) => tracing::error!(error = %ErrorChain(&e), "a prover worker stopped"),
            },
            _ = ctx.sealed.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// How many proofs run side by side: the configured number, or as many as the cores and the
/// memory budget allow; logged with the figures it was sized from, since it sets the node's
/// peak memory (tables + workers × peak per proof).
fn proof_workers(config: &super::config::ProverConfig, constraints: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_proof = zksettle_prover::pool::peak_bytes_per_proof(constraints);
    let tables = config.table_memory_mib.saturating_mul(1 << 20);
    let budget = match config.memory_mib {
        0 => zksettle_prover::pool::available_memory_bytes(),
        mib => Some(mib.saturating_mul(1 << 20)),
    }
    // The tables about to be built come out of the same memory.
    .map(|m| m.saturating_sub(tables));
    let workers = match config.workers {
        0 => zksettle_prover::pool::parallel_proofs(constraints, cores, budget),
        n => n,
    }
    .max(1);
    tracing::info!(
        workers,
        cores,
        per_proof_mib = per_proof >> 20,
        tables_mib = config.table_memory_mib,
        budget_mib = budget.map(|b| b >> 20),
        peak_mib = (tables + workers as u64 * per_proof) >> 20,
        "proofs in parallel (peak memory: tables + workers × per proof)"
    );
    workers
}

/// A proof and the statement it proves.
pub(super) struct ProvenStatement {
    /// The batch's commitment (its one public input) when it was proven.
    pub(super) commitment: zksettle_core::Fr,
    /// The proof as the deployment's verifier takes it (`submitBatch`'s `proof`).
    pub(super) bytes: Vec<u8>,
}

fn prove<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    provers: &Provers,
    worker: usize,
    n: u64,
) -> Result<ProvenStatement, PipelineError> {
    let record = ctx
        .db
        .get::<Batches>(&n)?
        .ok_or(PipelineError::MissingBatch(n))?;
    if record.foreign {
        return Err(PipelineError::Foreign(n));
    }
    let started = Instant::now();
    let (commitment, bytes) = provers.prove_on(worker, &record.witness)?;
    metrics::histogram!("zksettle_proving_seconds").record(started.elapsed().as_secs_f64());
    Ok(ProvenStatement { commitment, bytes })
}

/// Stores the proof of batch `n` unless the batch was replaced while it was proven (adopting a
/// batch settled by someone else discards this node's unsettled batches, and the number is
/// sealed again): `Ok(false)` then. The state lock keeps adoption out meanwhile.
pub(super) fn store_proof<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    n: u64,
    proven: &ProvenStatement,
) -> Result<bool, crate::store::DbError> {
    let _state = ctx.state();
    match ctx.db.get::<Batches>(&n)? {
        Some(record) if !record.foreign && record.witness.commitment == proven.commitment => {}
        _ => return Ok(false),
    }
    let mut write = ctx.db.write();
    write.put::<Proofs>(&n, &proven.bytes);
    // The cursor moves over every contiguous proven batch.
    let mut cursor = ctx.db.counter::<Proven>()?;
    while cursor + 1 == n || ctx.db.get::<Proofs>(&(cursor + 1))?.is_some() {
        cursor += 1;
    }
    write.put_meta::<Proven>(&cursor);
    write.commit()?;
    Ok(true)
}
