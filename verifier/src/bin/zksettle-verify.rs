//! `zksettle-verify`: the offline verifier on its own. It builds with the verifier's
//! dependencies only (arkworks, alloy's JSON-RPC client): no sequencer, no RocksDB, no EVM.
//! The same subcommands are `zksettle verify …` in the main binary.

use clap::Parser;

/// Checks snarkjs Groth16 BN254 proofs of any circuit, zksettle batches, or the whole chain
/// rebuilt from L1 data alone, trusting no sequencer.
#[derive(Debug, Parser)]
#[command(name = "zksettle-verify", version)]
struct Cli {
    #[command(subcommand)]
    command: zksettle_verifier::cli::VerifyCommand,
}

fn main() -> eyre::Result<()> {
    zksettle_verifier::cli::run(&Cli::parse().command)
}
