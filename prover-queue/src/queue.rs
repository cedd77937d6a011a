//! [`JobQueue`]: the `prover_jobs` table and every statement on it, each one statement (so each
//! is atomic without a transaction), guarded so that a stale actor changes nothing.
//!
//! A job's life (`status`):
//!
//! ```text
//!  enqueue ──► queued ──claim (attempts + 1)──► leased ──complete (proof stored)──► proven ──► imported (row deleted)
//!                ▲                                │  │
//!                ├──── give back (attempt undone) ┘  ├─ fail, or lease expired: queued again while
//!                │                                   │  attempts < max_attempts, else ──► failed
//!                └──── enqueue with a new commitment (the batch was resealed) resets any row
//! ```
//!
//! The guards: `heartbeat`, `complete`, `give_back` and `fail` change a row only while it is
//! `leased` by the caller's lease (`lease_owner`, unique per worker process and slot), and
//! `complete` only for the commitment it was claimed with. So a worker whose lease expired, a
//! duplicate completion, or a proof of a batch resealed meanwhile changes nothing (`false`),
//! and exactly one proof per (batch, commitment) is ever stored.

use std::time::Duration;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls, Row};
use zksettle_core::field::{fr_from_be_bytes, fr_to_be_bytes};
use zksettle_core::stf::BatchWitness;
use zksettle_core::{BatchShape, Domain, Fr, L1Address};

/// The schema's migrations, in order: `(version, SQL)`. Each runs once, in a transaction.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../migrations/0001_prover_jobs.sql"))];

/// The advisory lock migrations run under: concurrent `CREATE TABLE IF NOT EXISTS` race in
/// PostgreSQL's catalogue, so two processes starting at once must not migrate together.
const MIGRATION_LOCK: i64 = 0x7a6b_7365_7474_6c65; // "zksettle"

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database could not be reached.
    #[error("connecting to the prover queue at {url}")]
    Connect {
        /// The queue's URL, password removed.
        url: String,
        /// What failed.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement failed (the connection dropped, say: the next call reconnects).
    #[error("the prover queue's database")]
    Database(#[from] tokio_postgres::Error),
    /// The schema could not be brought to this build's version.
    #[error("migrating the prover queue's schema to version {version}")]
    Migrate {
        /// The migration that failed.
        version: i32,
        /// What failed.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database was migrated by a newer build; this one does not know its tables.
    #[error("the prover queue's schema is at version {found}, newer than this build's {known}")]
    SchemaTooNew {
        /// The database's version.
        found: i32,
        /// The newest this build knows.
        known: i32,
    },
    /// A batch number or count does not fit PostgreSQL's `bigint`/`integer`.
    #[error("{what} {value} does not fit the prover queue's columns")]
    OutOfRange {
        /// Which value.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// A row holds something no zksettle build writes.
    #[error("job of batch {batch}: {what}")]
    Corrupt {
        /// The batch.
        batch: i64,
        /// What is wrong.
        what: &'static str,
    },
    /// A batch witness could not be encoded.
    #[error("encoding the witness of batch {batch}")]
    Witness {
        /// The batch.
        batch: u64,
        /// What failed.
        #[source]
        source: serde_json::Error,
    },
}

/// A batch to prove, as the node enqueues it.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// The deployment the batch's signatures are over.
    pub domain: Domain,
    /// The verifying-key hash its proof must verify under.
    pub key_hash: [u8; 32],
    /// The batch witness (its number, shape and commitment included).
    pub witness: &'a BatchWitness,
    /// Attempts before the job is marked failed.
    pub max_attempts: u32,
}

/// A leased job, as a worker claims it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The batch number.
    pub batch: u64,
    /// The deployment.
    pub domain: Domain,
    /// The shape.
    pub shape: BatchShape,
    /// The verifying-key hash.
    pub key_hash: [u8; 32],
    /// The batch's public input when it was enqueued.
    pub commitment: Fr,
    /// The batch witness as JSON ([`Job::witness`] decodes it).
    pub witness_json: Vec<u8>,
    /// This attempt's number (from 1).
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
}

impl Job {
    /// The batch witness.
    pub fn witness(&self) -> Result<BatchWitness, serde_json::Error> {
        serde_json::from_slice(&self.witness_json)
    }
}

/// A job that reached an end, as the node reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedJob {
    /// The batch number.
    pub batch: u64,
    /// The commitment the job was enqueued with.
    pub commitment: Fr,
    /// Attempts made.
    pub attempts: u32,
    /// How it ended.
    pub outcome: Outcome,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A worker stored a proof.
    Proven {
        /// The proof, arkworks compressed ([`zksettle_prover::BatchProof`]'s proof).
        proof: Vec<u8>,
        /// The worker's name.
        by: String,
        /// Its proving time, seconds.
        seconds: f64,
    },
    /// Every attempt failed; the last error.
    Failed {
        /// Why.
        error: String,
    },
}

