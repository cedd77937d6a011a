//! The prover dispatcher with `[prover] queue` set: sealed batches go to the PostgreSQL job
//! queue ([`zksettle_prover_queue`]) and workers on any machine prove them; this task reads
//! the proofs back, checks each against the node's verifying key and the batch's commitment,
//! and stores it as the in-process prover would ([`super::pipeline::store_proof`]).
//!
//! Exactly once, whatever the workers do: the queue stores at most one proof per batch and
//! commitment (a duplicate completion is refused there), a proof is taken only for the batch's
//! current commitment (a batch resealed meanwhile replaced its job), a proof that does not
//! verify counts as a failed attempt and is never stored, and the node's database is written
//! before the job is deleted, so a crash in between leaves a row that the next pass deletes.

use super::pipeline::{store_proof, ProvenStatement};
use super::{NodeContext, NodeEvent};
use crate::error_chain::ErrorChain;
use crate::records::BatchRecord;
use crate::store::tables::{Batches, Proofs, Proven};
use ark_serialize::CanonicalDeserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use zksettle_core::Fr;
use zksettle_l1::{Chain, VerifierProof};
use zksettle_prover::{verify, BatchProof, BatchProver};
use zksettle_prover_queue::listen::{Wakeups, DONE};
use zksettle_prover_queue::{FinishedJob, JobQueue, NewJob, Outcome, QueueError, QueueStats};

/// Back-off after a failure.
const RETRY: Duration = Duration::from_secs(2);
/// How often the dispatcher looks without a notification.
const POLL: Duration = Duration::from_secs(1);

