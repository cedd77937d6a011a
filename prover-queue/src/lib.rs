//! # zksettle-prover-queue
//!
//! Proving that outgrows one machine: the node puts each sealed batch in a job table in
//! PostgreSQL, and prover workers on any number of machines lease jobs, prove them and store
//! the proofs there; the node reads the proofs back in batch order, checks each against its
//! verifying key, and settles them. The queue is the field's practice (zkSync Era's prover
//! jobs): rows claimed with `SELECT … FOR UPDATE SKIP LOCKED`, leases with expiry, attempts
//! counted at claim and capped, on an engine operators already run and back up.
//!
//! What the database sees per proof: one insert of the batch witness (the worker makes the
//! circuit's witness from it; tens of kilobytes, not the circuit's megabytes), a claim, a
//! heartbeat every few seconds while proving, one update that stores the 128-byte proof and
//! ends the lease, a read and a delete by the node; and two notification channels.
//!
//! ## Map
//! - [`queue`]: [`JobQueue`], the `prover_jobs` table (schema in `migrations/`, applied on
//!   connect under an advisory lock) and every statement on it, each guarded so that a stale
//!   worker, a duplicate completion or a resealed batch changes nothing.
//! - [`worker`]: [`Worker`], the claim loops of `zksettle prover worker`: claim with the
//!   worker's key hash, prove on a [`zksettle_prover::ProverPool`] slot while heartbeating,
//!   complete; expired leases reclaimed before each claim; leases given back on stop.
//! - [`listen`]: [`listen::Wakeups`], `LISTEN`ed notifications that wake workers (a job
//!   queued) and the node (a job done) between their polls.
//!
//! The node's side (enqueue, read back, verify, import) is in the sequencer
//! (`sequencer/src/node/queue.rs`); this crate knows nothing of the node's database.

pub mod listen;
pub mod queue;
pub mod worker;

pub use queue::{FinishedJob, Job, JobQueue, NewJob, Outcome, QueueError, QueueStats, Reclaimed};
pub use worker::{Step, Worker, WorkerError, WorkerOptions};