/// What an expired lease became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclaimed {
    /// The batch.
    pub batch: u64,
    /// Whose lease it was.
    pub owner: String,
    /// Out of attempts: marked failed (else queued again).
    pub failed: bool,
}

/// The queue at a glance, for the node's gauges.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueueStats {
    /// Jobs waiting for a worker.
    pub queued: u64,
    /// Jobs being proven.
    pub leased: u64,
    /// Proofs not yet imported by the node.
    pub proven: u64,
    /// Jobs out of attempts.
    pub failed: u64,
    /// Age of the oldest queued job, seconds (0 if none).
    pub oldest_queued_seconds: f64,
    /// Age of the oldest lease, seconds (0 if none).
    pub oldest_lease_seconds: f64,
}

/// The prover job queue in one PostgreSQL database: a connection that reconnects on the next
/// call after it drops (PostgreSQL restarted, say), and runs the schema's migrations whenever it
/// connects.
#[derive(Debug)]
pub struct JobQueue {
    url: String,
    client: Mutex<Option<Client>>,
}

impl JobQueue {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`) and migrates the
    /// schema.
    pub async fn connect(url: &str) -> Result<Self, QueueError> {
        let queue = JobQueue {
            url: url.to_owned(),
            client: Mutex::new(None),
        };
        drop(queue.client().await?);
        Ok(queue)
    }

    /// The URL, password removed (for logs).
    pub fn url(&self) -> String {
        redact(&self.url)
    }

    /// The connection, made (and the schema migrated) if there is none or it dropped.
    async fn client(&self) -> Result<MappedMutexGuard<'_, Client>, QueueError> {
        let mut slot = self.client.lock().await;
        let client = match slot.take() {
            Some(client) if !client.is_closed() => client,
            _ => connect(&self.url).await?,
        };
        Ok(MutexGuard::map(slot, move |slot| slot.insert(client)))
    }

    /// Queues batch `job.witness.number` unless the same statement (number and commitment) is
    /// queued or done already: `true` if this wrote a job. A job of the same number with
    /// another commitment (the node resealed the batch) is replaced, and its lease and proof
    /// with it.
    pub async fn enqueue(&self, job: &NewJob<'_>) -> Result<bool, QueueError> {
        let w = job.witness;
        let batch = bigint("batch number", w.number)?;
        let witness = serde_json::to_vec(w).map_err(|source| QueueError::Witness {
            batch: w.number,
            source,
        })?;
        let shape = shape_text(w.shape);
        let rows = self
            .client()
            .await?
            .execute(
                "INSERT INTO prover_jobs (batch_number, chain_id, rollup, shape, key_hash, \
                     commitment, witness, max_attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (batch_number) DO UPDATE SET \
                     chain_id = EXCLUDED.chain_id, rollup = EXCLUDED.rollup, shape = EXCLUDED.shape, \
                     key_hash = EXCLUDED.key_hash, commitment = EXCLUDED.commitment, \
                     witness = EXCLUDED.witness, max_attempts = EXCLUDED.max_attempts, \
                     status = 'queued', attempts = 0, lease_owner = NULL, lease_expires_at = NULL, \
                     proof = NULL, proven_by = NULL, prove_seconds = NULL, error = NULL, \
                     created_at = now(), claimed_at = NULL, proven_at = NULL \
                 WHERE prover_jobs.commitment <> EXCLUDED.commitment",
                &[
                    &batch,
                    &bigint("chain id", job.domain.chain_id)?,
                    &job.domain.rollup.0.as_slice(),
                    &shape,
                    &job.key_hash.as_slice(),
                    &fr_to_be_bytes(&w.commitment).as_slice(),
                    &witness,
                    &integer("max attempts", job.max_attempts)?,
                ],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Leases the lowest queued job of key `key_hash` to `owner` for `lease`, counting an
    /// attempt; `None` if there is none. Jobs other workers hold locked are skipped, not waited
    /// for (`FOR UPDATE SKIP LOCKED`), so any number of workers claim at once.
    pub async fn claim(
        &self,
        owner: &str,
        key_hash: &[u8; 32],
        lease: Duration,
    ) -> Result<Option<Job>, QueueError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "UPDATE prover_jobs SET status = 'leased', attempts = attempts + 1, \
                     lease_owner = $1, lease_expires_at = now() + $2::bigint * interval '1 millisecond', \
                     claimed_at = now() \
                 WHERE batch_number = ( \
                     SELECT batch_number FROM prover_jobs \
                     WHERE status = 'queued' AND key_hash = $3 \
                     ORDER BY batch_number LIMIT 1 \
                     FOR UPDATE SKIP LOCKED) \
                 RETURNING batch_number, chain_id, rollup, shape, key_hash, commitment, witness, \
                     attempts, max_attempts",
                &[&owner, &millis(lease), &key_hash.as_slice()],
            )
            .await?;
        row.map(|row| job_of(&row)).transpose()
    }

    /// Extends `owner`'s lease of `batch` to `lease` from now: `false` if it is no longer
    /// theirs (expired and reclaimed, or the batch was resealed), and the proof is then wasted.
    pub async fn heartbeat(
        &self,
        batch: u64,
        owner: &str,
        lease: Duration,
    ) -> Result<bool, QueueError> {
        let rows = self
            .client()
            .await?
            .execute(
                "UPDATE prover_jobs SET lease_expires_at = now() + $3::bigint * interval '1 millisecond' \
                 WHERE batch_number = $1 AND status = 'leased' AND lease_owner = $2",
                &[&bigint("batch number", batch)?, &owner, &millis(lease)],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Stores `proof` of `batch` for `commitment` and ends `owner`'s lease, in one statement:
    /// `false` (nothing stored) unless `owner` still holds the lease of that statement. A second
    /// completion of a job, by anyone, is refused so.
    pub async fn complete(
        &self,
        batch: u64,
        owner: &str,
        worker_name: &str,
        commitment: &Fr,
        proof: &[u8],
        seconds: f64,
    ) -> Result<bool, QueueError> {
        let rows = self
            .client()
            .await?
            .execute(
                "UPDATE prover_jobs SET status = 'proven', proof = $3, proven_by = $5, \
                     prove_seconds = $6, proven_at = now(), error = NULL, lease_owner = NULL, \
                     lease_expires_at = NULL \
                 WHERE batch_number = $1 AND status = 'leased' AND lease_owner = $2 \
                     AND commitment = $4",
                &[
                    &bigint("batch number", batch)?,
                    &owner,
                    &proof,
                    &fr_to_be_bytes(commitment).as_slice(),
                    &worker_name,
                    &seconds,
                ],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Returns `owner`'s lease of `batch` to the queue without counting the attempt (a worker
    /// stopping): `false` if it was not theirs.
    pub async fn give_back(&self, batch: u64, owner: &str) -> Result<bool, QueueError> {
        let rows = self
            .client()
            .await?
            .execute(
                "UPDATE prover_jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), \
                     lease_owner = NULL, lease_expires_at = NULL \
                 WHERE batch_number = $1 AND status = 'leased' AND lease_owner = $2",
                &[&bigint("batch number", batch)?, &owner],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Records that `owner`'s attempt at `batch` failed with `error`: queued again while
    /// attempts remain (unless `permanent`: the job cannot succeed, its input is unusable),
    /// else failed. `Some(true)` if the job is now failed, `None` if the lease was not theirs.
    pub async fn fail(
        &self,
        batch: u64,
        owner: &str,
        error: &str,
        permanent: bool,
    ) -> Result<Option<bool>, QueueError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "UPDATE prover_jobs SET \
                     status = CASE WHEN $4 OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                     error = $3, lease_owner = NULL, lease_expires_at = NULL \
                 WHERE batch_number = $1 AND status = 'leased' AND lease_owner = $2 \
                 RETURNING status",
                &[&bigint("batch number", batch)?, &owner, &error, &permanent],
            )
            .await?;
        Ok(row.map(|row| row.get::<_, &str>(0) == "failed"))
    }

    /// Ends every expired lease: the job is queued again, or failed if that was its last
    /// attempt. Safe to run from any number of workers and nodes at once.
    pub async fn reclaim_expired(&self) -> Result<Vec<Reclaimed>, QueueError> {
        let rows = self
            .client()
            .await?
            .query(
                "WITH expired AS ( \
                     SELECT batch_number, lease_owner FROM prover_jobs \
                     WHERE status = 'leased' AND lease_expires_at < now() \
                     FOR UPDATE SKIP LOCKED) \
                 UPDATE prover_jobs j SET \
                     status = CASE WHEN j.attempts >= j.max_attempts THEN 'failed' ELSE 'queued' END, \
                     error = 'the lease of ' || e.lease_owner || ' expired', \
                     lease_owner = NULL, lease_expires_at = NULL \
                 FROM expired e WHERE j.batch_number = e.batch_number \
                 RETURNING j.batch_number, e.lease_owner, j.status",
                &[],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Reclaimed {
                    batch: unsigned(row.get(0))?,
                    owner: row.get(1),
                    failed: row.get::<_, &str>(2) == "failed",
                })
            })
            .collect()
    }

    /// The jobs of batches `from..=to` that are proven or failed, in batch order.
    pub async fn finished(&self, from: u64, to: u64) -> Result<Vec<FinishedJob>, QueueError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT batch_number, commitment, attempts, status, proof, proven_by, \
                     prove_seconds, error \
                 FROM prover_jobs \
                 WHERE batch_number BETWEEN $1 AND $2 AND status IN ('proven', 'failed') \
                 ORDER BY batch_number",
                &[&bigint("batch number", from)?, &bigint("batch number", to)?],
            )
            .await?;
        rows.iter().map(finished_of).collect()
    }

    /// The node found the proof of `batch` for `commitment` wrong (it does not verify): the job
    /// counts it as a failed attempt, queued again or failed. `false` if there was no such proof.
    pub async fn reject_proof(
        &self,
        batch: u64,
        commitment: &Fr,
        error: &str,
    ) -> Result<bool, QueueError> {
        let rows = self
            .client()
            .await?
            .execute(
                "UPDATE prover_jobs SET \
                     status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                     proof = NULL, proven_by = NULL, prove_seconds = NULL, proven_at = NULL, \
                     error = $3 \
                 WHERE batch_number = $1 AND commitment = $2 AND status = 'proven'",
                &[
                    &bigint("batch number", batch)?,
                    &fr_to_be_bytes(commitment).as_slice(),
                    &error,
                ],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Deletes the job of `batch` once its proof for `commitment` is the node's.
    pub async fn remove_imported(&self, batch: u64, commitment: &Fr) -> Result<(), QueueError> {
        self.client()
            .await?
            .execute(
                "DELETE FROM prover_jobs WHERE batch_number = $1 AND commitment = $2 \
                     AND status = 'proven'",
                &[
                    &bigint("batch number", batch)?,
                    &fr_to_be_bytes(commitment).as_slice(),
                ],
            )
            .await?;
        Ok(())
    }

    /// Deletes every job of batches up to `batch` (the node holds proofs of them all: rows a
    /// crash left behind between its import and the delete).
    pub async fn remove_through(&self, batch: u64) -> Result<u64, QueueError> {
        Ok(self
            .client()
            .await?
            .execute(
                "DELETE FROM prover_jobs WHERE batch_number <= $1",
                &[&bigint("batch number", batch)?],
            )
            .await?)
    }

    /// Queues a failed job again with its attempts reset (an operator's decision, once the
    /// cause is fixed): `false` if `batch` is not failed.
    pub async fn retry_failed(&self, batch: u64) -> Result<bool, QueueError> {
        let rows = self
            .client()
            .await?
            .execute(
                "UPDATE prover_jobs SET status = 'queued', attempts = 0, error = NULL \
                 WHERE batch_number = $1 AND status = 'failed'",
                &[&bigint("batch number", batch)?],
            )
            .await?;
        Ok(rows == 1)
    }

    /// Counts by status and the oldest waits.
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'queued'), \
                     count(*) FILTER (WHERE status = 'leased'), \
                     count(*) FILTER (WHERE status = 'proven'), \
                     count(*) FILTER (WHERE status = 'failed'), \
                     coalesce(extract(epoch FROM now() - min(created_at) \
                         FILTER (WHERE status = 'queued')), 0)::float8, \
                     coalesce(extract(epoch FROM now() - min(claimed_at) \
                         FILTER (WHERE status = 'leased')), 0)::float8 \
                 FROM prover_jobs",
                &[],
            )
            .await?;
        let count = |i: usize| unsigned(row.get(i));
        Ok(QueueStats {
            queued: count(0)?,
            leased: count(1)?,
            proven: count(2)?,
            failed: count(3)?,
            oldest_queued_seconds: row.get(4),
            oldest_lease_seconds: row.get(5),
        })
    }

    /// Transactions this database has committed or rolled back, every client's
    /// (`pg_stat_database`; each backend reports within about a second): what the bench
    /// divides by the proofs made.
    pub async fn transactions(&self) -> Result<u64, QueueError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database \
                 WHERE datname = current_database()",
                &[],
            )
            .await?;
        unsigned(row.get(0))
    }

    /// Verifying-key hashes other than `ours` that queued jobs wait for, with their counts:
    /// what a worker with the wrong key reports.
    pub async fn queued_for_other_keys(
        &self,
        ours: &[u8; 32],
    ) -> Result<Vec<([u8; 32], u64)>, QueueError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT key_hash, count(*) FROM prover_jobs \
                 WHERE status = 'queued' AND key_hash <> $1 GROUP BY key_hash ORDER BY key_hash",
                &[&ours.as_slice()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let hash = <[u8; 32]>::try_from(row.get::<_, &[u8]>(0)).map_err(|_| {
                    QueueError::Corrupt {
                        batch: -1,
                        what: "a key hash is not 32 bytes",
                    }
                })?;
                Ok((hash, unsigned(row.get(1))?))
            })
            .collect()
    }
}

/// Connects and migrates; the connection's driver runs as a task until it drops.
async fn connect(url: &str) -> Result<Client, QueueError> {
    let (mut client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|source| QueueError::Connect {
            url: redact(url),
            source,
        })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "prover queue connection closed");
        }
    });
    migrate(&mut client).await?;
    Ok(client)
}

/// Brings the schema to this build's version, under [`MIGRATION_LOCK`].
async fn migrate(client: &mut Client) -> Result<(), QueueError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let failed = |version| move |source| QueueError::Migrate { version, source };
    let tx = client.transaction().await.map_err(failed(0))?;
    // `CREATE … IF NOT EXISTS` of what exists is a notice, not news.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(failed(0))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(failed(0))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS zksettle_prover_queue_schema ( \
             version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(failed(0))?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM zksettle_prover_queue_schema",
            &[],
        )
        .await
        .map_err(failed(0))?
        .get(0);
    if current > known {
        return Err(QueueError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).await.map_err(failed(version))?;
        tx.execute(
            "INSERT INTO zksettle_prover_queue_schema (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(failed(version))?;
        tracing::info!(version, "prover queue schema migrated");
    }
    tx.commit().await.map_err(failed(known))
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

fn bigint(what: &'static str, value: u64) -> Result<i64, QueueError> {
    i64::try_from(value).map_err(|_| QueueError::OutOfRange { what, value })
}

fn integer(what: &'static str, value: u32) -> Result<i32, QueueError> {
    i32::try_from(value).map_err(|_| QueueError::OutOfRange {
        what,
        value: value.into(),
    })
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn unsigned(v: i64) -> Result<u64, QueueError> {
    u64::try_from(v).map_err(|_| QueueError::Corrupt {
        batch: v,
        what: "a negative number",
    })
}

/// The shape as the `shape` column holds it.
fn shape_text(shape: BatchShape) -> String {
    format!(
        "depth={} chunks={} fee_slots={}",
        shape.depth, shape.chunks, shape.fee_slots
    )
}

fn shape_of(batch: i64, text: &str) -> Result<BatchShape, QueueError> {
    let corrupt = QueueError::Corrupt {
        batch,
        what: "its shape is not depth=D chunks=B fee_slots=F",
    };
    let mut fields = text.split(' ').map(|f| f.split_once('='));
    let mut next = |name: &str| match fields.next() {
        Some(Some((key, value))) if key == name => value.parse::<usize>().ok(),
        _ => None,
    };
    match (next("depth"), next("chunks"), next("fee_slots")) {
        (Some(depth), Some(chunks), Some(fee_slots)) => Ok(BatchShape {
            depth: u8::try_from(depth).map_err(|_| corrupt)?,
            chunks,
            fee_slots,
        }),
        _ => Err(corrupt),
    }
}

fn bytes32(batch: i64, bytes: &[u8], what: &'static str) -> Result<[u8; 32], QueueError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| QueueError::Corrupt { batch, what })
}

fn commitment_of(batch: i64, bytes: &[u8]) -> Result<Fr, QueueError> {
    fr_from_be_bytes(&bytes32(batch, bytes, "its commitment is not 32 bytes")?).map_err(|_| {
        QueueError::Corrupt {
            batch,
            what: "its commitment is not a field element",
        }
    })
}

fn job_of(row: &Row) -> Result<Job, QueueError> {
    let batch: i64 = row.get("batch_number");
    let rollup =
        <[u8; 20]>::try_from(row.get::<_, &[u8]>("rollup")).map_err(|_| QueueError::Corrupt {
            batch,
            what: "its rollup address is not 20 bytes",
        })?;
    let count = |name: &str| {
        u32::try_from(row.get::<_, i32>(name)).map_err(|_| QueueError::Corrupt {
            batch,
            what: "a negative attempt count",
        })
    };
    Ok(Job {
        batch: unsigned(batch)?,
        domain: Domain {
            chain_id: unsigned(row.get("chain_id"))?,
            rollup: L1Address(rollup),
        },
        shape: shape_of(batch, row.get("shape"))?,
        key_hash: bytes32(batch, row.get("key_hash"), "its key hash is not 32 bytes")?,
        commitment: commitment_of(batch, row.get("commitment"))?,
        witness_json: row.get("witness"),
        attempt: count("attempts")?,
        max_attempts: count("max_attempts")?,
    })
}

fn finished_of(row: &Row) -> Result<FinishedJob, QueueError> {
    let batch: i64 = row.get("batch_number");
    let outcome = match row.get::<_, &str>("status") {
        "proven" => Outcome::Proven {
            proof: row.get("proof"),
            by: row
                .get::<_, Option<String>>("proven_by")
                .unwrap_or_default(),
            seconds: row.get::<_, Option<f64>>("prove_seconds").unwrap_or(0.0),
        },
        _ => Outcome::Failed {
            error: row.get::<_, Option<String>>("error").unwrap_or_default(),
        },
    };
    Ok(FinishedJob {
        batch: unsigned(batch)?,
        commitment: commitment_of(batch, row.get("commitment"))?,
        attempts: u32::try_from(row.get::<_, i32>("attempts")).map_err(|_| {
            QueueError::Corrupt {
                batch,
                what: "a negative attempt count",
            }
        })?,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_logged_without_its_password() {
        assert_eq!(
            redact("postgres://prover:s3cret@db:5432/zk"),
            "postgres://prover:***@db:5432/zk"
        );
        assert_eq!(redact("postgres://prover@db/zk"), "postgres://prover@db/zk");
    }

    #[test]
    fn a_shape_reads_back_as_written_and_garbage_is_corrupt() {
        let shape = BatchShape {
            depth: 24,
            chunks: 16,
            fee_slots: 2,
        };
        assert_eq!(shape_of(1, &shape_text(shape)).ok(), Some(shape));
        assert!(matches!(
            shape_of(1, "depth=24 chunks=x fee_slots=2"),
            Err(QueueError::Corrupt { batch: 1, .. })
        ));
        assert!(shape_of(1, "depth=300 chunks=1 fee_slots=1").is_err());
    }
}
