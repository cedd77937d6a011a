//! The circuit's view of a batch: the core's [`BatchWitness`] laid out chunk by chunk, as plain
//! values. Every chunk of a multi-chunk op repeats the op; only its first chunk carries the
//! state writes and the signature. A blank assignment (all Noop) gives the circuit's shape for
//! key generation.

use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use zksettle_core::babyjubjub::Point;
use zksettle_core::op::PubdataOp;
use zksettle_core::pubdata::BatchShape;
use zksettle_core::stf::{BatchWitness, LeafUpdate, SignedWitness};
use zksettle_core::tree::MerklePath;
use zksettle_core::{AccountIndex, Domain, Fr, L1Address, TokenId, Tx};

/// Why a witness cannot be laid out for a circuit shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// The witness was made for another shape.
    #[error("witness shape {witness:?} does not match the circuit shape {circuit:?}")]
    ShapeMismatch {
        /// The witness's shape.
        witness: BatchShape,
        /// The circuit's.
        circuit: BatchShape,
    },
    /// The ops need more chunks than the shape has.
    #[error("ops occupy {used} chunks, the shape has {capacity}")]
    TooManyChunks {
        /// Chunks used.
        used: usize,
        /// Capacity.
        capacity: usize,
    },
    /// An op's witness does not have the writes its type needs.
    #[error("op {position} has an inconsistent witness: {reason}")]
    Inconsistent {
        /// Position among the batch's ops.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// One chunk.
#[derive(Debug, Clone)]
pub struct ChunkAssignment {
    /// The op this chunk belongs to.
    pub op: PubdataOp,
    /// This chunk's position within the op (0 for its first chunk).
    pub position: usize,
    /// The op's token (for transfers, the signed token).
    pub token: TokenId,
    /// The op's key: deposit key, or the signed recipient key of a transfer; else the identity.
    pub key: Point,
    /// The op's L1 address: deposit owner, transfer or withdrawal recipient, exit requester.
    pub l1_address: L1Address,
    /// The op's signed transaction (first chunk of an L2 op).
    pub signed: Option<SignedWitness>,
    /// The first leaf write (sender, deposit target, forced-exit account); first chunk only.
    pub write_a: Option<LeafUpdate>,
    /// The second leaf write (transfer recipient); first chunk only.
    pub write_b: Option<LeafUpdate>,
    /// Whether the op's key (deposit key, new recipient key) can sign.
    pub key_valid: bool,
    /// The fee slot the op's fee accrues to.
    pub fee_slot: Option<usize>,
}

/// Op types in code order (`docs/protocol.md` §9), as both batch circuits index their flags.
pub const OP_TYPES: usize = 6;
/// No operation (padding).
pub const NOOP: usize = 0;
/// A deposit from L1.
pub const DEPOSIT: usize = 1;
/// A transfer to an existing account.
pub const TRANSFER: usize = 2;
/// A transfer that opens the recipient's account.
pub const TRANSFER_TO_NEW: usize = 3;
/// A withdrawal to L1.
pub const WITHDRAW: usize = 4;
/// A forced exit requested on L1.
pub const FORCED_EXIT: usize = 5;

/// The most chunks any op takes in `shape`: the width of a chunk's one-hot position.
pub fn max_chunks(shape: &BatchShape) -> usize {
    (0..OP_TYPES as u8)
        .filter_map(|c| shape.op_chunks(c))
        .max()
        .unwrap_or(1)
}

/// The numeric fields a chunk's op puts in the circuit (0 where its type has none): what both
/// batch circuits, R1CS and halo2, lay out as the op's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpValues {
    /// First account (sender, deposit target, exit account).
    pub index_a: u32,
    /// Second account (transfer recipient).
    pub index_b: u32,
    /// Full-precision amount.
    pub amount: u128,
    /// Fee (signed ops).
    pub fee: u128,
    /// The transfer amount's packed float (transfers only).
    pub amount_packed: u32,
    /// The fee's packed float.
    pub fee_packed: u32,
}

