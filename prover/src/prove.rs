//! Proving a batch: synthesize the circuit over the witness, make the Groth16 proof, and check
//! it against the verifying key before it leaves; a witness that does not satisfy the circuit
//! comes back as [`ProverError::Unsatisfied`] naming the constraint, never as a proof.
//!
//! Phases reported to the progress callback, with the fraction of the whole job done:
//! `synthesize` (0.0), `prove` (0.35), `verify` (0.95), `done` (1.0); the split reflects where a
//! proof spends its time on two cores.

use crate::keys::BatchKeys;
use crate::Progress;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{prepare_verifying_key, Groth16, Proof, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use ark_std::UniformRand;
use zksettle_circuits::{AssignmentError, BatchAssignment, BatchCircuit};
use zksettle_core::stf::BatchWitness;
use zksettle_core::Domain;

/// Why a batch was not proven.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The witness does not fit the keys' shape.
    #[error(transparent)]
    Assignment(#[from] AssignmentError),
    /// The witness does not satisfy the circuit (a bug upstream or a tampered witness).
    #[error("the witness does not satisfy the batch circuit (constraint {0})")]
    Unsatisfied(String),
    /// The constraint system or the prover failed.
    #[error("proving failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The proof made does not verify (never expected; checked before it leaves the prover).
    #[error("the proof does not verify against the keys' verifying key")]
    SelfCheck,
    /// A pool worker stopped (panicked) before finishing this batch.
    #[error("the prover worker for this batch stopped before finishing it")]
    WorkerLost,
}

/// A proof of one batch with its public input.
#[derive(Debug, Clone, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BatchProof {
    /// The batch commitment (the public input).
    pub commitment: Fr,
    /// The Groth16 proof.
    pub proof: Proof<Bn254>,
}

/// Proves batches of one shape.
#[derive(Debug)]
pub struct BatchProver {
    keys: BatchKeys,
    domain: Domain,
}

impl BatchProver {
    /// A prover with `keys` for the deployment `domain`.
    pub fn new(keys: BatchKeys, domain: Domain) -> Self {
        BatchProver { keys, domain }
    }

    /// The keys.
    pub fn keys(&self) -> &BatchKeys {
        &self.keys
    }

    /// Proves a batch made by `apply_batch`.
    pub fn prove(
        &self,
        witness: &BatchWitness,
        progress: &dyn Fn(Progress),
    ) -> Result<BatchProof, ProverError> {
        let assignment = BatchAssignment::from_witness(self.keys.shape, self.domain, witness)?;
        self.prove_assignment(assignment, progress)
    }

    /// Proves a laid-out batch.
    pub fn prove_assignment(
        &self,
        assignment: BatchAssignment,
        progress: &dyn Fn(Progress),
    ) -> Result<BatchProof, ProverError> {
        progress(Progress::new("synthesize", 0.0));
        let commitment = assignment.commitment;
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: false,
        });
        BatchCircuit { assignment }.generate_constraints(cs.clone())?;
        cs.finalize();

        progress(Progress::new("prove", 0.35));
        let matrices = cs.to_matrices()?;
        let r1cs = matrices
            .get(ark_relations::gr1cs::R1CS_PREDICATE_LABEL)
            .ok_or(ProverError::SelfCheck)?;
        let (num_inputs, num_constraints) = (cs.num_instance_variables(), cs.num_constraints());
        let mut full_assignment = cs.instance_assignment()?;
        full_assignment.extend(cs.witness_assignment()?);
        let mut rng = StdRng::from_entropy();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let proof = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &self.keys.proving_key,
            r,
            s,
            r1cs,
            num_inputs,
            num_constraints,
            &full_assignment,
        )?;
        drop(full_assignment);
        drop(matrices);

        // The proof verifies iff the witness satisfies the circuit (up to Groth16's negligible
        // soundness error), so satisfaction is evaluated only to explain a failure.
        progress(Progress::new("verify", 0.95));
        let proof = BatchProof { commitment, proof };
        if !verify(self.keys.verifying_key(), &proof)? {
            if !cs.is_satisfied()? {
                let which = cs.which_is_unsatisfied()?.unwrap_or_default();
                return Err(ProverError::Unsatisfied(which));
            }
            return Err(ProverError::SelfCheck);
        }
        drop(cs);
        progress(Progress::new("done", 1.0));
        Ok(proof)
    }
}

/// Checks a batch proof against a verifying key with stock `ark_groth16`.
pub fn verify(vk: &VerifyingKey<Bn254>, proof: &BatchProof) -> Result<bool, ProverError> {
    let pvk = prepare_verifying_key(vk);
    Ok(Groth16::<Bn254>::verify_proof(
        &pvk,
        &proof.proof,
        &[proof.commitment],
    )?)
}
