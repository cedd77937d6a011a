//! # zksettle-circuits
//!
//! The batch validity circuit: R1CS constraints over BN254 that mirror
//! `zksettle_core::stf::apply_batch` slot for slot, with the batch commitment
//! (`docs/protocol.md` §10) as the single public input, fed by the core's
//! [`zksettle_core::stf::BatchWitness`].
//!
//! The circuit is the subject of its own issue ("Batch validity circuit and Groth16 prover"); this
//! crate holds no constraints yet, only its place in the dependency order
//! `core ← circuits ← prover ← sequencer`.
