//! Witness material: everything the batch circuit consumes, produced by the native transition.
//!
//! For each leaf write the witness holds the leaf before and after, the Merkle path (the same
//! siblings serve both, since only this leaf changes) and the roots before and after; the
//! `root_after` of one write is the `root_before` of the next, which chains the intermediate
//! roots from the batch's old root to its new root.

use crate::account::{Account, AccountIndex, Balance, TokenId};
use crate::eddsa::{PublicKey, Signature};
use crate::field::Fr;
use crate::op::PubdataOp;
use crate::pubdata::BatchShape;
use crate::tree::MerklePath;
use crate::tx::Tx;
use serde::{Deserialize, Serialize};

/// One leaf write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafUpdate {
    /// Leaf index.
    pub index: AccountIndex,
    /// Account before (None: empty leaf).
    pub before: Option<Account>,
    /// Account after.
    pub after: Option<Account>,
    /// Siblings, valid for both `before` and `after`.
    pub path: MerklePath,
    /// Root before the write: `path.root(leaf(before))`.
    #[serde(with = "crate::field::serde_decimal")]
    pub root_before: Fr,
    /// Root after the write: `path.root(leaf(after))`.
    #[serde(with = "crate::field::serde_decimal")]
    pub root_after: Fr,
}

/// The signed transaction behind an L2 op, for the in-circuit signature check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedWitness {
    /// The transaction as signed.
    pub tx: Tx,
    /// Its signature.
    pub signature: Signature,
    /// The key it verifies under (the sending account's).
    pub public_key: PublicKey,
    /// The signed message [`Tx::message`].
    #[serde(with = "crate::field::serde_decimal")]
    pub message: Fr,
}

/// One applied op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpWitness {
    /// What pubdata records of it.
    pub op: PubdataOp,
    /// First chunk it occupies.
    pub chunk_offset: usize,
    /// Its signed transaction, for L2 ops.
    pub signed: Option<SignedWitness>,
    /// Its leaf writes in order (two for transfers, one for the others, none for Noop).
    pub updates: Vec<LeafUpdate>,
}

/// One fee slot's settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeWitness {
    /// The slot's token.
    pub token: TokenId,
    /// Fees accrued in the batch.
    #[serde(with = "crate::serde_u128")]
    pub total: Balance,
    /// The credit to the recipient.
    pub update: LeafUpdate,
}

/// Everything the batch circuit needs to prove one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchWitness {
    /// The circuit shape.
    pub shape: BatchShape,
    /// Batch number.
    pub number: u64,
    /// Root before the batch.
    #[serde(with = "crate::field::serde_decimal")]
    pub old_root: Fr,
    /// Root after the batch.
    #[serde(with = "crate::field::serde_decimal")]
    pub new_root: Fr,
    /// Applied ops in order (trailing Noop padding is implied by the shape).
    pub ops: Vec<OpWitness>,
    /// Fee settlements in slot order.
    pub fees: Vec<FeeWitness>,
    /// The batch's pubdata.
    #[serde(with = "hex_bytes")]
    pub pubdata: Vec<u8>,
    /// The public input.
    #[serde(with = "crate::field::serde_decimal")]
    pub commitment: Fr,
}

mod hex_bytes {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(v)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s.strip_prefix("0x").unwrap_or(&s)).map_err(D::Error::custom)
    }
}
