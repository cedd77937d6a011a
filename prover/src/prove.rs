//! Proving a batch: the circuit's full assignment (chunks synthesized in parallel,
//! [`zksettle_circuits::batch::witness`]), the Groth16 proof over the shape's constraint
//! matrices (built once per prover, in setup mode), and a check of the proof against the
//! verifying key before it leaves. A witness that does not satisfy the circuit comes back as
//! [`ProverError::Unsatisfied`] naming the constraint, never as a proof.
//!
//! Phases reported to the progress callback, with the fraction of the whole job done:
//! `witness` (0.0), `prove` (0.1), `verify` (0.97), `done` (1.0); the split reflects where a
//! proof spends its time on two cores.

use crate::groth16::{self, Groth16Error, MsmBackends, R1csInstance};
use crate::keys::BatchKeys;
use crate::msm::{KeyMsm, Pippenger};
use crate::tables::{KeyTables, TablesFileError};
use crate::Progress;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{prepare_verifying_key, Groth16, Proof, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use ark_std::UniformRand;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use zksettle_circuits::{AssignmentError, BatchAssignment, BatchCircuit};
use zksettle_core::stf::BatchWitness;
use zksettle_core::{BatchShape, Domain, L1Address};

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
    /// The circuit's assignment does not have the length its matrices need (a bug).
    #[error("the assignment has {found} variables, the circuit {expected}")]
    AssignmentLength {
        /// Variables in the shape's matrices.
        expected: usize,
        /// Variables assigned.
        found: usize,
    },
    /// The Groth16 prover refused the assignment or the key.
    #[error(transparent)]
    Groth16(#[from] Groth16Error),
    /// The proving key's fixed-base tables could not be built.
    #[error("building the proving key's fixed-base tables: {0}")]
    Tables(crate::msm::MsmError),
    /// The halo2 prover refused (`--prover.system halo2`).
    #[error(transparent)]
    Halo2(crate::halo2::Halo2Error),
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

/// The R1CS of one shape: what Groth16's witness reduction needs besides the assignment.
/// The same for every batch of the shape, so made once (setup-mode synthesis of the blank
/// batch, as the key generation did) and shared.
#[derive(Debug)]
pub struct ShapeConstraints {
    /// `A`, `B`, `C`.
    matrices: Vec<Matrix<Fr>>,
    /// Instance variables, `1` included.
    instance_variables: usize,
    /// Witness variables.
    witness_variables: usize,
    /// Rows.
    constraints: usize,
}

impl ShapeConstraints {
    /// Synthesizes `shape`'s circuit without values and keeps its matrices.
    pub fn of(shape: BatchShape) -> Result<Self, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        let blank = BatchAssignment::blank(
            shape,
            Domain {
                chain_id: 0,
                rollup: L1Address::ZERO,
            },
        );
        BatchCircuit { assignment: blank }.generate_constraints(cs.clone())?;
        cs.finalize();
        let matrices =
            cs.to_matrices()?
                .remove(R1CS_PREDICATE_LABEL)
                .ok_or(ProverError::Synthesis(
                    ark_relations::gr1cs::SynthesisError::MissingCS,
                ))?;
        Ok(ShapeConstraints {
            matrices,
            instance_variables: cs.num_instance_variables(),
            witness_variables: cs.num_witness_variables(),
            constraints: cs.num_constraints(),
        })
    }

    /// The R1CS of any circuit from its matrices `A`, `B`, `C` (rows of `(coefficient,
    /// variable)` terms, variables numbered `1`, the public inputs, then the witness): for keys
    /// and witnesses of circuits other than the batch's.
    pub fn from_matrices(
        matrices: Vec<Matrix<Fr>>,
        instance_variables: usize,
        witness_variables: usize,
    ) -> Self {
        let constraints = matrices.first().map_or(0, Vec::len);
        ShapeConstraints {
            matrices,
            instance_variables,
            witness_variables,
            constraints,
        }
    }

    /// Number of constraints.
    pub fn constraints(&self) -> usize {
        self.constraints
    }

    /// The matrices `A`, `B`, `C`, row by row: `(coefficient, variable)` terms, variables
    /// numbered `1`, the public inputs, then the witness.
    pub fn matrices(&self) -> &[Matrix<Fr>] {
        &self.matrices
    }

    /// Instance variables, the constant `1` included.
    pub fn instance_variables(&self) -> usize {
        self.instance_variables
    }

    /// Witness variables.
    pub fn witness_variables(&self) -> usize {
        self.witness_variables
    }

    /// SHA-256 of the variable counts and every matrix entry (row by row: column, then the
    /// coefficient's 32 little-endian bytes): any change to the circuit changes it, so keys made
    /// for another circuit of the same shape are never taken for this one's.
    pub fn digest(&self) -> [u8; 32] {
        use ark_ff::{BigInteger, PrimeField};
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for n in [
            self.instance_variables,
            self.witness_variables,
            self.constraints,
            self.matrices.len(),
        ] {
            h.update((n as u64).to_le_bytes());
        }
        for matrix in &self.matrices {
            h.update((matrix.len() as u64).to_le_bytes());
            for row in matrix {
                h.update((row.len() as u64).to_le_bytes());
                for (coefficient, column) in row {
                    h.update((*column as u64).to_le_bytes());
                    h.update(coefficient.into_bigint().to_bytes_le());
                }
            }
        }
        h.finalize().into()
    }

    /// The R1CS instance of these matrices with the full assignment `z = (1, x, w)`.
    pub fn instance<'a>(&'a self, assignment: &'a [Fr]) -> R1csInstance<'a> {
        R1csInstance {
            matrices: &self.matrices,
            instance_variables: self.instance_variables,
            constraints: self.constraints,
            assignment,
        }
    }
}

/// What [`BatchProver::load_or_build_tables_on`] did.
#[derive(Debug)]
pub struct StoredTables<'a> {
    /// The prover's tables.
    pub tables: &'a KeyTables,
    /// The key's tables file.
    pub path: PathBuf,
    /// Whether they were read from `path` (else built now, or earlier by this prover).
    pub loaded: bool,
    /// Why the file there was not used, if one was there.
    pub refused: Option<TablesFileError>,
    /// Why the built tables could not be written there, if they could not.
    pub not_saved: Option<TablesFileError>,
}

