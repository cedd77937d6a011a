//! KZG parameters for the halo2 circuit (`zksettle-halo2-circuit`) from a snarkjs powers of
//! tau: the universal setup both proof systems start from, so a halo2 deployment needs no
//! ceremony of its own.
//!
//! halo2's KZG at `2^k` rows needs `τ^i·G1` for `i < 2^k` (the file's section 2, which holds
//! `2^(power+1) − 1` of them, so `k ≤ power`), `G2` and `τ·G2` (section 3's first two points),
//! and the same `τ^i·G1` in the Lagrange basis of halo2's own domain of `2^k` points. That basis
//! is computed here from the powers (halo2's inverse FFT over G1), not read from the file's
//! section 12: snarkjs builds it over its own roots of unity, which need not be halo2curves'.
//!
//! What is checked before use, beyond each point being on its curve and in its subgroup (the
//! reader's checks):
//! - the first points are the generators `G1` and `G2`;
//! - the G1 powers are powers of one `τ`, and it is the `τ` of `τ·G2`: with random `r_i`,
//!   `e(Σ r_i·τ^(i+1)·G1, G2) = e(Σ r_i·τ^i·G1, τ·G2)`, `i < 2^k − 1`. A sequence that is not
//!   geometric, or whose ratio is not `τ·G2`'s, passes with probability about `1/r`.
//!
//! A file that passes holds the powers of some `τ`; whether anyone knows it is the ceremony's
//! question (a public development file from [`crate::ceremony::dev_ptau`] is known to all).

use crate::ceremony::ptau::{TAU_G1, TAU_G2};
use crate::ceremony::{CeremonyError, Ptau};
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zksettle_halo2_circuit::halo2_proofs::halo2curves::bn256 as halo2_bn256;
use zksettle_halo2_circuit::halo2_proofs::halo2curves::ff::PrimeField as _;
use zksettle_halo2_circuit::halo2_proofs::halo2curves::CurveAffine as _;
use zksettle_halo2_circuit::halo2_proofs::poly::commitment::ParamsProver as _;
pub use zksettle_halo2_circuit::halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// KZG parameters over BN254, as halo2 takes them.
pub type KzgParams = ParamsKZG<halo2_bn256::Bn256>;

/// Why a powers of tau gives no KZG parameters.
#[derive(Debug, thiserror::Error)]
pub enum KzgSetupError {
    /// The file could not be read, or is not a BN254 powers of tau.
    #[error(transparent)]
    Ptau(#[from] CeremonyError),
    /// A circuit of `2^k` rows needs `2^k` G1 powers; the file has `2^(power+1) − 1`.
    #[error(
        "a halo2 circuit of 2^{k} rows needs a powers of tau of power {k} or more; this one's is \
         {power}"
    )]
    TooSmall {
        /// The circuit's rows, as a power of two.
        k: u32,
        /// The file's power.
        power: u32,
    },
    /// The points are not the powers of one `τ` from the generators (the module's checks).
    #[error("the powers of tau are not of one τ: {0}")]
    NotPowersOfOneTau(&'static str),
}

/// The KZG parameters for circuits of `2^k` rows from `ptau`, checked as the module says.
pub fn kzg_params(ptau: &mut Ptau, k: u32) -> Result<KzgParams, KzgSetupError> {
    if k > ptau.power() {
        return Err(KzgSetupError::TooSmall {
            k,
            power: ptau.power(),
        });
    }
    let n = 1usize << k;
    let g1 = ptau.g1(TAU_G1, 0, n)?;
    let g2 = ptau.g2(TAU_G2, 0, 2)?;
    check_powers(&g1, g2[0], g2[1])?;
    let g: Vec<halo2_bn256::G1Affine> = g1.iter().map(g1_to_halo2).collect();
    // `from_parts` is a method, not a constructor, in halo2-axiom; the 1-point parameters it
    // is called on are discarded. `None` has it compute the Lagrange basis (inverse FFT).
    Ok(KzgParams::new(0).from_parts(k, g, None, g2_to_halo2(&g2[0]), g2_to_halo2(&g2[1])))
}

