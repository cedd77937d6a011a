//! What L1 holds about a rollup, read from any Ethereum node or from an export directory:
//! everything `verify chain` needs and nothing from the sequencer.
//!
//! From a node: the contract's immutables (shape, verifying-key hash) and current state
//! (root, batch number), every `BatchVerified` event with the calldata of the transaction
//! that emitted it (the pubdata and the proof live there, not in state), and every
//! `DepositQueued` / `ForcedExitQueued` event.
//!
//! An export directory holds the same: `chain.json` ([`ChainHeader`]) and `batches/<n>.json`,
//! one [`BatchExport`] per batch, each checkable alone with `zksettle verify batch`.

use crate::export::{BatchExport, BatchProofData, L1Origin, BATCH_FORMAT};
use crate::snarkjs::SnarkjsProof;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zksettle_core::field::serde_decimal;
use zksettle_core::{BatchShape, Fr, L1Address};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, L1Error, PriorityOp, ProofSystem, RollupClient};

/// The `format` tag of a [`ChainHeader`].
pub const CHAIN_FORMAT: &str = "zksettle-chain/1";

/// Blocks per `eth_getLogs` request (public nodes cap the range).
pub const LOG_RANGE: u64 = 10_000;

/// The deployment and the L1 state at the time of reading (`chain.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHeader {
    /// [`CHAIN_FORMAT`].
    pub format: String,
    /// Chain id.
    pub chain_id: u64,
    /// The rollup contract.
    pub rollup: L1Address,
    /// Its batch shape.
    pub shape: BatchShape,
    /// The deployment's proof system (its verifier contract's); Groth16 in exports that
    /// predate the field.
    #[serde(default)]
    pub proof_system: ProofSystem,
    /// The verifying-key hash the contract checks proofs with.
    #[serde(with = "crate::export::hex_array")]
    pub vk_hash: [u8; 32],
    /// The contract's root when read.
    #[serde(with = "serde_decimal")]
    pub state_root: Fr,
    /// The contract's last verified batch when read.
    pub batch_number: u64,
    /// First block scanned for events.
    pub from_block: u64,
    /// Last block scanned.
    pub to_block: u64,
    /// Deposits and forced exits queued in the scanned blocks, in queue order.
    pub priority_ops: Vec<PriorityOp>,
}

/// Everything read from L1: the header and the batches in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Record {
    /// Deployment, state, priority queue.
    pub header: ChainHeader,
    /// Verified batches with their pubdata and proofs.
    pub batches: Vec<BatchExport>,
}

