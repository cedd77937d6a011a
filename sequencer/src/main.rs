//! `zksettle`: the command-line entry point.
//!
//! Subcommands available so far:
//! - `devnet`: the whole system in one process (embedded EVM, node, prover, funded account).
//! - `node`: the sequencer node against a JSON-RPC base chain.
//! - `keygen`: a circomlib-compatible EdDSA-Poseidon key pair.
//! - `simulate [--prove]`: drives the batch state transition over a RocksDB account tree with signed random
//!   traffic, then rebuilds the state from the posted pubdata alone and checks the roots agree.
//! - `setup` (also `prover setup`): the insecure development keys of a batch shape, cached on disk, with their
//!   verifying-key hash.
//! - `l1 deploy`: the contracts for a shape's verifying key on a JSON-RPC node.

mod cli;

use clap::Parser;

fn main() -> eyre::Result<()> {
    cli::Cli::parse().run()
}
