//! Many Groth16 proofs under one key checked together: one multi-pairing and one final
//! exponentiation for the whole set instead of one pairing check per proof.
//!
//! A proof `(A, B, C)` of public input `x` verifies iff
//! `e(A, B) = e(α, β) · e(L(x), γ) · e(C, δ)` with `L(x) = IC₀ + Σᵢ xᵢ·ICᵢ`. With independent
//! uniform 128-bit weights `r_j` from a CSPRNG, the set is accepted iff
//!
//! ```text
//! Π_j e(r_j·A_j, B_j) · e(−Σ_j r_j·L(x_j), γ) · e(−Σ_j r_j·C_j, δ) · e(−(Σ_j r_j)·α, β) = 1
//! ```
//!
//! Each proof's equation, divided out, is an element `T_j` of the order-`r` group `G_T`;
//! the product is `Π T_j^{r_j}`, which is 1 for some `T_j ≠ 1` with probability at most
//! `2^-128` (for fixed other weights at most one `r_j mod r` makes it 1; the weights are drawn
//! from a set of `2^128` residues, see `Weight`). Proof points must be on their curves and in
//! their prime-order subgroups, which [`crate::snarkjs`] and arkworks' checked deserialisation
//! enforce. One multi-Miller loop (ours, `crate::miller`: affine G2 steps with shared
//! inversions, one accumulator per thread) and one final exponentiation serve the whole set.

use crate::miller;
use ark_bn254::{g1::Config as G1Config, Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{MillerLoopOutput, Pairing, PairingOutput};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::{AdditiveGroup, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use rand::RngCore;
use rayon::prelude::*;

/// One proof and the public input it claims.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The public input (for zksettle batches: the one commitment element).
    pub public: Vec<Fr>,
    /// The proof.
    pub proof: Proof<Bn254>,
}

/// Why a set of proofs was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchVerifyError {
    /// A claim has the wrong number of public inputs for the key.
    #[error("claim {index}: {got} public inputs, the key takes {expected}")]
    PublicInputs {
        /// Which claim.
        index: usize,
        /// What the key takes.
        expected: usize,
        /// What the claim has.
        got: usize,
    },
    /// The combined check failed: at least one proof is invalid.
    #[error("at least one of {0} proofs is invalid")]
    Invalid(usize),
}

/// A verifying key prepared for single and batched checks.
#[derive(Debug, Clone)]
pub struct BatchVerifier {
    prepared: PreparedVerifyingKey<Bn254>,
    key_hash: [u8; 32],
}

impl BatchVerifier {
    /// Prepares `vk` (its pairing `e(α, β)` and the fixed G2 points' line coefficients for
    /// the one-by-one check).
    pub fn new(vk: &VerifyingKey<Bn254>) -> Self {
        BatchVerifier {
            prepared: ark_groth16::prepare_verifying_key(vk),
            key_hash: zksettle_groth16_evm::vk_hash(vk),
        }
    }

    /// The key's hash, as contracts and key files record it (`zksettle_groth16_evm::vk_hash`).
    pub fn key_hash(&self) -> &[u8; 32] {
        &self.key_hash
    }

    /// The key.
    pub fn key(&self) -> &VerifyingKey<Bn254> {
        &self.prepared.vk
    }

    fn check_inputs(&self, claims: &[Claim]) -> Result<(), BatchVerifyError> {
        let expected = self.prepared.vk.gamma_abc_g1.len() - 1;
        match claims.iter().position(|c| c.public.len() != expected) {
            Some(index) => Err(BatchVerifyError::PublicInputs {
                index,
                expected,
                got: claims[index].public.len(),
            }),
            None => Ok(()),
        }
    }

    /// One proof, as `ark_groth16` checks it.
    pub fn verify_one(&self, claim: &Claim) -> bool {
        claim.public.len() + 1 == self.prepared.vk.gamma_abc_g1.len()
            && Groth16::<Bn254>::verify_proof(&self.prepared, &claim.proof, &claim.public)
                .unwrap_or(false)
    }

    /// Every proof, one by one, in parallel: the reference the batch must beat.
    pub fn verify_each(&self, claims: &[Claim]) -> Vec<bool> {
        claims.par_iter().map(|c| self.verify_one(c)).collect()
    }

    /// All proofs together (see the module docs). An empty set is accepted.
    pub fn verify_all(&self, claims: &[Claim]) -> Result<(), BatchVerifyError> {
        self.check_inputs(claims)?;
        if claims.is_empty() {
            return Ok(());
        }
        let mut rng = rand::rng();
        let weights: Vec<Weight> = claims.iter().map(|_| Weight::random(&mut rng)).collect();
        let vk = &self.prepared.vk;

        // Σ r_j·L(x_j) = (Σ r_j)·IC₀ + Σ_i (Σ_j r_j·x_ji)·ICᵢ: scalar work first, then one MSM.
        let weight_sum: Fr = weights.iter().map(|w| w.value).sum();
        let mut ic_scalars = vec![weight_sum];
        for i in 0..vk.gamma_abc_g1.len() - 1 {
            ic_scalars.push(
                claims
                    .iter()
                    .zip(&weights)
                    .map(|(c, r)| c.public[i] * r.value)
                    .sum(),
            );
        }
        let inputs = G1Projective::msm(&vk.gamma_abc_g1, &ic_scalars).expect("equal lengths");
        // Σ r_j·C_j = Σ a_j·C_j + Σ b_j·φ(C_j): one MSM of 64-bit scalars.
        let (c_bases, c_scalars): (Vec<G1Affine>, Vec<u64>) = claims
            .iter()
            .zip(&weights)
            .flat_map(|(c, w)| {
                [
                    (c.proof.c, w.a),
                    (G1Config::endomorphism_affine(&c.proof.c), w.b),
                ]
            })
            .unzip();
        let c_sum = G1Projective::msm_u64(&c_bases, &c_scalars);
        let alpha = vk.alpha_g1 * weight_sum;

        let scaled = weighted_points(claims, &weights);
        // The key holds −γ and −δ: e(−P, γ) = e(P, −γ).
        let mut pairs: Vec<(G1Affine, G2Affine)> = scaled
            .into_iter()
            .zip(claims.iter().map(|c| c.proof.b))
            .collect();
        pairs.extend([
            (inputs.into_affine(), -vk.gamma_g2),
            (c_sum.into_affine(), -vk.delta_g2),
            ((-alpha).into_affine(), vk.beta_g2),
        ]);
        // Our loop (see `miller`) is the fast path; arkworks' serves the degenerate case it
        // cannot take, which points of the prime-order groups never reach.
        let product = match miller::multi_miller_loop(&pairs) {
            Some(f) => MillerLoopOutput(f),
            None => Bn254::multi_miller_loop(pairs.iter().map(|p| p.0), pairs.iter().map(|p| p.1)),
        };
        match Bn254::final_exponentiation(product) {
            Some(PairingOutput(v)) if v.is_one() => Ok(()),
            _ => Err(BatchVerifyError::Invalid(claims.len())),
        }
    }

