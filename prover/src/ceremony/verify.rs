//! Checking a whole ceremony ([`verify`]): the checks `snarkjs zkey verify` makes, so that a
//! key is trusted only if it is the circuit's first key with honest contributions applied.
//!
//! 1. The first key is made again from the powers of tau and the circuit ([`initial_key`]):
//!    the key's circuit hash, sizes, α₁, β₁, β₂, γ₂, IC, coefficients and the A, B₁, B₂ queries
//!    must equal it exactly.
//! 2. Each contribution `k`: its transcript is recomputed; with `P = hash_to_g2(T_k)`,
//!    `e(g1_s, g2_spx) = e(g1_sx, P)` (it knew `x`) and `e(δ_{k−1}, g2_spx) = e(δ_k, P)` (it
//!    multiplied δ by that `x`), `δ_0 = G1`; a beacon's `x` and `g1_s` are derived again from
//!    its public value. No point may be zero.
//! 3. δ₁ is the last contribution's, and `e(G1, δ₂) = e(δ₁, G2)`.
//! 4. `L` and `H` are the first key's divided by the same δ, checked with random linear
//!    combinations: for `L`, `R = Σ rᵢ·L_first[i]`, `R' = Σ rᵢ·L[i]` and
//!    `e(R, δ₂_first) = e(R', δ₂)`. For `H`, against the powers of tau themselves: with
//!    `h(X) = Σ_{i<n−1} rᵢ Xⁱ`, `h(τ)(τⁿ − 1)·G1 = Σ rᵢ(τ^{n+i} − τⁱ)·G1` (section 2), and
//!    since `deg h(X)(Xⁿ − 1) < 2n` and `Xⁿ − 1` is 0 on the even points of the `2n` domain and
//!    `−2` on the odd ones, where the first key's `H` is the Lagrange basis,
//!    `= Σ_j −2·h(ω_{2n}^{2j+1})·H_first[j]`, the `h` values an `n`-point FFT of
//!    `rᵢ·ω_{2n}^i`. A forged `L` or `H` passes with probability about `1/r`.

use super::contribute::{contribution_hash, transcript};
use super::initial::initial_key;
use super::ptau::{self, Ptau};
use super::rng::{hash_to_g2, SnarkjsRng};
use super::CeremonyError;
use crate::zkey::{Contribution, Zkey};
use crate::ShapeConstraints;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, UniformRand, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_std::rand::{rngs::StdRng, SeedableRng};

/// Which check a key failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFault {
    /// The key has no ceremony record.
    #[error("the key has no ceremony record")]
    NoCeremony,
    /// The circuit hash is not the one of the circuit and the powers of tau.
    #[error("its circuit hash is not this circuit's with this powers of tau")]
    CircuitHash,
    /// A header field differs from the first key's.
    #[error("its {0} differs from the first key's")]
    Header(&'static str),
    /// A section that no contribution changes differs from the first key's.
    #[error("section {0} differs from the first key's (no contribution changes it)")]
    Section(u32),
    /// A contribution's transcript is not recomputed.
    #[error("contribution {0}: its transcript is not the hash of the ceremony before it")]
    Transcript(usize),
    /// A contribution's proof of knowledge fails.
    #[error("contribution {0}: its proof of knowledge of x fails")]
    ProofOfKnowledge(usize),
    /// A contribution's δ is not the previous δ times its `x`.
    #[error("contribution {0}: δ is not the previous δ times its secret")]
    DeltaChain(usize),
    /// A beacon's points are not those its public value gives.
    #[error("contribution {0}: a beacon whose points do not come from its value")]
    Beacon(usize),
    /// δ₁ is not the last contribution's, or δ₂ not the same δ.
    #[error("δ₁ and δ₂ are not the last contribution's δ")]
    Delta,
    /// The `L` query is not the first key's over δ.
    #[error("the L query is not the first key's divided by δ")]
    LQuery,
    /// The `H` query is not the powers of tau's over δ.
    #[error("the H query is not the one of the powers of tau divided by δ")]
    HQuery,
}

