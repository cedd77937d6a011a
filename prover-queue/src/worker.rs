//! [`Worker`]: claims jobs of its key, proves them on a [`ProverPool`] slot while heartbeating
//! the lease, and stores each proof in the statement that ends the lease.
//!
//! A worker runs `slots` claim loops (one per pool slot, each proof on its own threads). Each
//! loop, before it claims, ends every expired lease in the queue, so a worker that died
//! mid-proof loses its job to the next worker that looks, once its lease ran out. Stopping
//! (`cancel`) gives running leases back uncounted; the proofs being made are abandoned.

use crate::listen::{Wakeups, QUEUED};
use crate::queue::{Job, JobQueue, QueueError};
use ark_serialize::CanonicalSerialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use zksettle_prover::ProverPool;

/// A worker's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// How long a claim (and each heartbeat) holds a job: a worker that stops heartbeating
    /// loses its job this long after its last heartbeat.
    pub lease: Duration,
    /// How often a running proof's lease is extended (well under `lease`: proving loads every
    /// core, and a heartbeat may come late).
    pub heartbeat: Duration,
    /// How often an idle worker looks for jobs without a notification.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(10),
            poll: Duration::from_secs(5),
        }
    }
}

/// Why a worker's step failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The queue failed (the step is tried again).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Jobs wait for another key: this worker's key cannot prove them, and it claims none.
    #[error(
        "{jobs} queued job(s) need verifying key {}, but this worker's key is 0x{}: it refuses them",
        .queued.iter().map(|h| format!("0x{}", hex(h))).collect::<Vec<_>>().join(", "),
        hex(.ours)
    )]
    KeyMismatch {
        /// This worker's verifying-key hash.
        ours: [u8; 32],
        /// The hashes the queued jobs name.
        queued: Vec<[u8; 32]>,
        /// How many jobs wait for them.
        jobs: u64,
    },
}

/// What one step of a claim loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing to claim.
    Idle,
    /// Proved batch `n` and stored the proof.
    Proven(u64),
    /// Proved batch `n`, but the lease was gone when the proof was done (it expired, or the
    /// batch was resealed): the proof was discarded.
    LeaseLost(u64),
    /// The attempt at batch `n` failed (the job is queued again or failed).
    Failed(u64),
    /// Stopped while proving batch `n`; the lease was given back.
    GaveBack(u64),
}

/// A prover worker on a [`JobQueue`].
#[derive(Debug)]
pub struct Worker {
    queue: Arc<JobQueue>,
    pool: Arc<ProverPool>,
    name: String,
    run_id: String,
    options: WorkerOptions,
}

impl Worker {
    /// A worker named `name` (the proofs it stores are credited to it; the hostname, say)
    /// proving on `pool`'s slots with `pool`'s key.
    pub fn new(
        queue: Arc<JobQueue>,
        pool: Arc<ProverPool>,
        name: &str,
        options: WorkerOptions,
    ) -> Self {
        // Leases are this process run's: a restarted worker of the same name cannot complete
        // (or give back) what its predecessor claimed.
        let nonce: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Worker {
            queue,
            pool,
            name: name.to_owned(),
            run_id: format!("{name}:{}:{nonce:x}", std::process::id()),
            options,
        }
    }

    /// The lease owner of claim loop `slot`.
    pub fn owner(&self, slot: usize) -> String {
        format!("{}/{slot}", self.run_id)
    }

    /// The verifying-key hash this worker proves for.
    pub fn key_hash(&self) -> [u8; 32] {
        self.pool.prover().keys().vk_hash
    }

    /// Runs one claim loop per pool slot until `cancel`; wakes on the queue's notifications
    /// from `url` and polls meanwhile.
    pub async fn run(self: Arc<Self>, url: &str, cancel: CancellationToken) {
        let wakeups = Arc::new(Wakeups::listen(url, QUEUED));
        let mut loops = tokio::task::JoinSet::new();
        for slot in 0..self.pool.workers() {
            let (worker, wakeups, cancel) = (self.clone(), wakeups.clone(), cancel.clone());
            loops.spawn(async move { worker.claim_loop(slot, &wakeups, &cancel).await });
        }
        while loops.join_next().await.is_some() {}
    }

