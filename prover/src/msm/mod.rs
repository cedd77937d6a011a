//! Multi-scalar multiplication `Σ sᵢ·Pᵢ` over short-Weierstrass curves (BN254's G1 and G2),
//! behind the [`Msm`] trait that proving calls and that other backends (a GPU one) implement.
//!
//! - [`ArkMsm`]: `ark-ec`'s `VariableBaseMSM`, the reference every backend is tested and
//!   measured against.
//! - [`Pippenger`]: zksettle's bucket method ([`pippenger`]): signed-digit windows (half the
//!   buckets), bucket accumulation in affine coordinates with one shared inversion per batch of
//!   additions (Montgomery's trick), the buckets reduced in affine lanes that also share
//!   inversions, a window size chosen from `n` by a cost model, and windows
//!   spread over rayon's threads. Its field products run through a
//!   [`crate::field::Multiplier`]: `ark-ff`'s, or on x86-64 CPUs with BMI2 and ADX the
//!   assembly of [`crate::field::adx`], chosen at run time; on CPUs with AVX-512 IFMA, G1's
//!   bucket additions run eight at a time on its lanes (`field/x86_64/lanes.rs`).
//! - [`FixedBases`] ([`fixed`]): bases known ahead (a proving key's queries) prepared once as
//!   tables of `2^{cw}·P`, so an MSM over them is one window over all the digits: no
//!   doublings, one bucket reduction, and a wider window.

pub(crate) mod buckets;
pub mod fixed;
mod glv;
pub mod pippenger;
mod reduction;
#[cfg(test)]
mod tests;

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::VariableBaseMSM;

pub use fixed::FixedBases;
pub use pippenger::{Arithmetic, Pippenger};

/// Why an MSM was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsmError {
    /// Bases and scalars differ in number.
    #[error("{bases} bases but {scalars} scalars")]
    LengthMismatch {
        /// Bases given.
        bases: usize,
        /// Scalars given.
        scalars: usize,
    },
    /// More points than a backend indexes (2^31 for [`Pippenger`]).
    #[error("{0} points are more than this backend takes")]
    TooManyPoints(usize),
    /// The device running the MSM failed (a GPU backend: the driver, the device lost, out of
    /// device memory, or a result that is not a point of the curve).
    #[error("the {backend} MSM failed: {message}")]
    Device {
        /// The backend's name.
        backend: &'static str,
        /// What went wrong, as the driver or the check said it.
        message: String,
    },
}

/// A multi-scalar multiplication backend for the curve `P`.
pub trait Msm<P: SWCurveConfig>: Send + Sync + std::fmt::Debug {
    /// `Σ scalars[i]·bases[i]`; the empty sum is the identity.
    fn msm(
        &self,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Result<Projective<P>, MsmError>;

    /// A short name for reports.
    fn name(&self) -> &'static str;
}

/// Which of a proving key's G1 queries a sum is over (Groth16's `A`, `B₁`, `L` and `H`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyQuery {
    /// `Σ zᵢ·Aᵢ`.
    A,
    /// `Σ zᵢ·B₁ᵢ`.
    B1,
    /// `Σ wⱼ·Lⱼ`.
    L,
    /// `Σ hₖ·Hₖ`.
    H,
}

impl KeyQuery {
    /// Every query, in a fixed order.
    pub const ALL: [KeyQuery; 4] = [KeyQuery::A, KeyQuery::B1, KeyQuery::L, KeyQuery::H];

    /// Its place in [`KeyQuery::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A backend that holds one proving key's G1 queries where it computes (a GPU's memory, uploaded
/// once per key): proving names the query instead of handing over its points each time.
pub trait KeyMsm: Send + Sync + std::fmt::Debug {
    /// `Σ scalars[i]·query[i]` over the key's `query`.
    fn sum(
        &self,
        query: KeyQuery,
        scalars: &[ark_bn254::Fr],
    ) -> Result<ark_bn254::G1Projective, MsmError>;

    /// What computes it, for reports (a GPU adapter's name).
    fn describe(&self) -> String;
}

/// `ark-ec`'s MSM.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArkMsm;

impl<P: SWCurveConfig> Msm<P> for ArkMsm {
    fn msm(
        &self,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Result<Projective<P>, MsmError> {
        check_lengths(bases.len(), scalars.len())?;
        Ok(Projective::<P>::msm_unchecked(bases, scalars))
    }

    fn name(&self) -> &'static str {
        "ark-ec"
    }
}

pub(crate) fn check_lengths(bases: usize, scalars: usize) -> Result<(), MsmError> {
    if bases == scalars {
        Ok(())
    } else {
        Err(MsmError::LengthMismatch { bases, scalars })
    }
}