/// What a verified key's ceremony was.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The circuit hash.
    pub cs_hash: [u8; 64],
    /// Each contribution's name, hash and whether it was the beacon, oldest first.
    pub contributions: Vec<(Option<String>, [u8; 64], bool)>,
}

/// `e(a, d) = e(b, c)`, and no point zero: `b/a = d/c` in the exponent.
fn same_ratio(a: G1Affine, b: G1Affine, c: G2Affine, d: G2Affine) -> bool {
    if a.is_zero() || b.is_zero() || c.is_zero() || d.is_zero() {
        return false;
    }
    Bn254::multi_pairing([a, (-b.into_group()).into_affine()], [d, c]).is_zero()
}

/// Checks that `key` is `circuit`'s key from the powers of tau in `ptau` with only honest
/// contributions applied (the module's steps), naming the first check that fails.
pub fn verify(
    key: &Zkey,
    circuit: &ShapeConstraints,
    ptau: &mut Ptau,
) -> Result<Result<Verified, VerifyFault>, CeremonyError> {
    let first = initial_key(circuit, ptau)?;
    let Some(ceremony) = key.ceremony.as_ref() else {
        return Ok(Err(VerifyFault::NoCeremony));
    };
    let first_ceremony = first.ceremony.as_ref().expect("a first key has its record");
    if ceremony.cs_hash != first_ceremony.cs_hash {
        return Ok(Err(VerifyFault::CircuitHash));
    }
    if let Err(fault) = same_as_first(key, &first) {
        return Ok(Err(fault));
    }
    let mut delta = G1Affine::generator();
    for (index, c) in ceremony.contributions.iter().enumerate() {
        if let Err(fault) = contribution(&ceremony.cs_hash, &ceremony.contributions, index, delta) {
            return Ok(Err(fault));
        }
        delta = c.delta_after;
    }
    let (pk, first_pk) = (&key.proving_key, &first.proving_key);
    if pk.delta_g1 != delta
        || !same_ratio(
            G1Affine::generator(),
            delta,
            G2Affine::generator(),
            pk.vk.delta_g2,
        )
    {
        return Ok(Err(VerifyFault::Delta));
    }
    let mut rng = StdRng::from_entropy();
    let r: Vec<Fr> = (0..pk.l_query.len()).map(|_| Fr::rand(&mut rng)).collect();
    let first_l = G1Projective::msm_unchecked(&first_pk.l_query, &r).into_affine();
    let l = G1Projective::msm_unchecked(&pk.l_query, &r).into_affine();
    if !r.is_empty() && !same_ratio(first_l, l, pk.vk.delta_g2, first_pk.vk.delta_g2) {
        return Ok(Err(VerifyFault::LQuery));
    }
    if !h_query_holds(key, &first, ptau, &mut rng)? {
        return Ok(Err(VerifyFault::HQuery));
    }
    Ok(Ok(Verified {
        cs_hash: ceremony.cs_hash,
        contributions: ceremony
            .contributions
            .iter()
            .map(|c| (c.name.clone(), contribution_hash(c), c.beacon.is_some()))
            .collect(),
    }))
}

