//! An INSECURE powers of tau, for tests and devnets: τ, α and β come from a public seed, so
//! whoever knows it forges proofs for every key made from the file. It is written in snarkjs'
//! format, prepared for phase 2, exactly as `snarkjs powersoftau prepare phase2` would prepare
//! the same powers (a test has snarkjs prepare them and compares the bytes), with no
//! contribution recorded. It lets a ceremony of any size run where snarkjs' own preparation
//! would take too long (about half an hour at 2^17): the powers are computed from τ directly
//! (`L_k(τ)` by arkworks' Lagrange evaluation, then fixed-base multiplications), not by FFTs
//! over group elements.
//!
//! snarkjs' extra block of section 12 (the domain `2n`, `n = 2^power`) is interpolated from
//! `τ^0 … τ^{2n−2}` only (the ptau has no `τ^{2n−1}`): its points are
//! `L_k(τ) − ω^k·τ^{2n−1}/(2n)`, and this writer makes the same.

use super::ptau;
use super::CeremonyError;
use ark_bn254::{Fq, Fr, G1Projective, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::PrimeGroup;
use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::zkey::binfile::{g1_stored, g2_stored, N8};

/// The secrets of a powers of tau.
#[derive(Debug, Clone, Copy)]
pub struct Secrets {
    /// τ.
    pub tau: Fr,
    /// α.
    pub alpha: Fr,
    /// β.
    pub beta: Fr,
}

impl Secrets {
    /// The secrets of the public `seed`.
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut rng = StdRng::from_seed(
            Sha256::new()
                .chain_update(b"zksettle-dev-ptau")
                .chain_update(seed)
                .finalize()
                .into(),
        );
        Secrets {
            tau: Fr::rand(&mut rng),
            alpha: Fr::rand(&mut rng),
            beta: Fr::rand(&mut rng),
        }
    }
}

/// The largest power written (snarkjs' section 12 then reaches 2^28, `Fr`'s two-adicity).
pub const MAX_POWER: u32 = 27;

/// Writes the prepared powers of tau of `power` for the public `seed` to `path`.
pub fn write(power: u32, seed: &[u8], path: &Path) -> Result<(), CeremonyError> {
    let io = |source| CeremonyError::Io {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut out = BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    write_to(&Secrets::from_seed(seed), power, true, &mut out).map_err(io)?;
    out.flush().map_err(io)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes the powers of tau of `power` for `secrets`: sections 1 to 7, and 12 to 15 if
/// `prepared`.
pub fn write_to(
    secrets: &Secrets,
    power: u32,
    prepared: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if !(1..=MAX_POWER).contains(&power) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("a powers of tau of power 1 to {MAX_POWER}"),
        ));
    }
    let n = 1usize << power;
    let Secrets { tau, alpha, beta } = *secrets;
    let mut powers = Vec::with_capacity(2 * n - 1);
    let mut next = Fr::ONE;
    for _ in 0..2 * n - 1 {
        powers.push(next);
        next *= tau;
    }
    let g1 = BatchMulPreprocessing::new(G1Projective::generator(), 4 * n);
    let g2 = BatchMulPreprocessing::new(G2Projective::generator(), 2 * n);
    let g1_section =
        |scalars: &[Fr]| -> Vec<u8> { g1.batch_mul(scalars).iter().flat_map(g1_stored).collect() };
    let g2_section =
        |scalars: &[Fr]| -> Vec<u8> { g2.batch_mul(scalars).iter().flat_map(g2_stored).collect() };
    let times = |k: Fr, scalars: &[Fr]| -> Vec<Fr> { scalars.iter().map(|s| k * s).collect() };

    let count = if prepared { 11u32 } else { 7 };
    out.write_all(b"ptau")?;
    out.write_all(&1u32.to_le_bytes())?;
    out.write_all(&count.to_le_bytes())?;
    let mut section = |kind: u32, body: &[u8]| -> std::io::Result<()> {
        out.write_all(&kind.to_le_bytes())?;
        out.write_all(&(body.len() as u64).to_le_bytes())?;
        out.write_all(body)
    };
    let mut header = Vec::new();
    header.extend((N8 as u32).to_le_bytes());
    header.extend(Fq::MODULUS.to_bytes_le());
    header.extend(power.to_le_bytes());
    header.extend(power.to_le_bytes());
    section(1, &header)?;
    section(ptau::TAU_G1, &g1_section(&powers))?;
    section(ptau::TAU_G2, &g2_section(&powers[..n]))?;
    section(ptau::ALPHA_TAU_G1, &g1_section(&times(alpha, &powers[..n])))?;
    section(ptau::BETA_TAU_G1, &g1_section(&times(beta, &powers[..n])))?;
    section(ptau::BETA_G2, &g2_section(&[beta]))?;
    section(7, &0u32.to_le_bytes())?;
    if !prepared {
        return Ok(());
    }

    // Every domain's Lagrange values at τ, concatenated by size; the last (section 12 only)
    // without the missing top power.
    let blocks = |last: u32| -> Vec<Fr> {
        let mut all = Vec::new();
        for p in 0..=last {
            let size = 1usize << p;
            let domain = Radix2EvaluationDomain::<Fr>::new(size).expect("a radix-2 domain");
            let mut values = domain.evaluate_all_lagrange_coefficients(tau);
            if p == power + 1 {
                let top = powers[size - 2] * tau * Fr::from(size as u64).inverse().expect("n > 0");
                let mut omega_k = Fr::ONE;
                for v in &mut values {
                    *v -= omega_k * top;
                    omega_k *= domain.group_gen();
                }
            }
            all.extend(values);
        }
        all
    };
    let lagrange = blocks(power);
    section(ptau::LAGRANGE_G1, &g1_section(&blocks(power + 1)))?;
    section(ptau::LAGRANGE_G2, &g2_section(&lagrange))?;
    section(
        ptau::LAGRANGE_ALPHA_G1,
        &g1_section(&times(alpha, &lagrange)),
    )?;
    section(ptau::LAGRANGE_BETA_G1, &g1_section(&times(beta, &lagrange)))?;
    Ok(())
}
