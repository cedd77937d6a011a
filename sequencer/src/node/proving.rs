//! The node's prover, of its deployment's proof system (`--prover.system`): what the prover
//! task proves sealed batches with, and the proof bytes it stores for the L1 sender (the
//! deployment's verifier's own encoding, [`zksettle_l1::VerifierProof`]).

use std::sync::Arc;
use zksettle_core::stf::BatchWitness;
use zksettle_core::Fr;
use zksettle_l1::{ProofSystem, VerifierProof};
use zksettle_prover::halo2::Halo2BatchProver;
use zksettle_prover::{BatchProver, ProverError, ProverPool};

/// A prover of the deployment's proof system.
#[derive(Debug, Clone)]
pub enum NodeProver {
    /// Groth16: proofs side by side on a [`ProverPool`], the key's fixed-base tables built in
    /// the background, local or through the PostgreSQL job queue.
    Groth16(Arc<BatchProver>),
    /// halo2 (KZG): one proof at a time on every core, in this process.
    Halo2(Arc<Halo2BatchProver>),
}

impl NodeProver {
    /// The proof system.
    pub fn system(&self) -> ProofSystem {
        match self {
            NodeProver::Groth16(_) => ProofSystem::Groth16,
            NodeProver::Halo2(_) => ProofSystem::Halo2,
        }
    }
}

/// What the prover task proves on: a pool of Groth16 workers, or the halo2 prover.
pub(super) enum Provers {
    Groth16(Arc<ProverPool>),
    Halo2(Arc<Halo2BatchProver>),
}

impl Provers {
    /// Proofs that may run side by side.
    pub(super) fn workers(&self) -> usize {
        match self {
            Provers::Groth16(pool) => pool.workers(),
            Provers::Halo2(_) => 1,
        }
    }

    /// The commitment `witness` is proven under and its proof as the verifier takes it.
    pub(super) fn prove_on(
        &self,
        worker: usize,
        witness: &BatchWitness,
    ) -> Result<(Fr, Vec<u8>), ProverError> {
        match self {
            Provers::Groth16(pool) => {
                let proof = pool.prove_on(worker, witness, &|_| {})?;
                Ok((proof.commitment, proof.proof.verifier_bytes().to_vec()))
            }
            Provers::Halo2(prover) => {
                let proof = prover.prove(witness)?;
                Ok((proof.commitment, proof.proof))
            }
        }
    }
}
