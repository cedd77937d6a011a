//! Proving timed beside `ark_groth16::Groth16::prove` on the same circuit, keys and witness, in
//! one run: what `zksettle bench prove` prints. The two alternate `repeat` times and each keeps
//! its fastest time (as `zksettle bench msm` does: the first run of either pays for page
//! faults and a cold cache, and the machine's speed drifts). Every proof must verify, or the run
//! fails.

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::time::Instant;
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::stf::BatchWitness;
use zksettle_prover::{ignore_progress, verify, BatchProof, BatchProver, ProverError};

/// One batch proven both ways.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProveComparison {
    /// Constraints of the circuit.
    pub constraints: usize,
    /// zksettle's [`BatchProver::prove`]: the circuit's witness, the proof on the MSM backend
    /// and the proof's self-check, seconds.
    pub zksettle_seconds: f64,
    /// `ark_groth16::Groth16::prove` on the same circuit and keys, seconds.
    pub ark_seconds: f64,
}

impl ProveComparison {
    /// How many times faster zksettle proves.
    pub fn ratio(&self) -> f64 {
        self.ark_seconds / self.zksettle_seconds
    }
}

/// Proves `witness` with `prover`, then with `ark_groth16` on the same keys, `repeat` times (at
/// least once) alternately, keeping each one's fastest time, and checks every proof against the
/// verifying key.
pub fn compare_prove(
    prover: &BatchProver,
    witness: &BatchWitness,
    repeat: usize,
) -> Result<ProveComparison, ProverError> {
    let keys = prover.keys();
    let mut best = ProveComparison {
        constraints: prover.constraints().constraints(),
        zksettle_seconds: f64::INFINITY,
        ark_seconds: f64::INFINITY,
    };
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let ours = prover.prove(witness, &ignore_progress)?;
        best.zksettle_seconds = best.zksettle_seconds.min(started.elapsed().as_secs_f64());

        let assignment = BatchAssignment::from_witness(keys.shape, prover.domain(), witness)?;
        let commitment = assignment.commitment;
        let mut rng = StdRng::from_entropy();
        let started = Instant::now();
        let reference =
            Groth16::<Bn254>::prove(&keys.proving_key, BatchCircuit { assignment }, &mut rng)?;
        best.ark_seconds = best.ark_seconds.min(started.elapsed().as_secs_f64());
        let reference = BatchProof {
            commitment,
            proof: reference,
        };
        if ours.commitment != commitment || !verify(keys.verifying_key(), &reference)? {
            return Err(ProverError::SelfCheck);
        }
    }
    Ok(best)
}

/// zksettle's fastest of `repeat` proofs (at least one) of `witness`, seconds: for keys
/// `ark_groth16` cannot prove from (a snarkjs `.zkey`, whose `H` query is in another basis,
/// [`zksettle_prover::qap::Reduction::Circom`]). Each proof is self-checked by the prover.
pub fn time_prove(
    prover: &BatchProver,
    witness: &BatchWitness,
    repeat: usize,
) -> Result<f64, ProverError> {
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        prover.prove(witness, &ignore_progress)?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// One batch proven by two zksettle provers of the same keys whose MSMs run on different
/// backends (the CPU's, and a GPU's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackendComparison {
    /// Constraints of the circuit.
    pub constraints: usize,
    /// The reference prover's fastest proof, seconds.
    pub reference_seconds: f64,
    /// The other prover's fastest proof, seconds.
    pub ours_seconds: f64,
}

impl BackendComparison {
    /// How many times faster the other backend proves.
    pub fn ratio(&self) -> f64 {
        self.reference_seconds / self.ours_seconds
    }
}

/// Proves `witness` with `reference`, then with `ours` (same keys, another MSM backend),
/// `repeat` times (at least once) alternately, keeping each one's fastest time. Each proof is
/// self-checked by its prover against the verifying key, and both must be of one commitment.
pub fn compare_backends(
    reference: &BatchProver,
    ours: &BatchProver,
    witness: &BatchWitness,
    repeat: usize,
) -> Result<BackendComparison, ProverError> {
    let mut best = BackendComparison {
        constraints: reference.constraints().constraints(),
        reference_seconds: f64::INFINITY,
        ours_seconds: f64::INFINITY,
    };
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let expected = reference.prove(witness, &ignore_progress)?;
        best.reference_seconds = best.reference_seconds.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let got = ours.prove(witness, &ignore_progress)?;
        best.ours_seconds = best.ours_seconds.min(started.elapsed().as_secs_f64());
        if got.commitment != expected.commitment || !verify(ours.keys().verifying_key(), &got)? {
            return Err(ProverError::SelfCheck);
        }
    }
    Ok(best)
}
