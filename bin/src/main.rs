//! # zksettle
//!
//! The `zksettle` command-line tool, a binary over the library crates (as reth's `bin/reth` is
//! over its own): the operator's `node` and `devnet`, the user's `wallet`, the auditor's
//! `verify` (the verifier crate's own CLI, also built alone as `zksettle-verify`), the keys'
//! `setup` and `prover`, `l1 deploy`, `simulate` and the `bench` measurements.
//!
//! Subcommands and their flags. Flags are dotted by subsystem (`--batch.chunks`) and every flag
//! can also be set from the environment (`ZKSETTLE_BATCH_CHUNKS`).
//!
//! ## Map
//! - `devnet`: the whole system in one process (embedded EVM, node, prover, funded account).
//! - `node`: the sequencer node against a JSON-RPC base chain.
//! - `wallet`: keys, balances, transfers, withdrawals, deposits and forced exits.
//! - `keygen`: a circomlib-compatible EdDSA-Poseidon key pair.
//! - `simulate [--prove]`: the batch state transition over a RocksDB account tree with signed
//!   random traffic, then the state rebuilt from the posted pubdata alone.
//! - `prover` (and `setup`): the insecure development keys of a shape, cached on disk, or a
//!   ceremony's `.zkey` checked against the shape's circuit; `.wtns` witnesses of batches;
//!   `prover worker`, a prover on the node's PostgreSQL job queue, and `prover queue`, its
//!   status and retries (`worker.rs`).
//! - `setup ceremony`: a phase-2 ceremony in snarkjs' formats (`new`, `contribute`, `beacon`,
//!   `verify`, `finalize`, and `dev-ptau` for tests).
//! - `circuit export-r1cs`: a shape's constraint system as an iden3 `.r1cs` file.
//! - `l1`: contract deployment on a JSON-RPC node.
//! - `bench`: measurements beside the figures they must beat.

mod bench;
mod ceremony;
mod circuit;
mod devnet;
mod keygen;
mod l1;
mod node;
mod proof_system;
mod prove;
mod prover;
mod simulate;
/// `zksettle verify`: the offline verifier's subcommands, from the verifier crate.
mod verify {
    pub(crate) use zksettle_verifier::cli::{run, VerifyCommand};
}
mod wallet;
mod worker;

use clap::{Parser, Subcommand};

/// zksettle: a zero-knowledge rollup settlement layer.
#[derive(Debug, Parser)]
#[command(name = "zksettle", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run everything in one process: contracts on an embedded EVM, the node, the prover and a
    /// funded development account.
    Devnet(devnet::DevnetArgs),
    /// Run the sequencer node against a JSON-RPC base chain.
    Node(Box<node::NodeArgs>),
    /// Generate an EdDSA-Poseidon key pair (circomlibjs / zk-kit compatible).
    Keygen(keygen::KeygenArgs),
    /// Run the batch state transition over signed random traffic and verify the replay.
    Simulate(simulate::SimulateArgs),
    /// Make (or load) the insecure development keys of a shape, or check a ceremony's key;
    /// the same as `prover setup`. `setup ceremony …` runs a ceremony for production keys.
    Setup(prover::SetupArgs),
    /// Proving keys.
    #[command(subcommand)]
    Prover(prover::ProverCommand),
    /// The batch circuit in the ecosystem's formats (`export-r1cs`).
    #[command(subcommand)]
    Circuit(circuit::CircuitCommand),
    /// A user's wallet: keys, balances, transfers, withdrawals, deposits and forced exits.
    #[command(subcommand)]
    Wallet(wallet::WalletCommand),
    /// The base chain: contract deployment.
    #[command(subcommand)]
    L1(l1::L1Command),
    /// Offline verification, trusting no sequencer: one batch, the whole chain from L1 data,
    /// exit proofs.
    #[command(subcommand)]
    Verify(verify::VerifyCommand),
    /// Measurements that print zksettle's figure beside the target it must beat.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

impl Cli {
    fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Devnet(args) => devnet::run(&args),
            Command::Node(args) => node::run(&args),
            Command::Keygen(args) => keygen::run(&args),
            Command::Simulate(args) => simulate::run(&args),
            Command::Setup(args) => prover::setup(&args),
            Command::Prover(command) => prover::run(&command),
            Command::Circuit(command) => circuit::run(&command),
            Command::L1(command) => l1::run(&command),
            Command::Wallet(command) => wallet::run(&command),
            Command::Verify(command) => verify::run(&command),
            Command::Bench(command) => bench::run(&command),
        }
    }
}

/// Logs to stderr; `RUST_LOG` filters (default: info for zksettle, warnings elsewhere). Colour
/// only when stderr is a terminal and `NO_COLOR` is unset, so a log redirected to a file holds
/// no escape codes.
pub(crate) fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,zksettle=info,zksettle_sequencer=info")
    });
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

fn main() -> eyre::Result<()> {
    Cli::parse().run()
}
