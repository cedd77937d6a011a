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
//! `2^-128` (for fixed other weights at most one `r_j mod r` makes it 1). Proof points must be
//! on their curves and in their prime-order subgroups, which [`crate::snarkjs`] and arkworks'
//! checked deserialisation enforce. One multi-Miller loop (split across threads by arkworks)
//! and one final exponentiation serve the whole set.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, PrimeField};
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
    beta: <Bn254 as Pairing>::G2Prepared,
    key_hash: [u8; 32],
}

impl BatchVerifier {
    /// Prepares `vk` (its pairing `e(α, β)` and the fixed G2 points' line coefficients).
    pub fn new(vk: &VerifyingKey<Bn254>) -> Self {
        BatchVerifier {
            prepared: ark_groth16::prepare_verifying_key(vk),
            beta: vk.beta_g2.into(),
            key_hash: zksettle_prover::evm::vk_hash(vk),
        }
    }

    /// The key's hash, as contracts and key files record it (`zksettle_prover::evm::vk_hash`).
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
        let weights: Vec<Fr> = claims
            .iter()
            .map(|_| Fr::from(u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())))
            .collect();
        let vk = &self.prepared.vk;

        // Σ r_j·L(x_j) = (Σ r_j)·IC₀ + Σ_i (Σ_j r_j·x_ji)·ICᵢ: scalar work first, then one MSM.
        let weight_sum: Fr = weights.iter().sum();
        let mut ic_scalars = vec![weight_sum];
        for i in 0..vk.gamma_abc_g1.len() - 1 {
            ic_scalars.push(
                claims
                    .iter()
                    .zip(&weights)
                    .map(|(c, r)| c.public[i] * r)
                    .sum(),
            );
        }
        let inputs = G1Projective::msm(&vk.gamma_abc_g1, &ic_scalars).expect("equal lengths");
        let cs: Vec<G1Affine> = claims.iter().map(|c| c.proof.c).collect();
        let c_sum = G1Projective::msm(&cs, &weights).expect("equal lengths");
        let alpha = vk.alpha_g1 * weight_sum;
        // The key holds −γ and −δ prepared: e(−P, γ) = e(P, −γ).
        // r_j·A_j, normalised to affine with one shared inversion (Montgomery's trick).
        let scaled: Vec<G1Projective> = claims
            .par_iter()
            .zip(&weights)
            .map(|(c, r)| c.proof.a.mul_bigint(r.into_bigint()))
            .collect();
        let mut g1: Vec<<Bn254 as Pairing>::G1Prepared> = G1Projective::normalize_batch(&scaled)
            .into_iter()
            .map(Into::into)
            .collect();
        let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> =
            claims.par_iter().map(|c| c.proof.b.into()).collect();
        g1.extend([
            inputs.into_affine().into(),
            c_sum.into_affine().into(),
            (-alpha).into_affine().into(),
        ]);
        g2.extend([
            self.prepared.gamma_g2_neg_pc.clone(),
            self.prepared.delta_g2_neg_pc.clone(),
            self.beta.clone(),
        ]);
        // One multi-Miller loop (arkworks splits it across threads) and one final exponentiation.
        let product = Bn254::multi_miller_loop(g1, g2);
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