/// Why L1 data could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The node failed or the contract answered something unreadable.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// A batch's calldata disagrees with the event the contract emitted for it.
    #[error(
        "batch {number}: the submitBatch calldata in {tx} disagrees with its BatchVerified event"
    )]
    CalldataMismatch {
        /// Batch number.
        number: u64,
        /// The transaction (hex).
        tx: String,
    },
    /// An export directory's file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A batch's proof is not a Groth16 proof's eight words: the deployment settles with
    /// another proof system, whose proofs this export does not carry.
    #[error("batch {number}: a {bytes}-byte proof, not a Groth16 proof's 256 bytes")]
    NotGroth16 {
        /// Batch number.
        number: u64,
        /// The proof's length.
        bytes: usize,
    },
    /// An export directory's file is malformed.
    #[error("{path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl L1Record {
    /// Reads the rollup at `client` from `from_block` (its deployment block, or 0) to the
    /// latest block; `progress(done, total)` counts batches fetched.
    pub async fn read<C: Chain>(
        client: &RollupClient<C>,
        from_block: u64,
        progress: impl Fn(u64, u64),
    ) -> Result<Self, SourceError> {
        // Read the state first, the head after: every batch the state counts is then in the
        // blocks scanned. (Each read runs at the latest block; a batch landing between them shows
        // as a root mismatch, and a second run passes.)
        let batch_number = client.batch_number().await?;
        let state_root = client.state_root().await?;
        let to_block = client.chain().block_number().await.map_err(L1Error::from)?;
        let shape = client.shape().await?;
        let vk_hash = client.vk_hash().await?;
        let proof_system = client.proof_system().await?;
        let mut priority_ops = Vec::new();
        let mut verified = Vec::new();
        let mut start = from_block;
        while start <= to_block {
            let end = to_block.min(start.saturating_add(LOG_RANGE - 1));
            priority_ops.extend(client.priority_ops(start, end).await?);
            verified.extend(client.verified_batches(start, end).await?);
            start = end + 1;
        }
        let header = ChainHeader {
            format: CHAIN_FORMAT.into(),
            chain_id: client.chain().chain_id(),
            rollup: l1_address(client.address()),
            shape,
            proof_system,
            vk_hash,
            state_root,
            batch_number,
            from_block,
            to_block,
            priority_ops,
        };
        let total = verified.len() as u64;
        let mut batches = Vec::with_capacity(verified.len());
        for (done, event) in verified.into_iter().enumerate() {
            let call = client.batch_submission(event.tx_hash).await?;
            if call.number != event.number || call.new_root != event.new_root {
                return Err(SourceError::CalldataMismatch {
                    number: event.number,
                    tx: event.tx_hash.to_string(),
                });
            }
            batches.push(BatchExport {
                format: BATCH_FORMAT.into(),
                chain_id: header.chain_id,
                rollup: header.rollup,
                shape,
                vk_hash,
                number: event.number,
                old_root: event.old_root,
                new_root: event.new_root,
                // Below r by construction (the contract masks the top three bits).
                commitment: zksettle_core::field::fr_from_be_bytes(
                    &event.commitment.to_be_bytes::<32>(),
                )
                .map_err(|_| L1Error::Decode("commitment above the field modulus".into()))?,
                pubdata: call.pubdata,
                proof: match proof_system {
                    ProofSystem::Groth16 => BatchProofData::Groth16(SnarkjsProof::from_evm_words(
                        &groth16_words(event.number, &call.proof)?,
                    )),
                    ProofSystem::Halo2 => BatchProofData::Halo2 { halo2: call.proof },
                },
                l1: Some(L1Origin {
                    tx_hash: event.tx_hash.0,
                    block_number: event.block_number,
                }),
            });
            progress(done as u64 + 1, total);
        }
        Ok(L1Record { header, batches })
    }

    /// Writes `dir/chain.json` and `dir/batches/<number>.json`.
    pub fn write_dir(&self, dir: &Path) -> Result<(), SourceError> {
        let batches = dir.join("batches");
        std::fs::create_dir_all(&batches).map_err(|source| SourceError::Io {
            path: batches.clone(),
            source,
        })?;
        write_json(&dir.join("chain.json"), &self.header)?;
        for batch in &self.batches {
            write_json(&batches.join(format!("{:08}.json", batch.number)), batch)?;
        }
        Ok(())
    }

    /// Reads what [`Self::write_dir`] wrote. Batches come in file-name order; whether that is
    /// the chain's order is for the rebuild to check.
    pub fn read_dir(dir: &Path) -> Result<Self, SourceError> {
        let header: ChainHeader = read_json(&dir.join("chain.json"))?;
        if header.format != CHAIN_FORMAT {
            return Err(SourceError::Malformed {
                path: dir.join("chain.json"),
                reason: format!("format is {:?}, expected {CHAIN_FORMAT:?}", header.format),
            });
        }
        let batches_dir = dir.join("batches");
        let io = |source| SourceError::Io {
            path: batches_dir.clone(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&batches_dir)
            .map_err(io)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        let batches = files
            .iter()
            .map(|path| {
                let text = read_text(path)?;
                BatchExport::from_json(&text).map_err(|e| SourceError::Malformed {
                    path: path.clone(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(L1Record { header, batches })
    }
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    std::fs::read_to_string(path).map_err(|source| SourceError::Io {
        path: path.into(),
        source,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SourceError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| SourceError::Malformed {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Writes `value` as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), SourceError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| SourceError::Malformed {
        path: path.into(),
        reason: e.to_string(),
    })?;
    std::fs::write(path, text + "\n").map_err(|source| SourceError::Io {
        path: path.into(),
        source,
    })
}

/// A Groth16 proof's eight EVM words from the verifier's bytes.
fn groth16_words(number: u64, proof: &[u8]) -> Result<[[u8; 32]; 8], SourceError> {
    let not_groth16 = || SourceError::NotGroth16 {
        number,
        bytes: proof.len(),
    };
    if proof.len() != 256 {
        return Err(not_groth16());
    }
    let mut words = [[0u8; 32]; 8];
    for (word, bytes) in words.iter_mut().zip(proof.chunks_exact(32)) {
        word.copy_from_slice(bytes);
    }
    Ok(words)
}
