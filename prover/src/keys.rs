//! Proving and verifying keys for a batch shape: a ceremony's (a snarkjs `.zkey`, checked to
//! be exactly the shape's circuit's: [`BatchKeys::read_zkey`]) or the development setup's.
//!
//! The development setup samples Groth16's toxic waste from a seeded RNG, so anyone who knows
//! the seed can forge proofs: it is labelled insecure in the key files, in [`BatchKeys`] and in
//! every message that shows it. Key files are cached by shape, circuit digest and seed and loaded once; a file
//! whose verifying key does not hash to the hash recorded beside it is refused
//! ([`KeyError::VerifyingKeyMismatch`]).

use crate::evm::vk_hash;
use crate::qap::Reduction;
use crate::zkey::Zkey;
use crate::Progress;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::{BatchShape, Domain, L1Address};

/// Shown wherever development keys are: they are not safe for real value.
pub const INSECURE_SETUP_NOTICE: &str =
    "INSECURE development setup: toxic waste derived from a public seed; anyone can forge proofs";

/// Key file format: `k2` records the verifying-key hash of [`crate::evm::vk_hash`].
const MAGIC: &[u8; 24] = b"zksettle-insecure-dev-k2";

/// Why keys could not be made, read or trusted.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The shape cannot be proven.
    #[error(transparent)]
    Shape(#[from] zksettle_core::ShapeError),
    /// Key generation failed in the constraint system.
    #[error("setup failed: {0}")]
    Setup(#[from] ark_relations::gr1cs::SynthesisError),
    /// A key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The circuit could not be synthesized to name its key file.
    #[error("synthesizing the batch circuit: {0}")]
    Circuit(Box<crate::ProverError>),
    /// A key file is not a zksettle development key file.
    #[error("key file {0} is not a zksettle key file")]
    NotAKeyFile(PathBuf),
    /// A key file does not decode.
    #[error("key file {path} is corrupt: {source}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoding error.
        source: ark_serialize::SerializationError,
    },
    /// A `.zkey` is not a well-formed Groth16 BN254 key.
    #[error("proving key {path}: {source}")]
    Zkey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::zkey::ZkeyError,
    },
    /// A `.zkey` is well formed but not the shape's circuit's key.
    #[error(
        "the proving key is not for the batch circuit of {shape:?} (made by this build): {source}"
    )]
    NotThisCircuit {
        /// The shape it was offered for.
        shape: BatchShape,
        /// How it differs.
        source: crate::zkey::CircuitMismatch,
    },
    /// The verifying key does not hash to the recorded hash.
    #[error("verifying key hash mismatch: expected {expected}, found {found}")]
    VerifyingKeyMismatch {
        /// The recorded hash (hex).
        expected: String,
        /// The key's hash (hex).
        found: String,
    },
}

/// The keys of one batch shape.
#[derive(Debug, Clone)]
pub struct BatchKeys {
    /// The shape they prove.
    pub shape: BatchShape,
    /// Groth16 proving key.
    pub proving_key: ProvingKey<Bn254>,
    /// The verifying-key hash ([`crate::evm::vk_hash`]).
    pub vk_hash: [u8; 32],
    /// True for the development setup's keys ([`INSECURE_SETUP_NOTICE`]), false for a
    /// ceremony's.
    pub insecure: bool,
    /// The basis of the key's `H` query: [`Reduction::Libsnark`] for keys made here,
    /// [`Reduction::Circom`] for a snarkjs ceremony's.
    pub reduction: Reduction,
}

