//! # zksettle-prover
//!
//! Turns the core's batch witnesses into Groth16 proofs (BN254) of the batch circuit, and keeps
//! the keys that make and check them.
//!
//! ## Map
//! - [`keys`]: [`BatchKeys`], a shape's keys: a ceremony's `.zkey` checked against the
//!   shape's circuit, or the **insecure development setup** (deterministic from a seed, for
//!   devnets) with its key files and on-disk cache; the verifying-key hash that ties proofs,
//!   contracts and verifiers together.
//! - [`evm`]: verifying keys and proofs as EVM words (EIP-196/197), and the verifying-key hash
//!   computed over them, the same on-chain and off (the `zksettle-groth16-evm` leaf crate,
//!   re-exported).
//! - [`prove`]: [`BatchProver`], witness → proof, over the shape's [`ShapeConstraints`] made
//!   once.
//! - [`groth16`]: the Groth16 prover itself: the R1CS-to-QAP witness map ([`qap`], on the
//!   radix-2 transforms of [`ntt`]), the MSMs on an [`Msm`] backend ([`Pippenger`] by
//!   default), the witness map beside the MSMs that do not need it.
//! - [`field`]: the field arithmetic the MSM and the QAP's FFTs call inline, with a
//!   [`field::Multiplier`] chosen once per call: `ark-ff`'s, or MULX/ADX assembly
//!   ([`field::adx`]) where the CPU has it, with eight-lane AVX-512 IFMA arithmetic
//!   ([`field::ifma`]) for G1's bucket additions where it has that too.
//! - [`msm`]: the [`Msm`] backend trait, `ark-ec`'s MSM as the reference ([`ArkMsm`]) and
//!   zksettle's [`Pippenger`] (signed digits, batched affine buckets), and fixed-base tables
//!   ([`msm::FixedBases`]).
//! - [`tables`]: [`KeyTables`], a proving key's queries prepared as fixed-base tables within a
//!   memory budget, built once per prover.
//! - [`backend`]: where the key's G1 MSMs run, `--prover.msm auto|cpu|gpu` ([`MsmDevice`]),
//!   and `gpu` (the `gpu` feature): the G1 MSM on any Vulkan, Metal or DX12 adapter through
//!   wgpu's WGSL compute shaders, the key's G1 queries resident on the device.
//! - [`iden3`]: the circuit as an iden3 `.r1cs` file and an assignment as a `.wtns` file, the
//!   formats snarkjs and its ceremonies read.
//! - [`zkey`]: snarkjs' Groth16 proving key (`.zkey`) read and checked point by point into
//!   arkworks' key, its `H` query in the basis of [`qap::Reduction::Circom`]: the keys of a
//!   ceremony run with snarkjs prove with zksettle's prover (a test has snarkjs verify one),
//!   checked against the circuit it is offered for, and written back byte for byte.
//! - [`ceremony`]: the phase-2 setup in snarkjs' formats: a `.ptau` reader and the ceremony's
//!   first key, the bytes `snarkjs groth16 setup` writes.
//! - [`kzg`]: KZG parameters for the halo2 circuit (`zksettle-halo2-circuit`) from the same
//!   snarkjs powers of tau, checked to be powers of one `τ`: halo2's universal setup.
//! - [`halo2`]: the second proof system: halo2 keys of a batch shape from [`kzg`] parameters,
//!   batch proofs in the EVM transcript (GWC openings) and their verification;
//!   [`halo2::Halo2BatchProver`], witness → checked proof, as [`BatchProver`] is for Groth16.
//! - [`pool`]: [`ProverPool`], several proofs side by side when memory allows.
//! - [`progress`]: [`Progress`], the phase and fraction done that setup and proving report to a
//!   callback (the CLI renders it as a progress bar).
//!
//! The harnesses that time the prover beside `ark_groth16` and `ark-ec` live in the benches
//! crate (`zksettle-benches`), not here.
//!
//! Proving uses every core: witness generation runs over the batch's chunks on rayon, and the
//! FFTs and MSMs run on rayon too.
//!
//! ## Features
//! - `asm` (default): the x86-64 fast paths, MULX/ADX assembly products and AVX-512 IFMA
//!   lanes, each taken only when run-time detection finds the instructions (a type that only
//!   detection builds carries the proof). Without it, or on another architecture, every product
//!   is `ark-ff`'s; the platform is chosen in [`field`] alone, so no algorithm has a `cfg`.
//! - `parallel` (default): every core, through rayon (and arkworks' own `parallel`
//!   features). The algorithms are written against [`parallel`]'s names, which without the
//!   feature are sequential stand-ins with the same signatures: the same proofs on the calling
//!   thread, rayon not compiled.
//! - `gpu`: the `gpu` module's MSM backend (wgpu, WGSL compiled by the driver at run time: no GPU
//!   toolkit at build time). Without it `--prover.msm gpu` is a clear error and `auto` the CPU.

/// The EVM encoding of keys and proofs, from its own leaf crate (re-exported for callers).
pub use zksettle_groth16_evm as evm;
pub mod backend;
pub mod ceremony;
pub mod field;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod groth16;
pub mod halo2;
pub mod iden3;
pub mod keys;
pub mod kzg;
pub mod msm;
pub mod ntt;
pub mod parallel;
pub mod pool;
pub mod progress;
pub mod prove;
pub mod qap;
pub mod tables;
pub mod zkey;

pub use backend::{MsmDevice, MsmPlacement};
pub use evm::vk_hash;
pub use keys::{BatchKeys, KeyError, KeyStore, INSECURE_SETUP_NOTICE};
pub use msm::{ArkMsm, Msm, MsmError, Pippenger};
pub use pool::{ProverPool, PEAK_BYTES_PER_CONSTRAINT};
pub use progress::{ignore_progress, Progress};
pub use prove::{verify, BatchProof, BatchProver, ProverError, ShapeConstraints, StoredTables};
pub use tables::{key_digest, KeyTables, TablesFileError, DEFAULT_TABLE_BYTES};
