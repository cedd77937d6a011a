//! What the node stores about transactions, batches and L1, and what its RPC reports.

pub mod tx_codec;

use crate::mempool::DropReason;
use serde::{Deserialize, Serialize};
use zksettle_core::stf::BatchWitness;
use zksettle_core::{BatchShape, Domain, Fr, Op, SignedTx};
use zksettle_l1::PriorityOp;

/// Where a transaction is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TxStatus {
    /// Accepted into the pool.
    Pending,
    /// In a sealed batch, not yet proven.
    Included {
        /// The batch.
        batch: u64,
    },
    /// Its batch is proven.
    Proven {
        /// The batch.
        batch: u64,
    },
    /// Its batch was verified on L1.
    Settled {
        /// The batch.
        batch: u64,
        /// The L1 transaction that settled it.
        l1_tx: String,
    },
    /// Left out for good.
    Rejected {
        /// Why (`{"kind": …}`).
        reason: DropReason,
    },
}

/// A transaction as stored: the signed transaction, and the batch it went into once sealed.
/// The lifecycle status the RPC reports comes from this and the batch's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    pub tx: SignedTx,
    /// Arrival number (its key in the pool family while pending).
    pub arrival: u64,
    /// The batch that included it.
    pub batch: Option<u64>,
    /// Why it was dropped, if it was.
    #[serde(default, deserialize_with = "typed_or_message")]
    pub rejected: Option<DropReason>,
}

/// A stored rejection: typed, or the message alone (JSON records of older nodes).
fn typed_or_message<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DropReason>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(DropReason),
        Message(String),
    }
    Ok(
        Option::<Stored>::deserialize(deserializer)?.map(|stored| match stored {
            Stored::Typed(reason) => reason,
            Stored::Message(message) => DropReason::from_message(&message),
        }),
    )
}

/// A sealed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Its number.
    pub number: u64,
    /// The ops applied, in order (padding excluded).
    pub ops: Vec<Op>,
    /// Hashes of the L2 transactions it included, in order.
    pub tx_hashes: Vec<[u8; 32]>,
    /// Priority serials it consumed: `first..end`.
    pub priority: (u64, u64),
    /// Everything the prover needs: roots, pubdata, commitment, per-op paths.
    pub witness: BatchWitness,
    /// Unix seconds when sealed.
    pub sealed_at: u64,
    /// The L1 transaction that settled it.
    pub l1_tx: Option<String>,
    /// Made and settled by someone else (another operator, or anyone after the fallback delay)
    /// and adopted from L1: its witness holds the roots, commitment and pubdata only, and it is
    /// never proven here.
    #[serde(default)]
    pub foreign: bool,
}

impl BatchRecord {
    /// Root after the batch.
    pub fn new_root(&self) -> Fr {
        self.witness.new_root
    }
}

/// A priority operation the watcher saw on L1 in a confirmed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPriorityOp {
    /// The operation.
    pub op: PriorityOp,
}

/// What a database was created for; a node refuses to open it for anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain id and rollup address.
    pub domain: Domain,
    /// Batch shape.
    pub shape: BatchShape,
    /// SHA-256 of the verifying key's EVM words.
    pub vk_hash: String,
    /// The L1 block the rollup was deployed in.
    pub deploy_block: u64,
}

/// A settlement transaction sent and not yet seen verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// The batch.
    pub batch: u64,
    /// Unix seconds when sent.
    pub sent_at: u64,
}