impl ChunkAssignment {
    /// The op's numeric fields.
    pub fn op_values(&self) -> OpValues {
        let (index_a, index_b, amount, fee) = match self.op {
            PubdataOp::Noop => (0, 0, 0, 0),
            PubdataOp::Deposit { to, amount, .. } => (to.0, 0, amount, 0),
            PubdataOp::Transfer {
                from,
                to,
                amount,
                fee,
            }
            | PubdataOp::TransferToNew {
                from,
                to,
                amount,
                fee,
                ..
            } => (from.0, to.0, amount, fee),
            PubdataOp::Withdraw {
                from, amount, fee, ..
            } => (from.0, 0, amount, fee),
            PubdataOp::ForcedExit { index, amount, .. } => (index.0, 0, amount, 0),
        };
        let is_transfer = matches!(
            self.op,
            PubdataOp::Transfer { .. } | PubdataOp::TransferToNew { .. }
        );
        let amount_packed = if is_transfer {
            AMOUNT_FORMAT.pack(amount).unwrap_or(0)
        } else {
            0
        };
        OpValues {
            index_a,
            index_b,
            amount,
            fee,
            amount_packed,
            fee_packed: FEE_FORMAT.pack(fee).unwrap_or(0),
        }
    }
}

/// One fee slot.
#[derive(Debug, Clone)]
pub struct FeeSlotAssignment {
    /// The recipient (0: unused slot).
    pub recipient: AccountIndex,
    /// The slot's token.
    pub token: TokenId,
    /// Fees accrued to it.
    pub total: u128,
    /// The credit, for a used slot.
    pub write: Option<LeafUpdate>,
}

/// A whole batch.
#[derive(Debug, Clone)]
pub struct BatchAssignment {
    /// The circuit shape.
    pub shape: BatchShape,
    /// The deployment the commitment binds.
    pub domain: Domain,
    /// Batch number.
    pub number: u64,
    /// Root before.
    pub old_root: Fr,
    /// `shape.chunks` chunks.
    pub chunks: Vec<ChunkAssignment>,
    /// `shape.fee_slots` slots.
    pub fees: Vec<FeeSlotAssignment>,
    /// The batch's pubdata (`shape.pubdata_bytes()` bytes).
    pub pubdata: Vec<u8>,
    /// The public input.
    pub commitment: Fr,
}

fn noop_chunk() -> ChunkAssignment {
    ChunkAssignment {
        op: PubdataOp::Noop,
        position: 0,
        token: TokenId(0),
        key: Point::IDENTITY,
        l1_address: L1Address::ZERO,
        signed: None,
        write_a: None,
        write_b: None,
        key_valid: false,
        fee_slot: None,
    }
}

fn unused_slot() -> FeeSlotAssignment {
    FeeSlotAssignment {
        recipient: AccountIndex(0),
        token: TokenId(0),
        total: 0,
        write: None,
    }
}

/// A leaf write that changes nothing, for disabled write slots: siblings of an empty tree.
pub fn idle_write(depth: u8) -> LeafUpdate {
    let zeros = zksettle_core::tree::empty_subtree_values();
    let levels = usize::from(zksettle_core::tree::levels(depth));
    LeafUpdate {
        index: AccountIndex(0),
        before: None,
        after: None,
        path: MerklePath {
            index: AccountIndex(0),
            siblings: zeros[..levels].iter().map(|z| [*z; 3]).collect(),
        },
        root_before: zeros[levels],
        root_after: zeros[levels],
    }
}

impl BatchAssignment {
    /// All Noop: the shape's constraint system, for setup.
    pub fn blank(shape: BatchShape, domain: Domain) -> Self {
        BatchAssignment {
            shape,
            domain,
            number: 0,
            old_root: zksettle_core::tree::empty_subtree_values()
                [usize::from(zksettle_core::tree::levels(shape.depth))],
            chunks: vec![noop_chunk(); shape.chunks],
            fees: vec![unused_slot(); shape.fee_slots],
            pubdata: vec![0; shape.pubdata_bytes()],
            commitment: Fr::from(0u64),
        }
    }

