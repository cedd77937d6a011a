//! One batch as an auditor receives it, and its check: `zksettle verify batch`.
//!
//! A [`BatchExport`] carries everything the batch's public input is made of (the deployment's
//! chain id and rollup address, the batch number, both roots and the pubdata) beside the proof
//! (snarkjs' `proof.json` form for Groth16; hex for halo2). The check recomputes the commitment from that data
//! (`docs/protocol.md` §10) rather than trusting the one written in the file, so a proof only
//! passes for exactly the bytes it was made for.

use crate::batch::Claim;
use crate::halo2::ProofChecker;
use crate::snarkjs::{SnarkjsError, SnarkjsProof};
use serde::{Deserialize, Serialize};
use zksettle_core::commitment::batch_commitment;
use zksettle_core::field::{fr_to_decimal, serde_decimal};
use zksettle_core::pubdata::{decode_batch, PubdataError};
use zksettle_core::{BatchShape, Domain, Fr, L1Address, ShapeError};

/// The `format` tag of a [`BatchExport`].
pub const BATCH_FORMAT: &str = "zksettle-batch/1";

/// One verified-or-to-verify batch, as written by `zksettle verify chain --export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchExport {
    /// [`BATCH_FORMAT`].
    pub format: String,
    /// Chain id of the base chain.
    pub chain_id: u64,
    /// The rollup contract.
    pub rollup: L1Address,
    /// The deployment's batch shape.
    pub shape: BatchShape,
    /// SHA-256 of the verifying key's EVM words (`zksettle_groth16_evm::vk_hash`).
    #[serde(with = "hex_array")]
    pub vk_hash: [u8; 32],
    /// Batch number.
    pub number: u64,
    /// Root before the batch.
    #[serde(with = "serde_decimal")]
    pub old_root: Fr,
    /// Root after the batch.
    #[serde(with = "serde_decimal")]
    pub new_root: Fr,
    /// The commitment the proof claims (recomputed and compared, never trusted).
    #[serde(with = "serde_decimal")]
    pub commitment: Fr,
    /// The pubdata bytes, `0x`-hex.
    #[serde(with = "hex_vec")]
    pub pubdata: Vec<u8>,
    /// The proof: snarkjs' `proof.json` form (Groth16), or `{"halo2": "0x…"}`.
    pub proof: BatchProofData,
    /// Where the batch was settled, when it came from L1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1: Option<L1Origin>,
}

/// A batch's proof as an export holds it.
// The Groth16 form is the common one; boxing it would allocate once more per batch for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BatchProofData {
    /// A Groth16 proof in snarkjs' `proof.json` form.
    Groth16(SnarkjsProof),
    /// A halo2 proof in the EVM transcript, `0x`-hex.
    Halo2 {
        /// The proof's bytes.
        #[serde(with = "hex_vec")]
        halo2: Vec<u8>,
    },
}

/// The L1 transaction that settled a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Origin {
    /// Transaction hash.
    #[serde(with = "hex_array")]
    pub tx_hash: [u8; 32],
    /// Block number.
    pub block_number: u64,
}