/// Proves batches of one shape.
///
/// Its key's fixed-base tables ([`KeyTables`]) are built on request
/// ([`BatchProver::build_tables`], once, shared by clones); proofs made before they are ready
/// use the variable-base MSM, and the proofs are the same either way.
#[derive(Debug, Clone)]
pub struct BatchProver {
    keys: BatchKeys,
    constraints: Arc<ShapeConstraints>,
    domain: Domain,
    tables: Arc<OnceLock<KeyTables>>,
    key_msm: Option<Arc<dyn KeyMsm>>,
}

impl BatchProver {
    /// A prover with `keys` for the deployment `domain`; synthesizes the shape's constraint
    /// matrices once (seconds for the larger shapes).
    pub fn new(keys: BatchKeys, domain: Domain) -> Result<Self, ProverError> {
        let constraints = Arc::new(ShapeConstraints::of(keys.shape)?);
        Ok(BatchProver {
            keys,
            constraints,
            domain,
            tables: Arc::default(),
            key_msm: None,
        })
    }

    /// This prover with its key's G1 queries summed on `key` (a GPU holding them, see
    /// [`crate::backend`]) instead of tables or the CPU; G2's sum stays on the CPU. Its
    /// fixed-base tables are its own from then on (G2's alone), no longer shared with the
    /// prover it was cloned from.
    pub fn with_key_msm(mut self, key: Arc<dyn KeyMsm>) -> Self {
        self.key_msm = Some(key);
        self.tables = Arc::default();
        self
    }

    /// The backend holding the key's G1 queries, if one does.
    pub fn key_msm(&self) -> Option<&dyn KeyMsm> {
        self.key_msm.as_deref()
    }

    /// Builds the key's fixed-base tables within `budget` bytes (on the current rayon pool; a
    /// scalar multiplication's work per base, seconds for small shapes, minutes at 2^20
    /// constraints), unless built already; later proofs use them. With a [`Self::key_msm`]
    /// holding the G1 queries, only G2's table.
    pub fn build_tables(&self, budget: usize) -> Result<&KeyTables, ProverError> {
        let threads = crate::parallel::current_num_threads();
        let g1 = self.key_msm.is_none();
        self.install_tables(|| KeyTables::build_for(&self.keys.proving_key, budget, threads, g1))
    }

    /// [`Self::build_tables`] on `pool`, with the windows chosen for proofs on the current
    /// pool: a build on a one-thread pool beside running proofs leaves them the other threads
    /// (on the shared pool the build's many tasks would queue ahead of a proof's).
    pub fn build_tables_on(
        &self,
        budget: usize,
        pool: &crate::parallel::ThreadPool,
    ) -> Result<&KeyTables, ProverError> {
        let threads = crate::parallel::current_num_threads();
        let pk = &self.keys.proving_key;
        let g1 = self.key_msm.is_none();
        self.install_tables(|| pool.install(|| KeyTables::build_for(pk, budget, threads, g1)))
    }