/// Why a pass of the dispatcher failed; it logs it and tries again.
#[derive(Debug, thiserror::Error)]
enum DispatchError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Db(#[from] crate::store::DbError),
    #[error("reading the node's batches did not finish")]
    Blocking(#[from] tokio::task::JoinError),
}

/// What this run of the node has put in the queue: batch → commitment.
type Enqueued = BTreeMap<u64, Fr>;

pub(super) async fn dispatcher<C: Chain + Clone + 'static>(
    ctx: Arc<NodeContext<C>>,
    prover: Arc<BatchProver>,
    url: String,
) {
    let queue = loop {
        match JobQueue::connect(&url).await {
            Ok(queue) => break queue,
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "the prover queue is unreachable; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    tracing::info!(queue = %queue.url(), "proving through the prover queue");
    let wakeups = Wakeups::listen(&url, DONE);
    let mut enqueued = Enqueued::new();
    let mut reported = BTreeSet::new();
    loop {
        if let Err(e) = pass(&ctx, &prover, &queue, &mut enqueued, &mut reported).await {
            tracing::error!(error = %ErrorChain(&e), "prover queue pass failed; retrying");
            tokio::time::sleep(RETRY).await;
        }
        tokio::select! {
            _ = wakeups.notified() => {}
            _ = ctx.sealed.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One pass: enqueue what is sealed and unproven, import what is proven, report the rest.
async fn pass<C: Chain + Clone + 'static>(
    ctx: &Arc<NodeContext<C>>,
    prover: &BatchProver,
    queue: &JobQueue,
    enqueued: &mut Enqueued,
    reported: &mut BTreeSet<(u64, String)>,
) -> Result<(), DispatchError> {
    let reader = ctx.clone();
    let (cursor, unproven) = tokio::task::spawn_blocking(move || unproven(&reader)).await??;
    enqueued.retain(|n, _| *n > cursor);
    for record in &unproven {
        let commitment = record.witness.commitment;
        if enqueued.get(&record.number) == Some(&commitment) {
            continue;
        }
        let job = NewJob {
            domain: prover.domain(),
            key_hash: prover.keys().vk_hash,
            witness: &record.witness,
            max_attempts: ctx.config.prover.max_attempts,
        };
        if queue.enqueue(&job).await? {
            metrics::counter!("zksettle_prover_jobs_enqueued_total").increment(1);
            tracing::debug!(batch = record.number, "queued for the provers");
        }
        enqueued.insert(record.number, commitment);
    }
    // Rows of batches the node holds proofs of (left by a crash between import and delete).
    queue.remove_through(cursor).await?;
    for reclaimed in queue.reclaim_expired().await? {
        tracing::warn!(batch = reclaimed.batch, owner = %reclaimed.owner, failed = reclaimed.failed,
            "a prover's lease expired; job reclaimed");
        metrics::counter!("zksettle_prover_jobs_reclaimed_total").increment(1);
    }
    let Some(last) = unproven.last().map(|r| r.number) else {
        return record_stats(queue).await;
    };
    let records: BTreeMap<u64, &BatchRecord> = unproven.iter().map(|r| (r.number, r)).collect();
    for job in queue.finished(cursor + 1, last).await? {
        let Some(record) = records.get(&job.batch) else {
            // Proven already (imported by an earlier pass that crashed before deleting).
            queue.remove_imported(job.batch, &job.commitment).await?;
            continue;
        };
        if job.commitment != record.witness.commitment {
            continue; // a stale statement: the enqueue above replaced its job
        }
        match &job.outcome {
            Outcome::Proven { .. } => import(ctx, prover, queue, &job).await?,
            Outcome::Failed { error } => {
                if reported.insert((job.batch, error.clone())) {
                    tracing::error!(
                        batch = job.batch,
                        attempts = job.attempts,
                        error = %error,
                        "the provers gave up on this batch; settlement waits for it \
                         (`zksettle prover queue retry` queues it again)"
                    );
                }
            }
        }
    }
    record_stats(queue).await
}

/// The Proven cursor and the sealed batches above it that have no proof and are this node's.
fn unproven<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
) -> Result<(u64, Vec<BatchRecord>), crate::store::DbError> {
    let cursor = ctx.db.counter::<Proven>()?;
    let last = ctx.state().last_batch();
    let mut out = Vec::new();
    for n in cursor + 1..=last {
        if ctx.db.get::<Proofs>(&n)?.is_some() {
            continue;
        }
        match ctx.db.get::<Batches>(&n)? {
            Some(record) if !record.foreign => out.push(record),
            _ => {}
        }
    }
    Ok((cursor, out))
}

/// Checks a worker's proof and stores it as the batch's, or rejects it back to the queue.
async fn import<C: Chain + Clone + 'static>(
    ctx: &Arc<NodeContext<C>>,
    prover: &BatchProver,
    queue: &JobQueue,
    job: &FinishedJob,
) -> Result<(), DispatchError> {
    let Outcome::Proven { proof, by, seconds } = &job.outcome else {
        return Ok(());
    };
    let n = job.batch;
    let checked = CanonicalDeserialize::deserialize_compressed(proof.as_slice())
        .map(|proof| BatchProof {
            commitment: job.commitment,
            proof,
        })
        .map_err(|e| format!("the proof does not decode: {e}"))
        .and_then(
            |proof| match verify(prover.keys().verifying_key(), &proof) {
                Ok(true) => Ok(proof),
                Ok(false) => Err("the proof does not verify against the node's key".into()),
                Err(e) => Err(format!("the proof could not be checked: {e}")),
            },
        );
    let proof = match checked {
        Ok(proof) => proof,
        Err(why) => {
            tracing::error!(batch = n, worker = %by, error = %why, "a prover's proof refused");
            metrics::counter!("zksettle_prover_proofs_rejected_total").increment(1);
            queue
                .reject_proof(n, &job.commitment, &format!("{why} (from {by})"))
                .await?;
            return Ok(());
        }
    };
    let statement = ProvenStatement {
        commitment: job.commitment,
        bytes: proof.proof.verifier_bytes().to_vec(),
    };
    let writer = ctx.clone();
    let stored = tokio::task::spawn_blocking(move || store_proof(&writer, n, &statement)).await??;
    if !stored {
        tracing::info!(batch = n, "proof discarded: the batch was replaced");
        return Ok(());
    }
    queue.remove_imported(n, &job.commitment).await?;
    tracing::info!(batch = n, worker = %by, seconds, attempts = job.attempts, "proven");
    metrics::counter!("zksettle_batches_proven_total").increment(1);
    metrics::counter!("zksettle_prover_proofs_total", "worker" => by.clone()).increment(1);
    metrics::counter!("zksettle_prover_retries_total")
        .increment(u64::from(job.attempts.saturating_sub(1)));
    metrics::histogram!("zksettle_proving_seconds").record(*seconds);
    let _ = ctx.events.send(NodeEvent::Proven(n));
    ctx.proven.notify_one();
    Ok(())
}

async fn record_stats(queue: &JobQueue) -> Result<(), DispatchError> {
    let QueueStats {
        queued,
        leased,
        proven,
        failed,
        oldest_queued_seconds,
        oldest_lease_seconds,
    } = queue.stats().await?;
    for (status, count) in [
        ("queued", queued),
        ("leased", leased),
        ("proven", proven),
        ("failed", failed),
    ] {
        metrics::gauge!("zksettle_prover_jobs", "status" => status).set(count as f64);
    }
    metrics::gauge!("zksettle_prover_queue_oldest_seconds").set(oldest_queued_seconds);
    metrics::gauge!("zksettle_prover_lease_oldest_seconds").set(oldest_lease_seconds);
    Ok(())
}
