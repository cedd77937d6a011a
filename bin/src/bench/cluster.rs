//! `zksettle bench cluster`: batches proven per minute by `zksettle prover worker` processes on
//! the PostgreSQL job queue, beside one in-process prover proving the same batches with every
//! core (the node without a queue).
//!
//! Each row starts `w` worker processes on this machine, each limited to `cores / w` threads
//! (at least one: more workers than cores share them), waits until every one has its key and
//! constraint matrices ready (as a long-running worker has), then queues the run of batches and
//! times until the last proof is stored. Neither side builds fixed-base tables. The database's
//! transactions per proof (from `pg_stat_database`, the bench's own once-a-second poll
//! included, as a node's pass would be) show what one proof costs PostgreSQL; a last row
//! cycles jobs through the database alone (`capacity`) to find how many such workers one
//! PostgreSQL could serve.

use super::super::prover::{progress_bar, KeyArgs};
use clap::Args;
use eyre::WrapErr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zksettle_benches::workload::transfer_run;
use zksettle_prover::{BatchProver, ProverPool};
use zksettle_prover_queue::{JobQueue, NewJob, Outcome};

#[derive(Debug, Args)]
pub(crate) struct ClusterArgs {
    /// The queue's database; it must hold no jobs (the bench's are deleted afterwards).
    #[arg(long = "queue", env = "ZKSETTLE_PROVER_QUEUE")]
    queue: String,
    /// Worker processes per row.
    #[arg(long = "workers", value_delimiter = ',', default_value = "1,2,4")]
    workers: Vec<usize>,
    /// Batches each row proves.
    #[arg(long = "batches", default_value_t = 8)]
    batches: u64,
    /// Account tree depth.
    #[arg(long = "tree.depth", default_value_t = 24)]
    depth: u8,
    /// Transfers per batch.
    #[arg(long = "batch.chunks", default_value_t = 1)]
    chunks: usize,
    /// Connections that then cycle jobs through the database alone, to find the queue's
    /// ceiling (0: skip).
    #[arg(long = "capacity.clients", default_value_t = 8)]
    capacity_clients: usize,
    /// Seconds of that.
    #[arg(long = "capacity.seconds", default_value_t = 10)]
    capacity_seconds: u64,
    #[command(flatten)]
    keys: KeyArgs,
}

pub(super) fn run(args: &ClusterArgs) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(cluster(args))
}

async fn cluster(args: &ClusterArgs) -> eyre::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (shape, keys) = args
        .keys
        .single_fee_slot(args.depth, args.chunks, "bench")?;
    let domain = zksettle_core::Domain {
        chain_id: 31337,
        rollup: zksettle_core::L1Address([0x5e; 20]),
    };
    let batches = args.batches.max(1);
    let witnesses =
        transfer_run(shape.depth, shape.chunks, domain, batches).wrap_err("the run of batches")?;
    let key_hash = keys.vk_hash;
    let prover = std::sync::Arc::new(BatchProver::new(keys, domain)?);
    let constraints = prover.constraints().constraints();
    println!(
        "Prover cluster on this machine ({cores} cores): depth {}, {} chunk(s), {constraints} constraints, {batches} batches per row, no fixed-base tables",
        shape.depth, shape.chunks
    );

    // The reference: the node's in-process prover, one proof at a time on every core.
    let bar = progress_bar("in-process prover")?;
    let pool = ProverPool::with_prover(prover, 1, cores)?;
    let started = Instant::now();
    for w in &witnesses {
        pool.prove_on(0, w, &|_| {})?;
    }
    let reference = per_minute(batches, started.elapsed());
    bar.finish_and_clear();
    println!(
        "  in-process ProverPool, 1 proof at a time on {cores} threads: {reference:>6.2} batches/min"
    );

    let queue = JobQueue::connect(&args.queue).await?;
    let stats = queue.stats().await?;
    eyre::ensure!(
        stats.queued + stats.leased + stats.proven + stats.failed == 0,
        "{} holds jobs: give the bench an empty queue",
        queue.url()
    );
    for &workers in &args.workers {
        let workers = workers.max(1);
        let threads = (cores / workers).max(1);
        let bar = progress_bar(&format!("{workers} worker(s)"))?;
        bar.set_message("starting workers");
        let mut children = Vec::new();
        for i in 0..workers {
            children.push(start_worker(args, i, threads)?);
        }
        let row = async {
            for child in &mut children {
                wait_ready(child).await?;
            }
            bar.set_message("proving");
            let before = queue.transactions().await?;
            let started = Instant::now();
            for w in &witnesses {
                queue
                    .enqueue(&NewJob {
                        domain,
                        key_hash,
                        witness: w,
                        max_attempts: 3,
                    })
                    .await?;
            }
            let proven = loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let finished = queue.finished(1, batches).await?;
                if let Some(failed) = finished.iter().find_map(|j| match &j.outcome {
                    Outcome::Failed { error } => Some(error.clone()),
                    Outcome::Proven { .. } => None,
                }) {
                    eyre::bail!("a job failed: {failed}");
                }
                if finished.len() as u64 == batches {
                    break started.elapsed();
                }
            };
            // Backends report their statistics within about a second.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let transactions = queue.transactions().await?.saturating_sub(before);
            Ok::<_, eyre::Report>((proven, transactions))
        }
        .await;
        for child in &mut children {
            stop(child);
        }
        queue.remove_through(batches).await?;
        bar.finish_and_clear();
        let (proven, transactions) = row?;
        let rate = per_minute(batches, proven);
        let shared = if workers > cores {
            format!(", {workers} processes on {cores} cores")
        } else {
            String::new()
        };
        println!(
            "  {workers} worker process(es), {threads} thread(s) each{shared}: {rate:>6.2} batches/min  ratio {:>4.2}x  ({:.1} database transactions per proof)",
            rate / reference,
            transactions as f64 / batches as f64
        );
    }
    if args.capacity_clients > 0 {
        let cycled = capacity(args, &witnesses[0], key_hash, domain).await?;
        // Seconds per proof of one in-process prover on every core.
        let per_proof = 60.0 / reference;
        println!(
            "  the database alone: {cycled:.0} job cycles/s with {} clients (enqueue, claim, heartbeat, complete, read, delete; PostgreSQL and the clients on these {cores} cores): enough for about {:.0} workers at this shape's {:.2} s per proof",
            args.capacity_clients,
            cycled * per_proof,
            per_proof
        );
    }
    Ok(())
}