/// Why a batch export was refused. Each is a different fault: the file, the key, the data or
/// the proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchFileError {
    /// The file is not JSON of this format.
    #[error("malformed batch file: {0}")]
    Malformed(String),
    /// The verifying key is not the one the batch was proven under.
    #[error(
        "wrong verifying key: the batch names key hash {batch}, the key given hashes to {key}"
    )]
    WrongKeyHash {
        /// The hash in the file (hex).
        batch: String,
        /// The given key's hash (hex).
        key: String,
    },
    /// The shape in the file is not a provable shape.
    #[error("malformed batch file: {0}")]
    Shape(#[from] ShapeError),
    /// The pubdata does not decode under the shape.
    #[error("malformed pubdata: {0}")]
    Pubdata(#[from] PubdataError),
    /// The commitment recomputed from the data differs from the one in the file.
    #[error("commitment mismatch: the file claims {claimed}, the data commits to {recomputed}")]
    CommitmentMismatch {
        /// The file's commitment (decimal).
        claimed: String,
        /// The commitment of the file's data (decimal).
        recomputed: String,
    },
    /// The proof is not well-formed (a number or point is invalid).
    #[error("malformed proof: {0}")]
    MalformedProof(#[from] SnarkjsError),
    /// The proof does not verify for the data's commitment.
    #[error("invalid proof for batch {0}")]
    InvalidProof(u64),
    /// The proof is of another proof system than the key.
    #[error("batch {0} carries a proof of another proof system than the key given")]
    WrongSystem(u64),
}

impl BatchExport {
    /// Parses a batch file's text.
    pub fn from_json(text: &str) -> Result<Self, BatchFileError> {
        let export: BatchExport =
            serde_json::from_str(text).map_err(|e| BatchFileError::Malformed(e.to_string()))?;
        if export.format != BATCH_FORMAT {
            return Err(BatchFileError::Malformed(format!(
                "format is {:?}, expected {BATCH_FORMAT:?}",
                export.format
            )));
        }
        Ok(export)
    }

    /// The deployment the batch belongs to.
    pub fn domain(&self) -> Domain {
        Domain {
            chain_id: self.chain_id,
            rollup: self.rollup,
        }
    }

    /// The commitment of this file's data: the public input its proof must have.
    pub fn recomputed_commitment(&self) -> Fr {
        batch_commitment(
            &self.domain(),
            &self.old_root,
            &self.new_root,
            self.number,
            &self.pubdata,
        )
    }

    /// Everything but the proof: the key hash, the shape, the pubdata's encoding and the
    /// commitment. Returns the commitment the proof must have.
    pub fn check_data(&self, vk_hash: &[u8; 32]) -> Result<Fr, BatchFileError> {
        if &self.vk_hash != vk_hash {
            return Err(BatchFileError::WrongKeyHash {
                batch: hex::encode(self.vk_hash),
                key: hex::encode(vk_hash),
            });
        }
        self.shape.validate()?;
        decode_batch(&self.shape, &self.pubdata)?;
        let recomputed = self.recomputed_commitment();
        if recomputed != self.commitment {
            return Err(BatchFileError::CommitmentMismatch {
                claimed: fr_to_decimal(&self.commitment),
                recomputed: fr_to_decimal(&recomputed),
            });
        }
        Ok(recomputed)
    }

    /// [`Self::check_data`] of a Groth16 batch; returns the claim to verify.
    pub fn check(&self, vk_hash: &[u8; 32]) -> Result<Claim, BatchFileError> {
        let recomputed = self.check_data(vk_hash)?;
        let BatchProofData::Groth16(proof) = &self.proof else {
            return Err(BatchFileError::WrongSystem(self.number));
        };
        Ok(Claim {
            public: vec![recomputed],
            proof: proof.import()?,
        })
    }

    /// The whole check: [`Self::check_data`], then the proof against the recomputed
    /// commitment under the key of the deployment's system.
    pub fn verify(&self, checker: &ProofChecker) -> Result<(), BatchFileError> {
        let valid = match (checker, &self.proof) {
            (ProofChecker::Groth16(verifier), BatchProofData::Groth16(_)) => {
                verifier.verify_one(&self.check(verifier.key_hash())?)
            }
            (ProofChecker::Halo2(verifier), BatchProofData::Halo2 { halo2 }) => {
                let commitment = self.check_data(verifier.key_hash())?;
                verifier.verify(&commitment, halo2)
            }
            _ => return Err(BatchFileError::WrongSystem(self.number)),
        };
        if valid {
            Ok(())
        } else {
            Err(BatchFileError::InvalidProof(self.number))
        }
    }
}

/// Serde adapter: fixed-size bytes as `0x`-hex.
pub(crate) mod hex_array {
    use serde::{de::Error as _, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer, const N: usize>(
        v: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(v)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let bytes = super::hex_vec::deserialize(d)?;
        let got = bytes.len();
        bytes
            .try_into()
            .map_err(|_| D::Error::custom(format!("expected {N} bytes, got {got}")))
    }
}

/// Serde adapter: bytes as `0x`-hex.
pub(crate) mod hex_vec {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(v)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom("hex must start with 0x"))?;
        hex::decode(digits).map_err(D::Error::custom)
    }
}