impl BatchKeys {
    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.proving_key.vk
    }

    /// The insecure development setup for `shape`, deterministic in `seed`.
    pub fn insecure_setup(shape: BatchShape, seed: &[u8]) -> Result<Self, KeyError> {
        Self::insecure_setup_with_progress(shape, seed, &crate::ignore_progress)
    }

    /// [`Self::insecure_setup`], reporting `setup` (synthesis, QAP and the key's scalar
    /// multiplications, one arkworks call), `hash` and `done`.
    pub fn insecure_setup_with_progress(
        shape: BatchShape,
        seed: &[u8],
        progress: &dyn Fn(Progress),
    ) -> Result<Self, KeyError> {
        shape.validate()?;
        progress(Progress::new("setup", 0.0));
        let blank = BatchAssignment::blank(
            shape,
            Domain {
                chain_id: 0,
                rollup: L1Address::ZERO,
            },
        );
        let mut rng = StdRng::from_seed(
            Sha256::new()
                .chain_update(b"zksettle-dev-setup")
                .chain_update(seed)
                .finalize()
                .into(),
        );
        let proving_key = Groth16::<Bn254>::generate_random_parameters_with_reduction(
            BatchCircuit { assignment: blank },
            &mut rng,
        )?;
        progress(Progress::new("hash", 0.99));
        let vk_hash = vk_hash(&proving_key.vk);
        progress(Progress::new("done", 1.0));
        Ok(BatchKeys {
            shape,
            proving_key,
            vk_hash,
            insecure: true,
            reduction: Reduction::Libsnark,
        })
    }

    /// A ceremony's keys for `shape`: a snarkjs `.zkey` ([`crate::zkey`]), taken only if it is
    /// exactly the key of `shape`'s circuit as this build synthesizes it
    /// ([`Zkey::check_circuit`]). Not insecure once someone has contributed (its toxic waste
    /// is then as safe as the ceremony's most honest participant); insecure before.
    pub fn from_zkey(shape: BatchShape, zkey: Zkey) -> Result<Self, KeyError> {
        shape.validate()?;
        let circuit = crate::ShapeConstraints::of(shape).map_err(circuit_error)?;
        zkey.check_circuit(&circuit)
            .map_err(|source| KeyError::NotThisCircuit { shape, source })?;
        let proving_key = zkey.proving_key;
        Ok(BatchKeys {
            shape,
            vk_hash: vk_hash(&proving_key.vk),
            // δ is still the generator until someone contributes: then anyone can forge.
            insecure: proving_key.delta_g1
                == <ark_bn254::G1Affine as ark_ec::AffineRepr>::generator(),
            proving_key,
            reduction: Zkey::REDUCTION,
        })
    }

    /// [`Self::from_zkey`] of the `.zkey` file at `path`.
    pub fn read_zkey(path: &Path, shape: BatchShape) -> Result<Self, KeyError> {
        let bytes = fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let zkey = Zkey::read(&bytes).map_err(|source| KeyError::Zkey {
            path: path.to_owned(),
            source,
        })?;
        drop(bytes);
        Self::from_zkey(shape, zkey)
    }

    /// Writes the key file: magic, vk hash, proving key (uncompressed, for fast loading).
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let tmp = path.with_extension("tmp");
        let mut out = BufWriter::new(fs::File::create(&tmp).map_err(io)?);
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&self.vk_hash).map_err(io)?;
        self.proving_key
            .serialize_with_mode(&mut out, Compress::No)
            .map_err(|source| KeyError::Corrupt {
                path: path.to_owned(),
                source,
            })?;
        out.flush().map_err(io)?;
        drop(out);
        fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a key file written by [`BatchKeys::write`], checking the verifying-key hash.
    pub fn read(path: &Path, shape: BatchShape) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let mut input = BufReader::new(fs::File::open(path).map_err(io)?);
        let mut magic = [0u8; 24];
        input.read_exact(&mut magic).map_err(io)?;
        if &magic != MAGIC {
            return Err(KeyError::NotAKeyFile(path.to_owned()));
        }
        let mut recorded = [0u8; 32];
        input.read_exact(&mut recorded).map_err(io)?;
        // Points are checked once by the hash below, not one by one (a subgroup check per
        // point would dominate loading).
        let proving_key =
            ProvingKey::<Bn254>::deserialize_with_mode(&mut input, Compress::No, Validate::No)
                .map_err(|source| KeyError::Corrupt {
                    path: path.to_owned(),
                    source,
                })?;
        let found = vk_hash(&proving_key.vk);
        if found != recorded {
            return Err(KeyError::VerifyingKeyMismatch {
                expected: hex::encode(recorded),
                found: hex::encode(found),
            });
        }
        Ok(BatchKeys {
            shape,
            proving_key,
            vk_hash: found,
            insecure: true,
            reduction: Reduction::Libsnark,
        })
    }
}

/// A failure to synthesize the shape's circuit, as a key error.
fn circuit_error(e: crate::ProverError) -> KeyError {
    match e {
        crate::ProverError::Synthesis(e) => KeyError::Setup(e),
        other => KeyError::Circuit(Box::new(other)),
    }
}

/// A directory of cached key files, one per shape and seed.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// A store in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        KeyStore { dir: dir.into() }
    }

    /// The file for a shape and seed, for the circuit as this build synthesizes it: the name
    /// carries the first bytes of [`crate::ShapeConstraints::digest`], so a cache written by a
    /// build with another circuit is never loaded (its proofs would not verify).
    pub fn path(&self, shape: BatchShape, seed: &[u8]) -> Result<PathBuf, KeyError> {
        shape.validate()?;
        let constraints = crate::ShapeConstraints::of(shape).map_err(circuit_error)?;
        let circuit_tag = hex::encode(&constraints.digest()[..6]);
        let seed_tag = hex::encode(&Sha256::digest(seed)[..6]);
        Ok(self.dir.join(format!(
            "batch-d{}-b{}-f{}-c{circuit_tag}-{seed_tag}.insecure-dev-k2.pk",
            shape.depth, shape.chunks, shape.fee_slots
        )))
    }

    /// The cached keys, or a fresh insecure setup written to the cache.
    pub fn load_or_setup(&self, shape: BatchShape, seed: &[u8]) -> Result<BatchKeys, KeyError> {
        self.load_or_setup_with_progress(shape, seed, &crate::ignore_progress)
    }

    /// [`Self::load_or_setup`], reporting `load` for cached keys, or the setup's phases (scaled
    /// to 95%) then `write`; `done` at the end.
    pub fn load_or_setup_with_progress(
        &self,
        shape: BatchShape,
        seed: &[u8],
        progress: &dyn Fn(Progress),
    ) -> Result<BatchKeys, KeyError> {
        let path = self.path(shape, seed)?;
        if path.exists() {
            progress(Progress::new("load", 0.0));
            let keys = BatchKeys::read(&path, shape)?;
            progress(Progress::new("done", 1.0));
            return Ok(keys);
        }
        let keys = BatchKeys::insecure_setup_with_progress(shape, seed, &|p: Progress| {
            if p.phase != "done" {
                progress(Progress::new(p.phase, p.fraction * 0.95));
            }
        })?;
        progress(Progress::new("write", 0.95));
        fs::create_dir_all(&self.dir).map_err(|source| KeyError::Io {
            path: self.dir.clone(),
            source,
        })?;
        keys.write(&path)?;
        progress(Progress::new("done", 1.0));
        Ok(keys)
    }
}