    /// Lays out a witness made by `apply_batch` for `domain`.
    pub fn from_witness(
        shape: BatchShape,
        domain: Domain,
        witness: &BatchWitness,
    ) -> Result<Self, AssignmentError> {
        if witness.shape != shape {
            return Err(AssignmentError::ShapeMismatch {
                witness: witness.shape,
                circuit: shape,
            });
        }
        let mut chunks = Vec::with_capacity(shape.chunks);
        let mut slot_of_token = std::collections::HashMap::new();
        for (slot, fee) in witness.fees.iter().enumerate() {
            slot_of_token.insert(fee.token, slot);
        }
        for (position, op) in witness.ops.iter().enumerate() {
            let inconsistent = |reason| AssignmentError::Inconsistent { position, reason };
            let count = shape
                .op_chunks(op.op.code())
                .ok_or(inconsistent("unknown op code"))?;
            let (write_a, write_b) = match (&op.op, op.updates.as_slice()) {
                (PubdataOp::Noop, []) => (None, None),
                (PubdataOp::Transfer { .. } | PubdataOp::TransferToNew { .. }, [a, b]) => {
                    (Some(a.clone()), Some(b.clone()))
                }
                (
                    PubdataOp::Deposit { .. }
                    | PubdataOp::Withdraw { .. }
                    | PubdataOp::ForcedExit { .. },
                    [a],
                ) => (Some(a.clone()), None),
                _ => return Err(inconsistent("wrong number of leaf writes for the op type")),
            };
            let key_valid = match op.op {
                PubdataOp::Deposit { public_key, .. } => {
                    zksettle_core::PublicKey(public_key).is_valid()
                }
                PubdataOp::TransferToNew { to_public_key, .. } => to_public_key.is_valid(),
                _ => false,
            };
            let (token, key, l1_address) = match (&op.op, &op.signed) {
                (
                    PubdataOp::Deposit {
                        token,
                        public_key,
                        l1_address,
                        ..
                    },
                    _,
                ) => (*token, *public_key, *l1_address),
                (
                    PubdataOp::Withdraw {
                        token,
                        to_l1_address,
                        ..
                    },
                    _,
                ) => (*token, Point::IDENTITY, *to_l1_address),
                (
                    PubdataOp::ForcedExit {
                        token, l1_address, ..
                    },
                    _,
                ) => (*token, Point::IDENTITY, *l1_address),
                (PubdataOp::Transfer { .. } | PubdataOp::TransferToNew { .. }, Some(s)) => {
                    match &s.tx {
                        Tx::Transfer(t) => (t.token, t.to.0, t.to_l1_address),
                        Tx::Withdraw(_) => {
                            return Err(inconsistent("a transfer signed as a withdrawal"))
                        }
                    }
                }
                (PubdataOp::Transfer { .. } | PubdataOp::TransferToNew { .. }, None) => {
                    return Err(inconsistent("a transfer without its signed transaction"))
                }
                (PubdataOp::Noop, _) => (TokenId(0), Point::IDENTITY, L1Address::ZERO),
            };
            let fee = op.op.fee();
            let fee_slot = match &op.signed {
                Some(s) if fee > 0 => Some(
                    *slot_of_token
                        .get(&tx_token(&s.tx))
                        .ok_or(inconsistent("fee without a fee slot"))?,
                ),
                _ => None,
            };
            for k in 0..count {
                chunks.push(ChunkAssignment {
                    op: op.op,
                    position: k,
                    token,
                    key,
                    l1_address,
                    signed: if k == 0 { op.signed.clone() } else { None },
                    write_a: if k == 0 { write_a.clone() } else { None },
                    write_b: if k == 0 { write_b.clone() } else { None },
                    key_valid,
                    fee_slot: if k == 0 { fee_slot } else { None },
                });
            }
        }
        if chunks.len() > shape.chunks {
            return Err(AssignmentError::TooManyChunks {
                used: chunks.len(),
                capacity: shape.chunks,
            });
        }
        chunks.resize_with(shape.chunks, noop_chunk);
        let mut fees: Vec<FeeSlotAssignment> = witness
            .fees
            .iter()
            .map(|f| FeeSlotAssignment {
                recipient: f.update.index,
                token: f.token,
                total: f.total,
                write: Some(f.update.clone()),
            })
            .collect();
        fees.resize_with(shape.fee_slots, unused_slot);
        Ok(BatchAssignment {
            shape,
            domain,
            number: witness.number,
            old_root: witness.old_root,
            chunks,
            fees,
            pubdata: witness.pubdata.clone(),
            commitment: witness.commitment,
        })
    }
}

fn tx_token(tx: &Tx) -> TokenId {
    match tx {
        Tx::Transfer(t) => t.token,
        Tx::Withdraw(w) => w.token,
    }
}