    async fn claim_loop(&self, slot: usize, wakeups: &Wakeups, cancel: &CancellationToken) {
        let mut last_refusal = None;
        while !cancel.is_cancelled() {
            let idle = match self.step(slot, cancel).await {
                Ok(Step::Idle) => true,
                Ok(step) => {
                    tracing::debug!(slot, ?step, "worker step");
                    false
                }
                Err(e @ WorkerError::KeyMismatch { .. }) => {
                    // Said once per change, not once per poll.
                    let message = e.to_string();
                    if last_refusal.as_ref() != Some(&message) {
                        tracing::warn!(error = %message, "refusing jobs");
                        metrics::counter!("zksettle_prover_key_mismatches_total").increment(1);
                        last_refusal = Some(message);
                    }
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %ErrorChain(&e), slot, "prover queue step failed; retrying");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = wakeups.notified() => {}
                    _ = tokio::time::sleep(self.options.poll) => {}
                    _ = cancel.cancelled() => {}
                }
            }
        }
    }

    /// Reclaims expired leases, then claims and proves one job on slot `slot`.
    pub async fn step(&self, slot: usize, cancel: &CancellationToken) -> Result<Step, WorkerError> {
        for reclaimed in self.queue.reclaim_expired().await? {
            tracing::warn!(
                batch = reclaimed.batch,
                owner = %reclaimed.owner,
                failed = reclaimed.failed,
                "a worker's lease expired; job reclaimed"
            );
            metrics::counter!("zksettle_prover_jobs_reclaimed_total").increment(1);
            if reclaimed.failed {
                metrics::counter!("zksettle_prover_jobs_failed_total", "reason" => "lease_expired")
                    .increment(1);
            }
        }
        let owner = self.owner(slot);
        let ours = self.key_hash();
        let Some(job) = self.queue.claim(&owner, &ours, self.options.lease).await? else {
            let others = self.queue.queued_for_other_keys(&ours).await?;
            if others.is_empty() {
                return Ok(Step::Idle);
            }
            return Err(WorkerError::KeyMismatch {
                ours,
                jobs: others.iter().map(|o| o.1).sum(),
                queued: others.into_iter().map(|o| o.0).collect(),
            });
        };
        metrics::counter!("zksettle_prover_jobs_claimed_total").increment(1);
        tracing::info!(batch = job.batch, attempt = job.attempt, "claimed");
        self.prove(slot, &owner, job, cancel).await
    }

    async fn prove(
        &self,
        slot: usize,
        owner: &str,
        job: Job,
        cancel: &CancellationToken,
    ) -> Result<Step, WorkerError> {
        let n = job.batch;
        let witness = match self.check(&job) {
            Ok(witness) => witness,
            Err(why) => return self.fail(n, owner, &why, true).await,
        };
        let started = Instant::now();
        let (pool, domain) = (self.pool.clone(), job.domain);
        let mut proving =
            tokio::task::spawn_blocking(move || pool.prove_in_on(slot, domain, &witness, &|_| {}));
        let mut beat = tokio::time::interval(self.options.heartbeat);
        beat.tick().await;
        let mut held = true;
        let outcome = loop {
            tokio::select! {
                outcome = &mut proving => break outcome,
                _ = beat.tick(), if held => match self.queue.heartbeat(n, owner, self.options.lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(batch = n, "lease lost while proving; the proof will be discarded");
                        held = false;
                    }
                    // The lease runs on; the next beat tries again.
                    Err(e) => tracing::warn!(batch = n, error = %ErrorChain(&e), "heartbeat failed"),
                },
                _ = cancel.cancelled() => {
                    if held && self.queue.give_back(n, owner).await? {
                        metrics::counter!("zksettle_prover_jobs_given_back_total").increment(1);
                        tracing::info!(batch = n, "stopping: lease given back");
                    }
                    return Ok(Step::GaveBack(n));
                }
            }
        };
        let proof = match outcome {
            Ok(Ok(proof)) => proof,
            Ok(Err(e)) => {
                let why = ErrorChain(&e).to_string();
                return self.fail(n, owner, &why, false).await;
            }
            Err(_) => return self.fail(n, owner, "the prover panicked", false).await,
        };
        let seconds = started.elapsed().as_secs_f64();
        let mut bytes = Vec::new();
        if let Err(e) = proof.proof.serialize_compressed(&mut bytes) {
            let why = ErrorChain(&e).to_string();
            return self.fail(n, owner, &why, false).await;
        }
        let stored = self
            .queue
            .complete(n, owner, &self.name, &job.commitment, &bytes, seconds)
            .await?;
        if stored {
            metrics::counter!("zksettle_prover_jobs_completed_total").increment(1);
            metrics::histogram!("zksettle_proving_seconds").record(seconds);
            tracing::info!(batch = n, seconds, "proven");
            Ok(Step::Proven(n))
        } else {
            metrics::counter!("zksettle_prover_leases_lost_total").increment(1);
            tracing::warn!(batch = n, "proof not stored: the lease was no longer ours");
            Ok(Step::LeaseLost(n))
        }
    }

    /// The job's witness, if this worker can prove it: its key, shape and commitment agree.
    fn check(&self, job: &Job) -> Result<zksettle_core::stf::BatchWitness, String> {
        let keys = self.pool.prover().keys();
        if job.key_hash != keys.vk_hash || job.shape != keys.shape {
            return Err(format!(
                "the job needs key 0x{} for {:?}, the worker has 0x{} for {:?}",
                hex(&job.key_hash),
                job.shape,
                hex(&keys.vk_hash),
                keys.shape
            ));
        }
        let witness = job
            .witness()
            .map_err(|e| format!("the job's witness does not decode: {e}"))?;
        if witness.number != job.batch
            || witness.shape != job.shape
            || witness.commitment != job.commitment
        {
            return Err("the job's witness is not of its batch, shape and commitment".into());
        }
        Ok(witness)
    }

    async fn fail(
        &self,
        n: u64,
        owner: &str,
        why: &str,
        permanent: bool,
    ) -> Result<Step, WorkerError> {
        tracing::warn!(batch = n, error = why, permanent, "proving failed");
        if self.queue.fail(n, owner, why, permanent).await? == Some(true) {
            tracing::error!(batch = n, error = why, "job failed: out of attempts");
            metrics::counter!("zksettle_prover_jobs_failed_total", "reason" => "error")
                .increment(1);
        }
        Ok(Step::Failed(n))
    }
}

/// An error with its sources, for logs.
struct ErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
