//! Groth16 proving on BN254 with the multi-scalar multiplications on an [`Msm`] backend.
//!
//! arkworks' constraint system makes the matrices; [`crate::qap`] makes the quotient `h` from
//! them (the same `h` as arkworks' `LibsnarkReduction`, on faster arithmetic); the five MSMs,
//! most of a proof's time, run on the chosen backends. With the
//! assignment `z = (1, x, w)` (`x` public, `w` private), the proving key's queries and the
//! randomisers `r, s`, the proof is
//!
//! ```text
//! A = α + Σᵢ zᵢ·Aᵢ + r·δ                                   (G1)
//! B = β + Σᵢ zᵢ·Bᵢ + s·δ                                   (G2, and in G1 as B₁ for C)
//! C = Σⱼ wⱼ·Lⱼ + Σₖ hₖ·Hₖ + s·A + r·B₁ − r·s·δ              (G1)
//! ```
//!
//! the same points `ark_groth16::Groth16::create_proof_with_reduction_and_matrices` makes from
//! the same `r, s` (a test checks it bit for bit), so stock `Groth16::verify` accepts them.
//! The reduction (FFTs over the scalar field), then the `H` MSM, run beside the four MSMs that
//! do not need `h`.

use crate::msm::{FixedBases, KeyMsm, KeyQuery, Msm, MsmError};
use crate::qap::Reduction;
use crate::tables::{sum_with, KeyTables};
use ark_bn254::{g1, g2, Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::{Matrix, SynthesisError};

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Groth16Error {
    /// The R1CS-to-QAP reduction failed (the assignment does not fit the matrices).
    #[error("the R1CS-to-QAP reduction failed: {0}")]
    Reduction(#[from] SynthesisError),
    /// A query and its scalars differ in length: the key is not for these matrices.
    #[error("the proving key does not fit the constraint matrices: {0}")]
    KeyMismatch(MsmError),
    /// An MSM's device failed (a GPU backend's driver or memory).
    #[error(transparent)]
    Device(MsmError),
}

impl From<MsmError> for Groth16Error {
    fn from(e: MsmError) -> Self {
        match e {
            MsmError::Device { .. } => Groth16Error::Device(e),
            e => Groth16Error::KeyMismatch(e),
        }
    }
}

/// The MSM backends a proof uses: one for G1, one for G2, and optionally one holding the key's
/// G1 queries itself (a GPU), which then sums every G1 query in place of tables and `g1`.
#[derive(Debug, Clone, Copy)]
pub struct MsmBackends<'a> {
    /// G1's backend (`A`, `B₁`, `C`'s `L` and `H` sums).
    pub g1: &'a dyn Msm<g1::Config>,
    /// G2's backend (`B`).
    pub g2: &'a dyn Msm<g2::Config>,
    /// A backend holding this key's G1 queries, if one does.
    pub key_g1: Option<&'a dyn KeyMsm>,
}

impl MsmBackends<'_> {
    /// `query`'s sum: on the key's backend if there is one, else over its table if it has one,
    /// else on `g1`.
    fn g1_sum(
        &self,
        query: KeyQuery,
        bases: &[ark_bn254::G1Affine],
        table: Option<&FixedBases<g1::Config>>,
        scalars: &[Fr],
    ) -> Result<G1Projective, MsmError> {
        match self.key_g1 {
            Some(key) => key.sum(query, scalars),
            None => sum_with(table, scalars, || self.g1.msm(bases, scalars)),
        }
    }
}

/// The R1CS instance a proof is about: arkworks' matrices `A, B, C`, the number of instance
/// variables (the constant `1` included) and of constraints, and the full assignment `z`.
#[derive(Debug, Clone, Copy)]
pub struct R1csInstance<'a> {
    /// `A`, `B`, `C`.
    pub matrices: &'a [Matrix<Fr>],
    /// Instance variables, `1` included.
    pub instance_variables: usize,
    /// Constraints (rows).
    pub constraints: usize,
    /// `z = (1, x, w)`.
    pub assignment: &'a [Fr],
}