    /// [`Self::build_tables_on`], keeping the tables in `dir` beside the key: read back from
    /// the key's tables file when it holds this key's tables for this budget and thread count
    /// (checked by hash), else built and written there for the next start. A file that cannot
    /// be used or written is reported in the result, never fatal: the tables are built.
    pub fn load_or_build_tables_on(
        &self,
        budget: usize,
        pool: &crate::parallel::ThreadPool,
        dir: &Path,
    ) -> Result<StoredTables<'_>, ProverError> {
        let threads = crate::parallel::current_num_threads();
        let pk = &self.keys.proving_key;
        let digest = pool.install(|| crate::tables::key_digest(pk));
        // G2's table alone (the G1 queries on a GPU) is kept apart from the full set.
        let suffix = if self.key_msm.is_some() { "-g2" } else { "" };
        let path = dir.join(format!(
            "fixed-base-{}{suffix}.tables",
            hex::encode(&digest[..8])
        ));
        if let Some(tables) = self.tables.get() {
            return Ok(StoredTables {
                tables,
                path,
                loaded: false,
                refused: None,
                not_saved: None,
            });
        }
        let refused = if path.exists() {
            match KeyTables::read(&path, digest, budget, threads) {
                Ok(read) => {
                    return Ok(StoredTables {
                        tables: self.tables.get_or_init(|| read),
                        path,
                        loaded: true,
                        refused: None,
                        not_saved: None,
                    })
                }
                Err(e) => Some(e),
            }
        } else {
            None
        };
        let tables = self.build_tables_on(budget, pool)?;
        let not_saved = std::fs::create_dir_all(dir)
            .map_err(|source| crate::tables::TablesFileError::Io {
                path: dir.to_owned(),
                source,
            })
            .and_then(|()| tables.write(&path, digest, budget, threads))
            .err();
        Ok(StoredTables {
            tables,
            path,
            loaded: false,
            refused,
            not_saved,
        })
    }

    fn install_tables(
        &self,
        build: impl FnOnce() -> Result<KeyTables, crate::msm::MsmError>,
    ) -> Result<&KeyTables, ProverError> {
        if let Some(tables) = self.tables.get() {
            return Ok(tables);
        }
        let built = build().map_err(ProverError::Tables)?;
        // A concurrent build may have won; either table set is as good.
        Ok(self.tables.get_or_init(|| built))
    }

    /// The key's fixed-base tables, once built.
    pub fn tables(&self) -> Option<&KeyTables> {
        self.tables.get()
    }

    /// The keys.
    pub fn keys(&self) -> &BatchKeys {
        &self.keys
    }

    /// The deployment the proofs are for.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The shape's constraint system.
    pub fn constraints(&self) -> &ShapeConstraints {
        &self.constraints
    }

    /// Proves a batch made by `apply_batch`.
    pub fn prove(
        &self,
        witness: &BatchWitness,
        progress: &dyn Fn(Progress),
    ) -> Result<BatchProof, ProverError> {
        self.prove_in(self.domain, witness, progress)
    }

    /// Proves a batch of deployment `domain` (its signatures are over `domain`), whatever
    /// deployment this prover was made for: a queue worker serves jobs that each name theirs.
    /// The keys depend on the shape only.
    pub fn prove_in(
        &self,
        domain: Domain,
        witness: &BatchWitness,
        progress: &dyn Fn(Progress),
    ) -> Result<BatchProof, ProverError> {
        let assignment = BatchAssignment::from_witness(self.keys.shape, domain, witness)?;
        self.prove_assignment(assignment, progress)
    }

    /// Proves a laid-out batch.
    pub fn prove_assignment(
        &self,
        assignment: BatchAssignment,
        progress: &dyn Fn(Progress),
    ) -> Result<BatchProof, ProverError> {
        progress(Progress::new("witness", 0.0));
        let commitment = assignment.commitment;
        let circuit = BatchCircuit { assignment };
        let z = circuit.full_assignment()?.concatenated();
        let shape = &self.constraints;
        let expected = shape.instance_variables + shape.witness_variables;
        if z.len() != expected {
            return Err(ProverError::AssignmentLength {
                expected,
                found: z.len(),
            });
        }

        progress(Progress::new("prove", 0.1));
        let mut rng = StdRng::from_entropy();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let pippenger = Pippenger::default();
        let backends = MsmBackends {
            g1: &pippenger,
            g2: &pippenger,
            key_g1: self.key_msm.as_deref(),
        };
        let proof = groth16::create_proof(
            backends,
            &self.keys.proving_key,
            self.keys.reduction,
            self.tables.get(),
            r,
            s,
            shape.instance(&z),
        )?;
        drop(z);

        // The proof verifies iff the witness satisfies the circuit (up to Groth16's negligible
        // soundness error), so satisfaction is evaluated only to explain a failure.
        progress(Progress::new("verify", 0.97));
        let proof = BatchProof { commitment, proof };
        if !verify(self.keys.verifying_key(), &proof)? {
            return Err(explain_failure(circuit));
        }
        progress(Progress::new("done", 1.0));
        Ok(proof)
    }
}

/// Why a batch whose proof does not verify failed: synthesized again, sequentially and with
/// its constraints, to name the first unsatisfied one.
fn explain_failure(circuit: BatchCircuit) -> ProverError {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let explained = circuit.generate_constraints(cs.clone()).and_then(|()| {
        cs.finalize();
        cs.which_is_unsatisfied()
    });
    match explained {
        Ok(Some(which)) => ProverError::Unsatisfied(which),
        Ok(None) => ProverError::SelfCheck,
        Err(e) => ProverError::Synthesis(e),
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
