//! `zksettle bench`: measurements that print zksettle's figure beside the target or reference
//! it must beat, from one run. `msm`, `prove` and `cluster` live in their own modules.
//!
//! `zksettle bench load`: how many signed transfers a node accepts per second over loopback
//! JSON-RPC, and how long a submitter waits (p50/p99), against the target of 10,000/s with p99
//! under 50 ms; the harness is `zksettle_benches::load`.

mod cluster;
mod msm;
mod prove;
mod snarkjs;
mod systems;

use super::prover::KeyArgs;
use clap::{Args, Subcommand};
use zksettle_benches::load::{self, LoadPlan};

/// JSON-RPC transport of the load clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Transport {
    /// HTTP/1.1, a keep-alive connection per submitter.
    Http,
    /// WebSocket, 16 submitters per connection.
    Ws,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Signed transfers per second a node accepts over loopback, and submit latency p50/p99.
    Load(LoadArgs),
    /// zksettle's MSM beside ark-ec's on the same points, G1 and G2, as a ratio (target ≥ 3x on
    /// G1).
    Msm(msm::MsmArgs),
    /// A batch of signed transfers proven by zksettle and by `ark_groth16::Groth16::prove` on
    /// the same circuit and keys, as a ratio (target ≥ 2.5x); with a ceremony's `.zkey`, also
    /// by `snarkjs groth16 prove`.
    Prove(prove::ProveArgs),
    /// Batches proven per minute by `zksettle prover worker` processes on a PostgreSQL queue
    /// (`--queue`, an empty one), 1, 2, 4… of them on this machine, beside the in-process
    /// prover; and the database's transactions per proof.
    Cluster(cluster::ClusterArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// Sending accounts (each sends `transactions / senders` transfers in nonce order).
    #[arg(long, default_value_t = 256)]
    senders: usize,
    /// Transfers sent in all.
    #[arg(long, default_value_t = 50_000)]
    transactions: usize,
    /// Concurrent submitters, each with one request in flight (one HTTP connection each; over
    /// WebSocket, 16 share a connection).
    #[arg(long, default_value_t = 128)]
    connections: usize,
    /// Transfers per request: 1 sends each with `zks_sendTransaction`; more send that many per
    /// `zks_sendTransactions` call (as an exchange or a wallet backend submitting in bulk would).
    #[arg(long = "per-request", default_value_t = 1)]
    per_request: usize,
    /// Transfers sent before the clock starts (spread over the submitters), so that the figures
    /// are of a node that has run for a moment: code paged in, caches and connections warm.
    #[arg(long, default_value_t = 2_000)]
    warmup: usize,
    /// How submitters reach the node.
    #[arg(long, value_enum, default_value_t = Transport::Http)]
    transport: Transport,
    /// Account tree depth of the deployment.
    #[arg(long = "tree.depth", default_value_t = 16)]
    depth: u8,
    /// Chunks per batch of the deployment (the devnet's, so its cached keys serve).
    #[arg(long = "batch.chunks", default_value_t = 16)]
    chunks: usize,
    #[command(flatten)]
    keys: KeyArgs,
}

pub(crate) fn run(command: &BenchCommand) -> eyre::Result<()> {
    match command {
        BenchCommand::Load(args) => load(args),
        BenchCommand::Msm(args) => msm::run(args),
        BenchCommand::Prove(args) => prove::run(args),
        BenchCommand::Cluster(args) => cluster::run(args),
    }
}

fn load(args: &LoadArgs) -> eyre::Result<()> {
    super::init_tracing();
    let (shape, keys) = args
        .keys
        .single_fee_slot(args.depth, args.chunks, "bench")?;
    let plan = LoadPlan {
        senders: args.senders,
        transactions: args.transactions,
        connections: args.connections,
        per_request: args.per_request,
        warmup: args.warmup,
        transport: match args.transport {
            Transport::Http => load::Transport::Http,
            Transport::Ws => load::Transport::Ws,
        },
    };
    let report = load::run(&plan, shape, &keys)?;
    report.print(&plan);
    Ok(())
}
