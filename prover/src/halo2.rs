//! halo2 proofs of batches: the second proof system, beside [`crate::groth16`].
//!
//! Keys are per batch shape, from KZG parameters for the shape's `2^k` rows
//! ([`zksettle_halo2_circuit::batch::BatchCircuit::k`]) — read from a powers of tau by
//! [`crate::kzg::kzg_params`], so no ceremony of its own. Proofs use GWC openings and the
//! EVM-layout transcript (`zksettle_halo2_circuit::transcript`), which `Halo2Verifier.sol` reads
//! directly; the one public input is the batch commitment.
//!
//! The verifying key depends on the shape only: the circuit lays out the same rows, fixed
//! values and copies for every batch of a shape (a test generates it from a batch and from the
//! blank assignment and compares them).

use crate::kzg::KzgParams;
use crate::prove::ProverError;
use ark_std::rand::rngs::StdRng;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng};
use zksettle_circuits::BatchAssignment;
use zksettle_core::stf::BatchWitness;
use zksettle_core::{BatchShape, Domain};
use zksettle_halo2_circuit::batch::BatchCircuit;
use zksettle_halo2_circuit::field::to_circuit;
use zksettle_halo2_circuit::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use zksettle_halo2_circuit::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Error as PlonkError, ProvingKey, VerifyingKey,
};
use zksettle_halo2_circuit::halo2_proofs::poly::commitment::{Params as _, ParamsProver as _};
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::multiopen::{ProverGWC, VerifierGWC};
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use zksettle_halo2_circuit::halo2_proofs::transcript::{
    TranscriptReadBuffer, TranscriptWriterBuffer,
};
use zksettle_halo2_circuit::transcript::{EvmTranscriptRead, EvmTranscriptWrite};

type Scheme = KZGCommitmentScheme<Bn256>;

/// Why a halo2 key or proof could not be made, or a proof does not verify.
#[derive(Debug, thiserror::Error)]
pub enum Halo2Error {
    /// The parameters are for another number of rows than the shape needs.
    #[error("the shape needs KZG parameters for 2^{needed} rows; these are for 2^{given}")]
    ParamsSize {
        /// The shape's `k`.
        needed: u32,
        /// The parameters' `k`.
        given: u32,
    },
    /// The witness was laid out for another shape than the keys'.
    #[error("the witness is for shape {witness:?}, the keys for {keys:?}")]
    ShapeMismatch {
        /// The witness's shape.
        witness: BatchShape,
        /// The keys'.
        keys: BatchShape,
    },
    /// halo2 refused: key generation, a proof of an unsatisfied witness, or a proof that does
    /// not verify.
    #[error("halo2: {0}")]
    Plonk(#[from] PlonkError),
    /// The proof ends in bytes the verifier did not read.
    #[error("the proof has {0} bytes past its end")]
    TrailingBytes(usize),
}

/// The proving key of a shape, with the parameters it was made with.
#[derive(Debug)]
pub struct Halo2Keys {
    params: KzgParams,
    pk: ProvingKey<G1Affine>,
    shape: BatchShape,
}

impl Halo2Keys {
    /// Generates the keys of `shape` (the blank batch's layout) under `params`.
    pub fn generate(
        params: KzgParams,
        shape: BatchShape,
        domain: Domain,
    ) -> Result<Self, Halo2Error> {
        let needed = BatchCircuit::k(shape);
        if params.k() != needed {
            return Err(Halo2Error::ParamsSize {
                needed,
                given: params.k(),
            });
        }
        let circuit = BatchCircuit::new(BatchAssignment::blank(shape, domain));
        let vk = keygen_vk(&params, &circuit)?;
        let pk = keygen_pk(&params, vk, &circuit)?;
        Ok(Self { params, pk, shape })
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }

    /// The KZG parameters.
    pub fn params(&self) -> &KzgParams {
        &self.params
    }

    /// The shape.
    pub fn shape(&self) -> BatchShape {
        self.shape
    }

    /// A proof that `assignment` satisfies the circuit under its commitment.
    pub fn prove(
        &self,
        assignment: &BatchAssignment,
        rng: impl RngCore + CryptoRng,
    ) -> Result<Vec<u8>, Halo2Error> {
        if assignment.shape != self.shape {
            return Err(Halo2Error::ShapeMismatch {
                witness: assignment.shape,
                keys: self.shape,
            });
        }
        let circuit = BatchCircuit::new(assignment.clone());
        let instance = [to_circuit(&assignment.commitment)];
        let mut transcript = EvmTranscriptWrite::init(Vec::new());
        create_proof::<Scheme, ProverGWC<'_, _>, _, _, _, _>(
            &self.params,
            &self.pk,
            &[circuit],
            &[&[&instance]],
            rng,
            &mut transcript,
        )?;
        Ok(transcript.finalize())
    }
}

/// Checks `proof` of a batch with commitment `commitment` under `vk`.
pub fn verify(
    params: &KzgParams,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    commitment: zksettle_core::Fr,
) -> Result<(), Halo2Error> {
    let instance = [to_circuit(&commitment)];
    let mut transcript = EvmTranscriptRead::init(proof);
    verify_proof::<Scheme, VerifierGWC<'_, _>, _, _, _>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[&instance]],
        &mut transcript,
    )?;
    match transcript.into_inner().len() {
        0 => Ok(()),
        left => Err(Halo2Error::TrailingBytes(left)),
    }
}

/// A halo2 proof of one batch with its public input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halo2BatchProof {
    /// The batch commitment (the public input).
    pub commitment: zksettle_core::Fr,
    /// The proof, in the EVM transcript `Halo2Verifier.sol` reads.
    pub proof: Vec<u8>,
}

/// Witness → halo2 proof for one deployment's batches (its domain), each checked against the
/// verifying key before it leaves: the halo2 side of `--prover.system`.
#[derive(Debug)]
pub struct Halo2BatchProver {
    keys: Halo2Keys,
    domain: Domain,
}

impl Halo2BatchProver {
    /// Proves batches of `domain` with `keys`.
    pub fn new(keys: Halo2Keys, domain: Domain) -> Self {
        Self { keys, domain }
    }

    /// The keys.
    pub fn keys(&self) -> &Halo2Keys {
        &self.keys
    }

    /// The proof of `witness`: laid out as the R1CS prover lays it out
    /// ([`BatchAssignment::from_witness`]), proven with fresh randomness, and verified.
    pub fn prove(&self, witness: &BatchWitness) -> Result<Halo2BatchProof, ProverError> {
        let assignment = BatchAssignment::from_witness(self.keys.shape, self.domain, witness)?;
        let proof = self
            .keys
            .prove(&assignment, StdRng::from_entropy())
            .map_err(ProverError::Halo2)?;
        verify(
            &self.keys.params,
            self.keys.vk(),
            &proof,
            assignment.commitment,
        )
        .map_err(|_| ProverError::SelfCheck)?;
        Ok(Halo2BatchProof {
            commitment: assignment.commitment,
            proof,
        })
    }
}

#[cfg(test)]
mod tests;
