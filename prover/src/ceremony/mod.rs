//! Groth16's circuit-specific setup (phase 2) in snarkjs' formats, so that zksettle and snarkjs
//! take part in one ceremony: the universal powers of tau come from a `.ptau` file (the
//! Perpetual Powers of Tau or any snarkjs ceremony), and every key is a `.zkey` byte for byte
//! as snarkjs writes it.
//!
//! - [`ptau`]: the `.ptau` reader.
//! - [`initial_key`]: the ceremony's first key from the powers of tau and the circuit, the
//!   same bytes as `snarkjs groth16 setup` (`zkey new`).
//! - [`contribute`] and [`beacon`]: a contribution, with the operating system's and the
//!   contributor's entropy or from a public beacon (the same bytes as `snarkjs zkey beacon`),
//!   on snarkjs' random stream (`rng`).
//! - [`dev_ptau`]: an insecure powers of tau from a public seed, for tests and devnets.
//! - [`verify`]: the whole ceremony checked against the powers of tau and the circuit, as
//!   `snarkjs zkey verify` checks it.
//!
//! The formats, and snarkjs' choices a compatible tool must copy, are in
//! `docs/snarkjs-formats.md`.

mod contribute;
pub mod dev_ptau;
mod initial;
pub mod ptau;
mod rng;
mod verify;

pub use contribute::{beacon, contribute, contribution_hash};
pub use initial::initial_key;
pub use ptau::Ptau;
pub use verify::{verify, Verified, VerifyFault};

use crate::zkey::binfile::{PointError, PointFault};
use std::path::PathBuf;

/// Why a ceremony step failed. Every variant names what was wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not start with `ptau`.
    #[error("not a .ptau file (it starts with {0:?}, not \"ptau\")")]
    NotAPtau([u8; 4]),
    /// A `.ptau` container version this reader does not know.
    #[error(".ptau version {0}; version 1 is read")]
    PtauVersion(u32),
    /// The `.ptau` ends inside a header or section.
    #[error("the .ptau file ends inside {0}")]
    PtauTruncated(&'static str),
    /// A `.ptau` section appears twice.
    #[error("the .ptau file's section {0} appears twice")]
    PtauDuplicateSection(u32),
    /// A `.ptau` section is missing.
    #[error("the .ptau file has no section {0}")]
    PtauMissingSection(u32),
    /// A `.ptau` section's size does not match its power.
    #[error(
        "the .ptau file's section {section} holds {found} bytes; its power implies {expected}"
    )]
    PtauSectionSize {
        /// The section.
        section: u32,
        /// Bytes implied by the power.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The `.ptau` is over another curve.
    #[error("the .ptau file is not over BN254")]
    PtauOtherCurve,
    /// The `.ptau` header is inconsistent.
    #[error("the .ptau header is inconsistent: {0}")]
    PtauHeader(&'static str),
    /// The `.ptau` has no Lagrange sections.
    #[error(
        "{0} has no Lagrange sections: run `snarkjs powersoftau prepare phase2` on it (the \
         Perpetual Powers of Tau's files named `…_final_NN.ptau` are prepared)"
    )]
    PtauNotPrepared(PathBuf),
    /// The circuit needs a larger powers of tau.
    #[error(
        "the circuit needs a domain of 2^{needs} points; this powers of tau goes to 2^{has}: use \
         the file of power {needs} or more"
    )]
    PtauTooSmall {
        /// The power the circuit needs.
        needs: u32,
        /// The file's.
        has: u32,
    },
    /// The circuit fills the powers of tau exactly at a size where snarkjs' circuit hash reads
    /// bytes past the powers (see `docs/snarkjs-formats.md`), which zksettle does not copy.
    #[error(
        "the circuit's domain (2^{power} points) fills this powers of tau exactly, where \
         snarkjs' circuit hash takes bytes from past the end of the powers; use the file of \
         power {next} so that both tools compute the same hash"
    )]
    PtauExactlyFull {
        /// The circuit's and the file's power.
        power: u32,
        /// The power to use.
        next: u32,
    },
    /// The circuit given is not an R1CS: it does not have exactly the matrices A, B and C.
    #[error("an R1CS has three matrices (A, B, C); the circuit given has {0}")]
    NotAnR1cs(usize),
    /// The operating system gave no randomness.
    #[error("the operating system's randomness: {0}")]
    Entropy(#[source] getrandom::Error),
    /// A beacon's iteration exponent is outside snarkjs' range.
    #[error("a beacon's iteration exponent is 10 to 63, not {0}")]
    BeaconExponent(u8),
    /// A beacon's value has no bytes or more than 255.
    #[error("a beacon's value is 1 to 255 bytes, not {0}")]
    BeaconValue(usize),
    /// The key has no ceremony record (section 10) to contribute to.
    #[error("the key has no ceremony record (section 10): it was not made by a phase-2 setup")]
    NoCeremony,
    /// The drawn secret is zero (probability 2^-254).
    #[error("the drawn secret is zero")]
    ZeroSecret,
    /// An MSM refused its input (a bug: the lengths are the same by construction).
    #[error("an MSM of the first key: {0}")]
    Msm(#[source] crate::MsmError),
    /// A point is malformed.
    #[error("section {section}, point {index}: {fault}")]
    Point {
        /// The section.
        section: u32,
        /// The point's index in it.
        index: usize,
        /// What is wrong.
        fault: &'static str,
    },
}

impl From<PointError> for CeremonyError {
    fn from(e: PointError) -> Self {
        CeremonyError::Point {
            section: e.section,
            index: e.index,
            fault: match e.fault {
                PointFault::CoordinateOutOfRange => {
                    "a coordinate is not below the base field's modulus"
                }
                PointFault::NotOnCurve => "not on the curve",
                PointFault::NotInSubgroup => "not in the prime-order subgroup",
            },
        }
    }
}
