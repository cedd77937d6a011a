//! `zksettle prover worker`: a prover on the PostgreSQL job queue, on any machine, any number
//! of them; and `zksettle prover queue status|retry`, the operator's view of the queue.

use super::prover::{place_msm, KeyArgs, MsmArgs, ShapeArgs};
use clap::{Args, Subcommand};
use eyre::WrapErr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use zksettle_core::{Domain, L1Address};
use zksettle_prover::{BatchProver, ProverPool};
use zksettle_prover_queue::{JobQueue, Outcome, Worker, WorkerOptions};

#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    /// The prover job queue: the node's `[prover] queue`
    /// (`postgres://user[:password]@host[:port]/database`).
    #[arg(long = "queue", env = "ZKSETTLE_PROVER_QUEUE")]
    queue: String,
    /// Proofs made side by side, each on its own share of the threads.
    #[arg(long = "workers", default_value_t = 1)]
    workers: usize,
    /// Threads to prove on, shared by the workers (default: every core).
    #[arg(long = "threads")]
    threads: Option<usize>,
    /// The name the node credits this machine's proofs to (default: the hostname).
    #[arg(long = "worker.name", env = "ZKSETTLE_WORKER_NAME")]
    name: Option<String>,
    /// How long a job stays this worker's without a heartbeat (heartbeats every quarter of
    /// it): a worker that dies loses its job this long after its last heartbeat.
    #[arg(long = "worker.lease-seconds", default_value_t = 60)]
    lease_seconds: u64,
    /// Memory for the proving key's fixed-base tables, MiB (0: none), built in the background
    /// at start and kept in `--prover.keys-dir` for the next start.
    #[arg(long = "prover.table-memory-mib", default_value_t = 1024)]
    table_memory_mib: u64,
    /// Prometheus `/metrics` listen address.
    #[arg(long = "metrics.addr", env = "ZKSETTLE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    #[command(flatten)]
    msm: MsmArgs,
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// Jobs by status, the oldest waits, and every failed job with its reason.
    Status(QueueArgs),
    /// Queue a failed job again with fresh attempts (once its cause is fixed).
    Retry {
        #[command(flatten)]
        queue: QueueArgs,
        /// The batch.
        #[arg(long = "batch")]
        batch: u64,
    },
}

#[derive(Debug, Args)]
pub(crate) struct QueueArgs {
    /// The prover job queue.
    #[arg(long = "queue", env = "ZKSETTLE_PROVER_QUEUE")]
    queue: String,
}

pub(crate) fn run_worker(args: &WorkerArgs) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(worker(args))
}

async fn worker(args: &WorkerArgs) -> eyre::Result<()> {
    super::init_tracing();
    super::node::install_metrics(args.metrics_addr)?;
    let queue = Arc::new(
        JobQueue::connect(&args.queue)
            .await
            .wrap_err("opening the prover queue")?,
    );
    let keys = args.keys.load_or_setup(args.shape.shape())?;
    let key_hash = hex::encode(keys.vk_hash);
    // Each job names its deployment and is proven in it (`ProverPool::prove_in_on`); the
    // prover's own domain is never used.
    let unused = Domain {
        chain_id: 0,
        rollup: L1Address([0; 20]),
    };
    let prover = BatchProver::new(keys, unused)?;
    let prover = Arc::new(place_msm(prover, args.msm.msm.unwrap_or_default())?);
    build_tables(args, &prover);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = Arc::new(ProverPool::with_prover(prover, args.workers, threads)?);
    let name = args.name.clone().unwrap_or_else(hostname);
    let lease = Duration::from_secs(args.lease_seconds.max(4));
    let options = WorkerOptions {
        lease,
        heartbeat: lease / 4,
        ..WorkerOptions::default()
    };
    let worker = Arc::new(Worker::new(queue.clone(), pool, &name, options));
    tracing::info!(
        worker = %name,
        queue = %queue.url(),
        key = %format!("0x{key_hash}"),
        slots = args.workers.max(1),
        threads,
        "proving jobs"
    );
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping: giving leases back");
        stop.cancel();
    });
    worker.run(&args.queue, cancel).await;
    Ok(())
}

/// Builds (or reads back) the key's fixed-base tables on one thread in the background; proofs
/// use them once ready.
fn build_tables(args: &WorkerArgs, prover: &Arc<BatchProver>) {
    if args.table_memory_mib == 0 {
        return;
    }
    let budget =
        usize::try_from(args.table_memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    let (prover, dir) = (prover.clone(), args.keys.keys_dir.clone());
    std::thread::spawn(move || {
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(eyre::Report::from)
            .and_then(|pool| {
                Ok(prover
                    .load_or_build_tables_on(budget, &pool, &dir)?
                    .tables
                    .memory_bytes())
            });
        match built {
            Ok(bytes) => tracing::info!(mib = bytes >> 20, "fixed-base tables ready"),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "proving without fixed-base tables")
            }
        }
    });
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into())
}

pub(crate) fn run_queue(command: &QueueCommand) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            QueueCommand::Status(args) => status(args).await,
            QueueCommand::Retry { queue, batch } => {
                let queue = JobQueue::connect(&queue.queue).await?;
                eyre::ensure!(
                    queue.retry_failed(*batch).await?,
                    "batch {batch} has no failed job in {}",
                    queue.url()
                );
                println!("batch {batch} queued again");
                Ok(())
            }
        }
    })
}

async fn status(args: &QueueArgs) -> eyre::Result<()> {
    let queue = JobQueue::connect(&args.queue).await?;
    let stats = queue.stats().await?;
    let failed: Vec<_> = queue
        .finished(0, i64::MAX as u64)
        .await?
        .into_iter()
        .filter_map(|job| match job.outcome {
            Outcome::Failed { error } => Some(serde_json::json!({
                "batch": job.batch, "attempts": job.attempts, "error": error,
            })),
            Outcome::Proven { .. } => None,
        })
        .collect();
    let out = serde_json::json!({
        "queued": stats.queued,
        "leased": stats.leased,
        "proven_not_imported": stats.proven,
        "failed": failed,
        "oldest_queued_seconds": stats.oldest_queued_seconds,
        "oldest_lease_seconds": stats.oldest_lease_seconds,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