/// INSECURE KZG parameters for `2^k` rows from the public `seed`: the powers of the `τ` that
/// [`crate::ceremony::dev_ptau`] writes for the same seed, computed from `τ` directly (no file),
/// so they equal [`kzg_params`] of that file. Anyone who knows the seed knows `τ` and can forge
/// proofs: for tests and devnets only, as the Groth16 development keys.
pub fn dev_kzg_params(seed: &[u8], k: u32) -> Result<KzgParams, KzgSetupError> {
    if k > crate::ceremony::dev_ptau::MAX_POWER {
        return Err(KzgSetupError::TooSmall {
            k,
            power: crate::ceremony::dev_ptau::MAX_POWER,
        });
    }
    let tau = crate::ceremony::dev_ptau::Secrets::from_seed(seed).tau;
    let mut powers = Vec::with_capacity(1 << k);
    let mut power = Fr::from(1u64);
    for _ in 0..1usize << k {
        powers.push(power);
        power *= tau;
    }
    let g1 = BatchMulPreprocessing::new(G1Projective::generator(), powers.len()).batch_mul(&powers);
    let g2 = G2Affine::generator();
    let tau_g2 = (g2 * tau).into_affine();
    let g: Vec<halo2_bn256::G1Affine> = g1.iter().map(g1_to_halo2).collect();
    Ok(KzgParams::new(0).from_parts(k, g, None, g2_to_halo2(&g2), g2_to_halo2(&tau_g2)))
}

/// The generators come first, and `e(Σ r_i·g1[i+1], G2) = e(Σ r_i·g1[i], τ·G2)`.
fn check_powers(g1: &[G1Affine], g2: G2Affine, tau_g2: G2Affine) -> Result<(), KzgSetupError> {
    if g1.first() != Some(&G1Affine::generator()) {
        return Err(KzgSetupError::NotPowersOfOneTau(
            "τ^0·G1 is not the generator",
        ));
    }
    if g2 != G2Affine::generator() {
        return Err(KzgSetupError::NotPowersOfOneTau(
            "τ^0·G2 is not the generator",
        ));
    }
    if tau_g2.is_zero() || g1.iter().any(|p| p.is_zero()) {
        return Err(KzgSetupError::NotPowersOfOneTau(
            "a power is the point at infinity",
        ));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(CeremonyError::Entropy)?;
    let mut rng = StdRng::from_seed(seed);
    let r: Vec<Fr> = (1..g1.len()).map(|_| Fr::rand(&mut rng)).collect();
    let shifted = G1Projective::msm(&g1[1..], &r).expect("as many scalars as points");
    let unshifted = G1Projective::msm(&g1[..g1.len() - 1], &r).expect("as many scalars as points");
    let lhs = Bn254::pairing(shifted.into_affine(), g2);
    let rhs = Bn254::pairing(unshifted.into_affine(), tau_g2);
    if lhs != rhs {
        return Err(KzgSetupError::NotPowersOfOneTau(
            "the G1 powers are not a geometric sequence with τ·G2's ratio",
        ));
    }
    Ok(())
}

fn fq_to_halo2(x: &Fq) -> halo2_bn256::Fq {
    let mut repr = [0u8; 32];
    repr.copy_from_slice(&x.into_bigint().to_bytes_le());
    halo2_bn256::Fq::from_repr(repr).expect("the two crates' BN254 base fields are one field")
}

fn g1_to_halo2(p: &G1Affine) -> halo2_bn256::G1Affine {
    match p.xy() {
        Some((x, y)) => halo2_bn256::G1Affine::from_xy(fq_to_halo2(&x), fq_to_halo2(&y))
            .expect("a checked point is on the curve in both crates"),
        None => halo2_bn256::G1Affine::default(),
    }
}

fn g2_to_halo2(p: &G2Affine) -> halo2_bn256::G2Affine {
    let fq2 = |x: &ark_bn254::Fq2| halo2_bn256::Fq2 {
        c0: fq_to_halo2(&x.c0),
        c1: fq_to_halo2(&x.c1),
    };
    match p.xy() {
        Some((x, y)) => halo2_bn256::G2Affine::from_xy(fq2(&x), fq2(&y))
            .expect("a checked point is on the curve in both crates"),
        None => halo2_bn256::G2Affine::default(),
    }
}

#[cfg(test)]
mod tests;
