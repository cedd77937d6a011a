//! Subcommands and their flags. Flags are dotted by subsystem (`--batch.chunks`) and every flag
//! can also be set from the environment (`ZKSETTLE_BATCH_CHUNKS`).

mod keygen;
mod l1;
mod prove;
mod prover;
mod simulate;

use clap::{Parser, Subcommand};

/// zksettle: a zero-knowledge rollup settlement layer.
#[derive(Debug, Parser)]
#[command(name = "zksettle", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an EdDSA-Poseidon key pair (circomlibjs / zk-kit compatible).
    Keygen(keygen::KeygenArgs),
    /// Run the batch state transition over signed random traffic and verify the replay.
    Simulate(simulate::SimulateArgs),
    /// Proving keys.
    #[command(subcommand)]
    Prover(prover::ProverCommand),
    /// The base chain: contract deployment.
    #[command(subcommand)]
    L1(l1::L1Command),
}

impl Cli {
    pub(crate) fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Keygen(args) => keygen::run(&args),
            Command::Simulate(args) => simulate::run(&args),
            Command::Prover(command) => prover::run(&command),
            Command::L1(command) => l1::run(&command),
        }
    }
}