/// The header fields and sections no contribution changes.
fn same_as_first(key: &Zkey, first: &Zkey) -> Result<(), VerifyFault> {
    let (pk, f) = (&key.proving_key, &first.proving_key);
    let header = [
        (
            "size",
            (key.n_vars, key.n_public, key.domain_size)
                == (first.n_vars, first.n_public, first.domain_size),
        ),
        ("α₁", pk.vk.alpha_g1 == f.vk.alpha_g1),
        ("β₁", pk.beta_g1 == f.beta_g1),
        ("β₂", pk.vk.beta_g2 == f.vk.beta_g2),
        ("γ₂", pk.vk.gamma_g2 == f.vk.gamma_g2),
    ];
    if let Some((field, _)) = header.iter().find(|(_, same)| !same) {
        return Err(VerifyFault::Header(field));
    }
    let sections = [
        (3, pk.vk.gamma_abc_g1 == f.vk.gamma_abc_g1),
        (4, key.coefficients == first.coefficients),
        (5, pk.a_query == f.a_query),
        (6, pk.b_g1_query == f.b_g1_query),
        (7, pk.b_g2_query == f.b_g2_query),
        (8, pk.l_query.len() == f.l_query.len()),
        (9, pk.h_query.len() == f.h_query.len()),
    ];
    match sections.iter().find(|(_, same)| !same) {
        Some((section, _)) => Err(VerifyFault::Section(*section)),
        None => Ok(()),
    }
}

/// Contribution `index`'s transcript, proof of knowledge, δ step and, for a beacon, its
/// derivation from the public value.
fn contribution(
    cs_hash: &[u8; 64],
    all: &[Contribution],
    index: usize,
    delta_before: G1Affine,
) -> Result<(), VerifyFault> {
    let c = &all[index];
    if transcript(cs_hash, &all[..index], &c.g1_s, &c.g1_sx) != c.transcript {
        return Err(VerifyFault::Transcript(index));
    }
    let p = hash_to_g2(&c.transcript);
    if !same_ratio(c.g1_s, c.g1_sx, p, c.g2_spx) {
        return Err(VerifyFault::ProofOfKnowledge(index));
    }
    if !same_ratio(delta_before, c.delta_after, p, c.g2_spx) {
        return Err(VerifyFault::DeltaChain(index));
    }
    if let Some(beacon) = &c.beacon {
        let mut rng = SnarkjsRng::from_seed_bytes(&super::contribute::beacon_seed(beacon));
        let x = rng.scalar();
        let g1_s = rng.g1();
        if g1_s != c.g1_s || g1_s.mul_bigint(x.into_bigint()).into_affine() != c.g1_sx {
            return Err(VerifyFault::Beacon(index));
        }
    }
    Ok(())
}

/// Step 4's check of `H` against the powers of tau.
fn h_query_holds(
    key: &Zkey,
    first: &Zkey,
    ptau: &mut Ptau,
    rng: &mut StdRng,
) -> Result<bool, CeremonyError> {
    let n = key.domain_size;
    let powers = ptau.g1(ptau::TAU_G1, 0, 2 * n - 1)?;
    let r: Vec<Fr> = (0..n - 1).map(|_| Fr::rand(rng)).collect();
    let monomial: Vec<G1Projective> = (0..n - 1)
        .map(|i| powers[n + i].into_group() - powers[i])
        .collect();
    let monomial = G1Projective::normalize_batch(&monomial);
    let left = G1Projective::msm_unchecked(&monomial, &r).into_affine();

    let double = Radix2EvaluationDomain::<Fr>::new(2 * n).expect("a radix-2 domain");
    let half = Radix2EvaluationDomain::<Fr>::new(n).expect("a radix-2 domain");
    let omega = double.group_gen();
    let mut shifted: Vec<Fr> = Vec::with_capacity(n);
    let mut power = Fr::from(1u64);
    for i in 0..n {
        shifted.push(r.get(i).copied().unwrap_or_default() * power);
        power *= omega;
    }
    let minus_two = -Fr::from(2u64);
    let weights: Vec<Fr> = half
        .fft(&shifted)
        .into_iter()
        .map(|v| v * minus_two)
        .collect();
    let right = G1Projective::msm_unchecked(&key.proving_key.h_query, &weights).into_affine();
    // Over the first key's H (the Lagrange basis) the same sum is `left` itself.
    Ok(same_ratio(
        left,
        right,
        key.proving_key.vk.delta_g2,
        first.proving_key.vk.delta_g2,
    ))
}
