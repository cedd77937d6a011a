//! # zksettle-verifier
//!
//! Verification for those who do not run the sequencer and do not trust it: auditors,
//! exchanges, users planning an exit. It never depends on the sequencer.
//!
//! - [`batch`]: many Groth16 proofs under one key checked with one multi-pairing (a random
//!   linear combination), and the one-by-one check that locates a bad proof.
//! - [`snarkjs`]: snarkjs' JSON formats (`verification_key.json`, `proof.json`,
//!   `public.json`), exported and imported with every point checked.
//!
//! Rebuilding the chain from L1 data (`zksettle_core::stf::replay_batch`) and the CLI are the
//! rest of the offline-verifier issue.

pub mod batch;
pub mod snarkjs;
#[cfg(test)]
mod tests;

pub use batch::{BatchVerifier, BatchVerifyError, Claim};
pub use snarkjs::{SnarkjsError, SnarkjsKey, SnarkjsProof};
