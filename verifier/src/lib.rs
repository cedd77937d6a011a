//! # zksettle-verifier
//!
//! Verification for those who do not run the sequencer and do not trust it: auditors,
//! exchanges, users planning an exit. It depends on the core, the verifying-key encodings
//! (`zksettle-groth16-evm`, `zksettle-halo2-evm`) and the L1 bindings without their embedded EVM: never on the
//! sequencer, the prover or RocksDB. `cargo build --release -p zksettle-verifier --bin
//! zksettle-verify` builds the auditor's binary alone.
//!
//! ## Map
//! - [`batch`]: many Groth16 proofs under one key checked with one multi-pairing (a random
//!   linear combination), and the one-by-one check that locates a bad proof.
//! - `miller` (private): the BN254 multi-Miller loop the batch check runs, with affine G2
//!   steps sharing one inversion per step across all pairs.
//! - [`halo2`]: halo2 batch proofs checked with the reference of `Halo2Verifier.sol` over the
//!   key contracts' bytes; [`ProofChecker`], the deployment's key of either system.
//! - [`snarkjs`]: snarkjs' JSON formats (`verification_key.json`, `proof.json`,
//!   `public.json`), exported and imported with every point checked.
//! - [`export`]: one batch with its data and proof ([`BatchExport`]), checked alone
//!   (`zksettle verify batch`).
//! - [`l1data`]: everything L1 holds about a rollup ([`L1Record`]), read from a node or from an
//!   export directory.
//! - [`rebuild`](mod@rebuild): the whole state rebuilt from an [`L1Record`] and checked against the contract
//!   (`zksettle verify chain`).
//! - [`exit`]: the Merkle proof and `exit` call an account holder needs in exodus.
//! - [`proofs`]: any snarkjs Groth16 BN254 proof, one or many at once, each bad one named.
//! - `cli` (feature `cli`, default): the `zksettle-verify` binary's subcommands, also
//!   `zksettle verify` in the main binary.

pub mod batch;
#[cfg(feature = "cli")]
pub mod cli;
pub mod exit;
pub mod export;
pub mod halo2;
pub mod l1data;
mod miller;
pub mod proofs;
pub mod rebuild;
pub mod snarkjs;
#[cfg(test)]
mod tests;

pub use batch::{BatchVerifier, BatchVerifyError, Claim};
pub use exit::{exit_proof, ExitError, ExitProof};
pub use export::{BatchExport, BatchFileError, BatchProofData};
pub use halo2::{Halo2BatchVerifier, ProofChecker};
pub use l1data::{ChainHeader, L1Record, SourceError};
pub use rebuild::{rebuild, AccountEntry, ChainReport, RebuildError, Rebuilt, Step};
pub use snarkjs::{SnarkjsError, SnarkjsKey, SnarkjsProof};
