//! # zksettle-halo2-evm
//!
//! zksettle's halo2 verifying keys compiled for one fixed EVM verifier, and that verifier's
//! algorithm in Rust.
//!
//! A verifier generated per circuit (snark-verifier's) unrolls every gate into code, and the
//! batch circuit's gates alone are past EIP-170's 24,576 bytes (`docs/circuit.md` has the
//! measurement). Here the circuit lives in data instead: [`key::EvmKey`] holds the counts, the
//! fixed and permutation commitments, the gates and lookups as a small stack program
//! ([`program`]), and the schedule of openings; one interpreter, whatever the circuit,
//! verifies with it. The proof format is halo2's with GWC openings and the EVM-layout
//! transcript of `zksettle_halo2_circuit::transcript`.
//!
//! ## Map
//! - [`program`]: the stack program and its interpreter.
//! - [`key`]: compiling a halo2 verifying key (with its SRS) into an [`key::EvmKey`].
//! - [`encoding`]: the key as the bytes the contract reads, cut into key contracts.
//! - [`mod@reference`]: verification over an [`key::EvmKey`] alone, checked against halo2's
//!   `verify_proof`.
//! - [`sample`]: a circuit with every feature the verifier handles, and a proof of it: the
//!   fixture the reference verifier and the contract are checked on.
//!
//! Leaf of the halo2 side (it depends on the circuit crate for the transcript only), so that
//! the prover, the L1 crate and the offline verifier share it.

pub mod decoding;
pub mod encoding;
pub mod key;
pub mod program;
pub mod reference;
pub mod sample;

pub use zksettle_halo2_circuit::halo2_proofs;
/// The proof's transcript (its byte format is the verifier's input).
pub use zksettle_halo2_circuit::transcript;
/// The BN254 scalar field.
pub use zksettle_halo2_circuit::Fr;

#[cfg(test)]
mod tests;
