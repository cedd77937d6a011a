//! # zksettle-circuits
//!
//! The batch validity circuit: R1CS constraints over BN254 that mirror
//! `zksettle_core::stf::apply_batch` slot for slot, with the batch commitment
//! (`docs/protocol.md` §10) as the single public input, fed by the core's
//! [`zksettle_core::stf::BatchWitness`].
//!
//! ## Map
//! - [`batch`]: [`BatchCircuit`], the whole batch: chunks, op framing, fees, commitment.
//! - [`gadgets`]: the constraint building blocks, each enforcing exactly what its native
//!   counterpart in `zksettle-core` computes:
//!   - [`gadgets::poseidon`]: circomlib's Poseidon permutation, 1 to 16 inputs;
//!   - [`gadgets::merkle`]: a leaf write, old and new root along one shared path;
//!   - [`gadgets::num`]: range checks, canonical bit decompositions, packed amounts;
//!   - [`gadgets::babyjubjub`]: curve arithmetic in circomlib's coordinates;
//!   - [`gadgets::eddsa`]: EdDSA-Poseidon verification, switchable per slot;
//!   - [`gadgets::sha256`]: SHA-256 over the commitment's bytes.
//!
//! Every gadget is tested against the native function it mirrors, and with a mutated witness
//! that must leave the constraint system unsatisfied.
//!
//! ## Features
//! - `parallel` (default): a batch's chunks synthesised on rayon's threads
//!   ([`BatchCircuit::full_assignment`](batch::BatchCircuit::full_assignment)), and the core's
//!   parallel hashing and signature checks. Off, the same assignment is made on the calling
//!   thread.

pub mod batch;
pub mod gadgets;

pub use batch::{AssignmentError, BatchAssignment, BatchCircuit};

pub use ark_bn254::Fr;