/// How many whole job lives per second the database takes: `capacity_clients` connections,
/// each repeating every statement one proof costs (its enqueue, claim, one heartbeat,
/// completion, the node's read and delete) on the run's first witness, for
/// `capacity_seconds`. The stored "proof" is 128 zero bytes: the database neither checks nor
/// reads it, and no proving runs, so this is the queue's ceiling, not a cluster's throughput.
async fn capacity(
    args: &ClusterArgs,
    witness: &zksettle_core::stf::BatchWitness,
    key_hash: [u8; 32],
    domain: zksettle_core::Domain,
) -> eyre::Result<f64> {
    let bar = progress_bar("the database alone")?;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1_000_000));
    let deadline = Instant::now() + Duration::from_secs(args.capacity_seconds.max(1));
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..args.capacity_clients {
        let (url, next, witness) = (args.queue.clone(), next.clone(), witness.clone());
        clients.spawn(async move {
            let queue = JobQueue::connect(&url).await?;
            let owner = format!("capacity-{client}");
            let lease = Duration::from_secs(60);
            let mut cycles = 0u64;
            while Instant::now() < deadline {
                let mut job = witness.clone();
                job.number = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                queue
                    .enqueue(&NewJob {
                        domain,
                        key_hash,
                        witness: &job,
                        max_attempts: 3,
                    })
                    .await?;
                // Another client may claim this one; each claims whichever is next.
                let Some(claimed) = queue.claim(&owner, &key_hash, lease).await? else {
                    continue;
                };
                queue.heartbeat(claimed.batch, &owner, lease).await?;
                let proof = [0u8; 128];
                queue
                    .complete(
                        claimed.batch,
                        &owner,
                        &owner,
                        &claimed.commitment,
                        &proof,
                        0.0,
                    )
                    .await?;
                queue.finished(claimed.batch, claimed.batch).await?;
                queue
                    .remove_imported(claimed.batch, &claimed.commitment)
                    .await?;
                cycles += 1;
            }
            Ok::<_, eyre::Report>(cycles)
        });
    }
    let started = Instant::now();
    let mut cycles = 0;
    while let Some(done) = clients.join_next().await {
        cycles += done??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let queue = JobQueue::connect(&args.queue).await?;
    queue.remove_through(u64::MAX >> 1).await?;
    bar.finish_and_clear();
    Ok(cycles as f64 / seconds)
}

fn per_minute(batches: u64, elapsed: Duration) -> f64 {
    batches as f64 * 60.0 / elapsed.as_secs_f64()
}

/// `zksettle prover worker` number `i` with `threads` threads, no tables, the bench's shape and
/// keys; its log on a pipe (read until it is ready, then drained).
fn start_worker(args: &ClusterArgs, i: usize, threads: usize) -> eyre::Result<Child> {
    let exe = std::env::current_exe().wrap_err("this binary's path")?;
    let mut command = Command::new(exe);
    command
        .args(["prover", "worker", "--queue", &args.queue])
        .args(["--threads", &threads.to_string()])
        .args(["--worker.name", &format!("bench-{i}")])
        .args(["--prover.table-memory-mib", "0"])
        .args(["--tree.depth", &args.depth.to_string()])
        .args(["--batch.chunks", &args.chunks.to_string()])
        .args(["--batch.fee-slots", "1"])
        .arg("--prover.keys-dir")
        .arg(&args.keys.keys_dir)
        .args(["--prover.dev-seed", &args.keys.dev_seed])
        // The default filter: `info` everywhere would log arkworks' constraint spans.
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(zkey) = &args.keys.zkey {
        command.arg("--prover.zkey").arg(zkey);
    }
    command.spawn().wrap_err("starting a worker")
}

/// Waits for the worker's "proving jobs" line (its key and matrices are ready), then drains its
/// log on a thread so that it never blocks on a full pipe.
async fn wait_ready(child: &mut Child) -> eyre::Result<()> {
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| eyre::eyre!("a worker without its log"))?;
    let ready = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap_or_default();
            if line.contains("proving jobs") {
                std::thread::spawn(move || lines.for_each(drop));
                return Ok(());
            }
            seen.push(line);
        }
        Err(eyre::eyre!(
            "a worker stopped before it was ready:\n{}",
            seen.join("\n")
        ))
    });
    ready.await?
}

/// SIGTERM (the worker gives its leases back), then waits for it.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
