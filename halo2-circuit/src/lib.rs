//! # zksettle-halo2-circuit
//!
//! The batch validity statement of `docs/circuit.md` as a PLONKish circuit for halo2 with KZG
//! commitments on BN254: the second proof system beside the R1CS/Groth16 one in
//! `zksettle-circuits`, with a universal setup (a powers-of-tau, no per-circuit ceremony) and
//! custom gates where R1CS pays in constraints.
//!
//! ## Why this halo2
//! The deliverable settles on Ethereum, so the commitment scheme must be one the EVM can check
//! with its BN254 precompiles: KZG on BN254, not the zcash crate's IPA over the Pasta curves.
//! Of the `halo2_proofs` descendants on crates.io only Axiom's fork (`halo2-axiom`, lib name
//! `halo2_proofs`) is KZG on BN254; it is what Axiom's and Scroll's EVM-verified circuits run
//! on, and its SRS files are the powers of tau a snarkjs `.ptau` holds (the same points in the
//! same Montgomery encoding). It is pinned exactly: a proof, a key and a generated verifier
//! depend on its transcript and column layout.
//!
//! Axiom's `halo2-base` is not used for the gadgets: its Poseidon is a sponge with a 2^64
//! capacity tag and padding (not circomlib's hash), and its one-gate design spends about 3,800
//! cells on a permutation that a width-wide custom gate lays out in one row per round.
//!
//! One consequence of the fork shapes the code: its floor planner places every region at row 0,
//! so a circuit lays out one region and hands out rows itself ([`layout::Layout`]).
//!
//! ## Map
//! - [`batch`]: the batch circuit, the statement of `zksettle_circuits::BatchCircuit` over the
//!   same witness layout, with the commitment its one public input.
//! - [`field`]: the BN254 scalar field of arkworks (the core's) and of halo2curves, one to one.
//! - [`layout`]: the one region a circuit is laid out in, its row cursor, the columns the chips
//!   share, and [`layout::Tamper`], a cheating prover's change to an advice cell for negative
//!   tests.
//! - [`poseidon`]: circomlib's Poseidon permutation as custom gates per width, one row per
//!   round.
//! - [`arith`]: the general four-cell gate the statement's glue is written in.
//! - [`babyjubjub`]: Baby Jubjub as gates: on-curve, doubling, and a scalar multiplication of
//!   one row per bit that also makes the bits canonical against a bound.
//! - [`eddsa`]: EdDSA-Poseidon verification, switchable per slot like the R1CS gadget.
//! - [`encoding`]: the op fields' pubdata encodings: a field element's canonical bytes,
//!   circomlib's packed point, the packed decimal floats of amounts and fees.
//! - [`merkle`]: a leaf write along one path of the quaternary account tree.
//! - [`range`]: range checks by lookup, a byte per row.
//! - [`spread`]: linear equations over cells and spread pieces (bits interleaved with zeros,
//!   looked up in a table): the gate SHA-256 is written in.
//! - [`sha256`]: SHA-256 by spread-table lookups, and the batch commitment from its digest.
//! - [`transcript`]: the Fiat–Shamir transcript of the proofs, laid out for an EVM verifier.
//!
//! ## Status
//! The statement is complete and held to the R1CS circuit by differential tests (the same
//! accepted batches, the same refused mutations); every chip is bit-exact with the core
//! function it mirrors, has a negative test over every advice cell it assigns, and makes a real
//! KZG proof that verifies. `zksettle-prover`'s `halo2` module proves batches, and
//! `zksettle-halo2-evm` compiles their key for the EVM verifier; the rollup's proof interface,
//! the node's choice of system and the side-by-side bench are still to come (issue 29).

pub mod arith;
pub mod babyjubjub;
pub mod batch;
pub mod eddsa;
pub mod encoding;
pub mod field;
pub mod layout;
pub mod merkle;
pub mod poseidon;
pub mod range;
pub mod sha256;
pub mod spread;
pub mod transcript;

pub use halo2_proofs;
/// The BN254 scalar field as halo2 sees it.
pub use halo2_proofs::halo2curves::bn256::Fr;
