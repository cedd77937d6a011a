//! The prover queue on a real PostgreSQL server (one throwaway cluster per test): workers
//! proving real batches, leases expiring, duplicate and stale completions refused, a server
//! restart mid-run.

// A fixture that fails fails the test.
#![allow(clippy::unwrap_used)]

mod leases;
mod workers;

use std::sync::{Arc, OnceLock};
use std::time::Duration;
use zksettle_core::stf::BatchWitness;
use zksettle_core::BatchShape;
use zksettle_prover::{BatchKeys, BatchProver, ProverPool};
use zksettle_prover_queue::{JobQueue, NewJob, Worker, WorkerOptions};
use zksettle_test_support::postgres::Postgres;
use zksettle_test_support::{deposit, domain, World};

/// The smallest tree (4 accounts) with room for one deposit: a small circuit, quick proofs.
const SHAPE: BatchShape = BatchShape {
    depth: 2,
    chunks: 10,
    fee_slots: 1,
};

/// Insecure development keys of [`SHAPE`], made once per test binary.
fn prover() -> Arc<BatchProver> {
    static PROVER: OnceLock<Arc<BatchProver>> = OnceLock::new();
    PROVER
        .get_or_init(|| {
            let keys = BatchKeys::insecure_setup(SHAPE, b"zksettle queue tests").unwrap();
            Arc::new(BatchProver::new(keys, domain()).unwrap())
        })
        .clone()
}

/// `n` consecutive batches (1..=n), each one deposit.
fn batches(n: u64) -> Vec<BatchWitness> {
    let mut world = World::new(SHAPE);
    (0..n)
        .map(|i| {
            let to = 1 + (i % 3) as u32;
            world
                .batch(
                    vec![deposit(to, 0, 1_000 + u128::from(i as u32), 1)],
                    vec![],
                )
                .witness
        })
        .collect()
}

fn job(witness: &BatchWitness, max_attempts: u32) -> NewJob<'_> {
    NewJob {
        domain: domain(),
        key_hash: prover().keys().vk_hash,
        witness,
        max_attempts,
    }
}

/// A server, and a queue in a database of its own.
async fn queue() -> (Postgres, Arc<JobQueue>, String) {
    let mut postgres = Postgres::start();
    let url = postgres.new_database();
    let queue = Arc::new(JobQueue::connect(&url).await.unwrap());
    (postgres, queue, url)
}

/// A worker named `name` with one slot on one thread.
fn worker(queue: &Arc<JobQueue>, name: &str, options: WorkerOptions) -> Arc<Worker> {
    let pool = ProverPool::with_prover(prover(), 1, 1).unwrap();
    Arc::new(Worker::new(queue.clone(), Arc::new(pool), name, options))
}

/// Quick leases and polls, for tests that wait on them.
fn quick() -> WorkerOptions {
    WorkerOptions {
        lease: Duration::from_secs(5),
        heartbeat: Duration::from_millis(500),
        poll: Duration::from_millis(100),
    }
}