/// A Groth16 proof of `instance` under `pk` with randomisers `r, s` (see the module docs);
/// `reduction` is the basis of `pk`'s `H` query. The queries with a table in `tables` (built
/// from this `pk`) are summed over it, the others on `backends`.
pub fn create_proof(
    backends: MsmBackends<'_>,
    pk: &ProvingKey<Bn254>,
    reduction: Reduction,
    tables: Option<&KeyTables>,
    r: Fr,
    s: Fr,
    instance: R1csInstance<'_>,
) -> Result<Proof<Bn254>, Groth16Error> {
    let z = instance.assignment;
    let witness = z.get(instance.instance_variables..).unwrap_or_default();
    // The reduction and then the `H` MSM on one side, the four MSMs that need only `z` on the
    // other: either side's threads take the other's work when they run out, so neither core
    // waits at a barrier between the two phases.
    let (h_sum, sums) = crate::parallel::join(
        || -> Result<G1Projective, Groth16Error> {
            let h = crate::qap::witness_map(
                reduction,
                instance.matrices,
                instance.instance_variables,
                instance.constraints,
                z,
            )?;
            // The reduction's `h` has one coefficient more than the key's `H` query (its top
            // one is zero for a satisfied instance); the key decides the length, as in
            // arkworks.
            let h = h.get(..pk.h_query.len()).unwrap_or(&h);
            let table = tables.and_then(|t| t.h.as_ref());
            Ok(backends.g1_sum(KeyQuery::H, &pk.h_query, table, h)?)
        },
        || assignment_sums(backends, pk, tables, z, witness),
    );
    let h_sum = h_sum?;
    let (a_sum, b1_sum, b2_sum, l_sum) = sums?;

    let delta_g1 = G1Projective::from(pk.delta_g1);
    let a = a_sum + pk.vk.alpha_g1 + delta_g1 * r;
    let b1 = if r.is_zero() {
        G1Projective::zero()
    } else {
        b1_sum + pk.beta_g1 + delta_g1 * s
    };
    let b2 = b2_sum + pk.vk.beta_g2 + G2Projective::from(pk.vk.delta_g2) * s;
    let c = l_sum + h_sum + a * s + b1 * r - delta_g1 * (r * s);
    Ok(Proof {
        a: a.into_affine(),
        b: b2.into_affine(),
        c: c.into_affine(),
    })
}

type Sums = (G1Projective, G1Projective, G2Projective, G1Projective);

/// `Σ zᵢ·Aᵢ`, `Σ zᵢ·B₁ᵢ`, `Σ zᵢ·B₂ᵢ` and `Σ wⱼ·Lⱼ`: the MSMs that need only the assignment.
fn assignment_sums(
    backends: MsmBackends<'_>,
    pk: &ProvingKey<Bn254>,
    tables: Option<&KeyTables>,
    z: &[Fr],
    witness: &[Fr],
) -> Result<Sums, MsmError> {
    let table = |pick: fn(&KeyTables) -> Option<&FixedBases<g1::Config>>| tables.and_then(pick);
    let ((a, b1), (b2, l)) = crate::parallel::join(
        || {
            crate::parallel::join(
                || backends.g1_sum(KeyQuery::A, &pk.a_query, table(|t| t.a.as_ref()), z),
                || {
                    let b1 = table(|t| t.b_g1.as_ref());
                    backends.g1_sum(KeyQuery::B1, &pk.b_g1_query, b1, z)
                },
            )
        },
        || {
            crate::parallel::join(
                || {
                    let b2 = tables.and_then(|t| t.b_g2.as_ref());
                    sum_with(b2, z, || backends.g2.msm(&pk.b_g2_query, z))
                },
                || {
                    let l = table(|t| t.l.as_ref());
                    backends.g1_sum(KeyQuery::L, &pk.l_query, l, witness)
                },
            )
        },
    );
    Ok((a?, b1?, b2?, l?))
}