    /// The indices of the invalid proofs: none if the batch passes, else each checked alone.
    pub fn locate_invalid(&self, claims: &[Claim]) -> Vec<usize> {
        if self.verify_all(claims).is_ok() {
            return Vec::new();
        }
        self.verify_each(claims)
            .into_iter()
            .enumerate()
            .filter_map(|(i, ok)| (!ok).then_some(i))
            .collect()
    }
}

/// A random weight `r = a + λ·b (mod r_G1)` with `a`, `b` uniform 64-bit integers and `λ` the
/// eigenvalue of G1's endomorphism `φ(x, y) = (β·x, y)`, so `r·A = a·A + b·φ(A)`: 64 doublings
/// instead of 128.
///
/// The weights are still 2^128 distinct residues, uniform among themselves: if
/// `a + λb ≡ a' + λb'` then `(s, t) = (a − a', b' − b)` has `s ≡ λt`, and since
/// `λ² + λ + 1 ≡ 0`, `s² + st + t² ≡ 0 (mod r)`. But `0 < s² + st + t² < 3·2^128 < r` for
/// `(s, t) ≠ 0` with `|s|, |t| < 2^64`, so `(a, b) = (a', b')`.
#[derive(Debug, Clone, Copy)]
struct Weight {
    a: u64,
    b: u64,
    value: Fr,
}

impl Weight {
    fn random(rng: &mut impl RngCore) -> Self {
        let (a, b) = (rng.next_u64(), rng.next_u64());
        Weight {
            a,
            b,
            value: Fr::from(a) + G1Config::LAMBDA * Fr::from(b),
        }
    }
}

/// `r_j·A_j` for every claim, in affine form, by Shamir's trick on `a·A + b·φ(A)`.
fn weighted_points(claims: &[Claim], weights: &[Weight]) -> Vec<G1Affine> {
    let sums: Vec<G1Projective> = claims
        .par_iter()
        .map(|c| c.proof.a + G1Config::endomorphism_affine(&c.proof.a))
        .collect();
    let sums = G1Projective::normalize_batch(&sums);
    let scaled: Vec<G1Projective> = claims
        .par_iter()
        .zip(weights)
        .zip(&sums)
        .map(|((claim, w), both)| {
            let point = claim.proof.a;
            let image = G1Config::endomorphism_affine(&point);
            let mut acc = G1Projective::zero();
            for bit in (0..64).rev() {
                acc.double_in_place();
                match ((w.a >> bit) & 1, (w.b >> bit) & 1) {
                    (1, 1) => acc += both,
                    (1, 0) => acc += point,
                    (0, 1) => acc += image,
                    _ => {}
                }
            }
            acc
        })
        .collect();
    G1Projective::normalize_batch(&scaled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AffineRepr, PrimeGroup};
    use ark_groth16::Proof;

    #[test]
    fn the_weights_endomorphism_is_multiplication_by_a_cube_root_of_unity() {
        let lambda = G1Config::LAMBDA;
        assert!((lambda * lambda + lambda + Fr::one()).is_zero());
        let g = G1Affine::generator();
        assert_eq!(
            G1Config::endomorphism_affine(&g),
            (g * lambda).into_affine()
        );
    }

    #[test]
    fn weighted_points_are_the_weights_times_the_points() {
        let mut rng = rand::rng();
        let claims: Vec<Claim> = (0..50u64)
            .map(|i| Claim {
                public: vec![],
                proof: Proof {
                    a: if i == 7 {
                        G1Affine::zero()
                    } else {
                        (G1Projective::generator() * Fr::from(i + 1)).into_affine()
                    },
                    ..Proof::default()
                },
            })
            .collect();
        let mut weights: Vec<Weight> = claims.iter().map(|_| Weight::random(&mut rng)).collect();
        // The edges of the 64-bit halves.
        for (i, (a, b)) in [
            (0, 0),
            (u64::MAX, 0),
            (0, u64::MAX),
            (u64::MAX, u64::MAX),
            (1, 1),
        ]
        .into_iter()
        .enumerate()
        {
            weights[i] = Weight {
                a,
                b,
                value: Fr::from(a) + G1Config::LAMBDA * Fr::from(b),
            };
        }
        let scaled = weighted_points(&claims, &weights);
        for ((claim, w), got) in claims.iter().zip(&weights).zip(scaled) {
            assert_eq!(got, (claim.proof.a * w.value).into_affine());
        }
    }
}
