//! Pubdata: the bytes of a batch posted to L1, from which anyone can rebuild the whole state.
//!
//! A batch of shape `(B, D, F)` posts exactly `B` chunks of `C = 2w + 6` bytes followed by `F`
//! fee-recipient indices of `w = ⌈D/8⌉` bytes each (for `D = 24`: `w = 3`, `C = 12`). Each op
//! occupies a whole number of chunks, zero-padded; unused chunks are Noops (all zero); unused
//! fee slots are index 0. All integers are big-endian; amounts in transfers and all fees are
//! packed floats ([`crate::amount`]). `docs/protocol.md` tabulates every layout.
//!
//! | op | layout | bytes (D = 24) | chunks |
//! |---|---|---|---|
//! | Noop | `0` | 1 | 1 |
//! | Transfer | `2 ‖ from ‖ to ‖ amount₂₄ ‖ fee₁₆` | 12 | 1 |
//! | TransferToNew | `3 ‖ from ‖ to ‖ amount₂₄ ‖ fee₁₆ ‖ key₃₂ ‖ l1₂₀` | 64 | 6 |
//! | Withdraw | `4 ‖ from ‖ token₄ ‖ amount₁₆ ‖ fee₁₆ ‖ l1₂₀` | 46 | 4 |
//! | Deposit | `1 ‖ to ‖ token₄ ‖ amount₁₆ ‖ key₃₂ ‖ l1₂₀` | 76 | 7 |
//! | ForcedExit | `5 ‖ index ‖ token₄ ‖ amount₁₆ ‖ l1₂₀` | 44 | 4 |

use crate::account::{AccountIndex, L1Address, TokenId};
use crate::amount::{PackError, AMOUNT_FORMAT, FEE_FORMAT};
use crate::babyjubjub::Point;
use crate::codec::Reader;
use crate::eddsa::PublicKey;
use crate::op::*;
use serde::{Deserialize, Serialize};

/// The fixed shape of a batch: what one circuit (one verifying key) proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchShape {
    /// Account tree depth `D`.
    pub depth: u8,
    /// Capacity `B` in chunks (one chunk holds one transfer between existing accounts).
    pub chunks: usize,
    /// Number of fee recipients `F` a batch may credit.
    pub fee_slots: usize,
}

/// Why a batch shape cannot be proven or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// The tree depth is odd or outside `2..=32`.
    #[error("tree depth must be even and within 2..=32, got {0}")]
    Depth(u8),
    /// A batch of no chunks holds nothing.
    #[error("a batch needs at least one chunk")]
    NoChunks,
}

impl BatchShape {
    /// Checks the shape is one the tree and the circuit support.
    pub fn validate(&self) -> Result<(), ShapeError> {
        if !crate::tree::is_valid_depth(self.depth) {
            return Err(ShapeError::Depth(self.depth));
        }
        if self.chunks == 0 {
            return Err(ShapeError::NoChunks);
        }
        Ok(())
    }

    /// Bytes of an account index, `⌈D/8⌉`.
    pub fn index_bytes(&self) -> usize {
        usize::from(self.depth).div_ceil(8)
    }

    /// Bytes of a chunk, `2w + 6`.
    pub fn chunk_bytes(&self) -> usize {
        2 * self.index_bytes() + 6
    }

    /// Total pubdata bytes of every batch of this shape.
    pub fn pubdata_bytes(&self) -> usize {
        self.chunks * self.chunk_bytes() + self.fee_slots * self.index_bytes()
    }

    /// Unpadded record length of an op code.
    pub fn record_bytes(&self, code: u8) -> Option<usize> {
        let w = self.index_bytes();
        Some(match code {
            OP_NOOP => 1,
            OP_DEPOSIT => 1 + w + 4 + 16 + 32 + 20,
            OP_TRANSFER => 1 + 2 * w + 3 + 2,
            OP_TRANSFER_TO_NEW => 1 + 2 * w + 3 + 2 + 32 + 20,
            OP_WITHDRAW => 1 + w + 4 + 16 + 2 + 20,
            OP_FORCED_EXIT => 1 + w + 4 + 16 + 20,
            _ => return None,
        })
    }

    /// Chunks an op of this code occupies.
    pub fn op_chunks(&self, code: u8) -> Option<usize> {
        self.record_bytes(code)
            .map(|b| b.div_ceil(self.chunk_bytes()))
    }
}

/// Why pubdata cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PubdataError {
    /// The whole pubdata has the wrong length for the shape.
    #[error("pubdata must be {expected} bytes for this batch shape, got {got}")]
    Length {
        /// Bytes the shape requires.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// An op runs past the chunk area.
    #[error("op at byte {offset} runs past the end of the chunk area")]
    Truncated {
        /// Byte offset of the op.
        offset: usize,
    },
    /// Unknown op code.
    #[error("unknown op code {code} at byte {offset}")]
    UnknownOp {
        /// The code.
        code: u8,
        /// Byte offset.
        offset: usize,
    },
    /// Padding after an op (or a Noop chunk) is not all zero.
    #[error("non-zero padding in the op at byte {offset}")]
    NonZeroPadding {
        /// Byte offset of the op.
        offset: usize,
    },
    /// An account index is 0 or does not fit the tree.
    #[error("invalid account index {index} at byte {offset}")]
    BadIndex {
        /// The index.
        index: u32,
        /// Byte offset of the op.
        offset: usize,
    },
    /// A public key does not decode.
    #[error("invalid public key in the op at byte {offset}")]
    BadPublicKey {
        /// Byte offset of the op.
        offset: usize,
    },
    /// An amount or fee is not in its canonical packed form (the smallest exponent), which is
    /// the only one the circuit accepts.
    #[error("non-canonical packed amount or fee in the op at byte {offset}")]
    NonCanonicalAmount {
        /// Byte offset of the op.
        offset: usize,
    },
    /// An amount or fee is not packable (encoding only).
    #[error(transparent)]
    NotPackable(#[from] PackError),
    /// More ops than chunks, or more fee recipients than slots (encoding only).
    #[error("batch does not fit its shape")]
    OverCapacity,
}

/// Decoded pubdata of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedPubdata {
    /// Ops in order, without trailing Noop padding.
    pub ops: Vec<PubdataOp>,
    /// Fee recipients in slot order, without unused slots.
    pub fee_recipients: Vec<AccountIndex>,
}

fn put_index(out: &mut Vec<u8>, w: usize, index: AccountIndex) {
    out.extend_from_slice(&index.0.to_be_bytes()[4 - w..]);
}

/// Appends one op's record, zero-padded to whole chunks.
pub fn encode_op(
    shape: &BatchShape,
    op: &PubdataOp,
    out: &mut Vec<u8>,
) -> Result<(), PubdataError> {
    let w = shape.index_bytes();
    let start = out.len();
    out.push(op.code());
    match op {
        PubdataOp::Noop => {}
        PubdataOp::Deposit {
            to,
            token,
            amount,
            public_key,
            l1_address,
        } => {
            put_index(out, w, *to);
            out.extend_from_slice(&token.0.to_be_bytes());
            out.extend_from_slice(&amount.to_be_bytes());
            out.extend_from_slice(&public_key.pack());
            out.extend_from_slice(&l1_address.0);
        }
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
        } => {
            put_index(out, w, *from);
            put_index(out, w, *to);
            out.extend_from_slice(&AMOUNT_FORMAT.to_bytes(AMOUNT_FORMAT.pack(*amount)?));
            out.extend_from_slice(&FEE_FORMAT.to_bytes(FEE_FORMAT.pack(*fee)?));
            if let PubdataOp::TransferToNew {
                to_public_key,
                to_l1_address,
                ..
            } = op
            {
                out.extend_from_slice(&to_public_key.pack());
                out.extend_from_slice(&to_l1_address.0);
            }
        }
        PubdataOp::Withdraw {
            from,
            token,
            amount,
            fee,
            to_l1_address,
        } => {
            put_index(out, w, *from);
            out.extend_from_slice(&token.0.to_be_bytes());
            out.extend_from_slice(&amount.to_be_bytes());
            out.extend_from_slice(&FEE_FORMAT.to_bytes(FEE_FORMAT.pack(*fee)?));
            out.extend_from_slice(&to_l1_address.0);
        }
        PubdataOp::ForcedExit {
            index,
            token,
            amount,
            l1_address,
        } => {
            put_index(out, w, *index);
            out.extend_from_slice(&token.0.to_be_bytes());
            out.extend_from_slice(&amount.to_be_bytes());
            out.extend_from_slice(&l1_address.0);
        }
    }
    let chunks = shape.op_chunks(op.code()).expect("known op code");
    out.resize(start + chunks * shape.chunk_bytes(), 0);
    Ok(())
}

/// Encodes a whole batch: ops padded with Noops to `B` chunks, then the fee slots.
pub fn encode_batch(
    shape: &BatchShape,
    ops: &[PubdataOp],
    fee_recipients: &[AccountIndex],
) -> Result<Vec<u8>, PubdataError> {
    let chunk_area = shape.chunks * shape.chunk_bytes();
    let mut out = Vec::with_capacity(shape.pubdata_bytes());
    for op in ops {
        encode_op(shape, op, &mut out)?;
    }
    if out.len() > chunk_area || fee_recipients.len() > shape.fee_slots {
        return Err(PubdataError::OverCapacity);
    }
    out.resize(chunk_area, 0);
    let w = shape.index_bytes();
    for slot in 0..shape.fee_slots {
        put_index(
            &mut out,
            w,
            fee_recipients.get(slot).copied().unwrap_or(AccountIndex(0)),
        );
    }
    Ok(out)
}

/// Decodes a whole batch's pubdata, strictly: every padding byte zero, every index in range.
pub fn decode_batch(shape: &BatchShape, bytes: &[u8]) -> Result<DecodedPubdata, PubdataError> {
    if bytes.len() != shape.pubdata_bytes() {
        return Err(PubdataError::Length {
            expected: shape.pubdata_bytes(),
            got: bytes.len(),
        });
    }
    let chunk_area = shape.chunks * shape.chunk_bytes();
    let (chunk_bytes, fee_bytes) = bytes.split_at(chunk_area);
    let mut ops = Vec::new();
    let mut offset = 0;
    while offset < chunk_area {
        let code = chunk_bytes[offset];
        let record = shape
            .record_bytes(code)
            .ok_or(PubdataError::UnknownOp { code, offset })?;
        let len = shape.op_chunks(code).expect("known code") * shape.chunk_bytes();
        let slice = chunk_bytes
            .get(offset..offset + len)
            .ok_or(PubdataError::Truncated { offset })?;
        if slice[record..].iter().any(|b| *b != 0) {
            return Err(PubdataError::NonZeroPadding { offset });
        }
        ops.push(decode_op(shape, code, &slice[1..record], offset)?);
        offset += len;
    }
    while ops.last() == Some(&PubdataOp::Noop) {
        ops.pop();
    }
    let w = shape.index_bytes();
    let mut fee_recipients = Vec::new();
    let mut r = Reader::new(fee_bytes);
    for slot in 0..shape.fee_slots {
        let index = r.uint(w);
        if index == 0 {
            continue;
        }
        check_index(shape, index, chunk_area + slot * w)?;
        fee_recipients.push(AccountIndex(index));
    }
    Ok(DecodedPubdata {
        ops,
        fee_recipients,
    })
}

fn check_index(
    shape: &BatchShape,
    index: u32,
    offset: usize,
) -> Result<AccountIndex, PubdataError> {
    if index == 0 || u64::from(index) >> shape.depth != 0 {
        return Err(PubdataError::BadIndex { index, offset });
    }
    Ok(AccountIndex(index))
}

fn decode_op(
    shape: &BatchShape,
    code: u8,
    body: &[u8],
    offset: usize,
) -> Result<PubdataOp, PubdataError> {
    let w = shape.index_bytes();
    let mut r = Reader::new(body);
    let index = |r: &mut Reader<'_>| check_index(shape, r.uint(w), offset);
    let key =
        |bytes: [u8; 32]| Point::unpack(&bytes).map_err(|_| PubdataError::BadPublicKey { offset });
    let packed = |r: &mut Reader<'_>, format: crate::amount::FloatFormat| {
        format
            .unpack_canonical(r.uint(format.bytes()))
            .ok_or(PubdataError::NonCanonicalAmount { offset })
    };
    Ok(match code {
        OP_NOOP => PubdataOp::Noop,
        OP_DEPOSIT => PubdataOp::Deposit {
            to: index(&mut r)?,
            token: TokenId(r.u32()),
            amount: r.u128(),
            public_key: key(r.array())?,
            l1_address: L1Address(r.array()),
        },
        OP_TRANSFER | OP_TRANSFER_TO_NEW => {
            let from = index(&mut r)?;
            let to = index(&mut r)?;
            let amount = packed(&mut r, AMOUNT_FORMAT)?;
            let fee = packed(&mut r, FEE_FORMAT)?;
            if code == OP_TRANSFER {
                PubdataOp::Transfer {
                    from,
                    to,
                    amount,
                    fee,
                }
            } else {
                let point = key(r.array())?;
                let to_public_key = PublicKey(point);
                if !to_public_key.is_valid() {
                    return Err(PubdataError::BadPublicKey { offset });
                }
                PubdataOp::TransferToNew {
                    from,
                    to,
                    amount,
                    fee,
                    to_public_key,
                    to_l1_address: L1Address(r.array()),
                }
            }
        }
        OP_WITHDRAW => PubdataOp::Withdraw {
            from: index(&mut r)?,
            token: TokenId(r.u32()),
            amount: r.u128(),
            fee: packed(&mut r, FEE_FORMAT)?,
            to_l1_address: L1Address(r.array()),
        },
        OP_FORCED_EXIT => PubdataOp::ForcedExit {
            index: index(&mut r)?,
            token: TokenId(r.u32()),
            amount: r.u128(),
            l1_address: L1Address(r.array()),
        },
        _ => return Err(PubdataError::UnknownOp { code, offset }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PrivateKey;

    const SHAPE: BatchShape = BatchShape {
        depth: 24,
        chunks: 32,
        fee_slots: 4,
    };

    fn sample_ops() -> Vec<PubdataOp> {
        let key = PrivateKey::from_bytes([4; 32]).public_key();
        vec![
            PubdataOp::Deposit {
                to: AccountIndex(1),
                token: TokenId(0),
                amount: u128::MAX,
                public_key: key.0,
                l1_address: L1Address([1; 20]),
            },
            PubdataOp::Transfer {
                from: AccountIndex(1),
                to: AccountIndex(0xff_ffff),
                amount: 5 * 10u128.pow(18),
                fee: 2047,
            },
            PubdataOp::TransferToNew {
                from: AccountIndex(1),
                to: AccountIndex(3),
                amount: 7,
                fee: 0,
                to_public_key: key,
                to_l1_address: L1Address::ZERO,
            },
            PubdataOp::Withdraw {
                from: AccountIndex(3),
                token: TokenId(9),
                amount: 12345678901234567890,
                fee: 1,
                to_l1_address: L1Address([2; 20]),
            },
            PubdataOp::ForcedExit {
                index: AccountIndex(2),
                token: TokenId(0),
                amount: 0,
                l1_address: L1Address([3; 20]),
            },
        ]
    }

    #[test]
    fn sizes_for_depth_24() {
        assert_eq!(SHAPE.chunk_bytes(), 12);
        let sizes: Vec<_> = [
            OP_NOOP,
            OP_TRANSFER,
            OP_TRANSFER_TO_NEW,
            OP_WITHDRAW,
            OP_DEPOSIT,
            OP_FORCED_EXIT,
        ]
        .iter()
        .map(|c| {
            (
                SHAPE.record_bytes(*c).unwrap(),
                SHAPE.op_chunks(*c).unwrap(),
            )
        })
        .collect();
        assert_eq!(
            sizes,
            vec![(1, 1), (12, 1), (64, 6), (46, 4), (76, 7), (44, 4)]
        );
    }

    #[test]
    fn batch_round_trips() {
        let ops = sample_ops();
        let fees = vec![AccountIndex(1), AccountIndex(7)];
        let bytes = encode_batch(&SHAPE, &ops, &fees).unwrap();
        assert_eq!(bytes.len(), SHAPE.pubdata_bytes());
        let decoded = decode_batch(&SHAPE, &bytes).unwrap();
        assert_eq!(decoded.ops, ops);
        assert_eq!(decoded.fee_recipients, fees);
    }

    #[test]
    fn malformed_pubdata_is_refused() {
        let bytes = encode_batch(&SHAPE, &sample_ops(), &[]).unwrap();
        assert!(matches!(
            decode_batch(&SHAPE, &bytes[1..]),
            Err(PubdataError::Length { .. })
        ));
        let mut unknown = bytes.clone();
        unknown[0] = 9;
        assert_eq!(
            decode_batch(&SHAPE, &unknown),
            Err(PubdataError::UnknownOp { code: 9, offset: 0 })
        );
        let mut padding = bytes.clone();
        padding[7 * 12 - 1] = 1; // last byte of the deposit's seventh chunk
        assert_eq!(
            decode_batch(&SHAPE, &padding),
            Err(PubdataError::NonZeroPadding { offset: 0 })
        );
        let mut zero_index = bytes.clone();
        zero_index[1..4].copy_from_slice(&[0, 0, 0]);
        assert!(matches!(
            decode_batch(&SHAPE, &zero_index),
            Err(PubdataError::BadIndex { index: 0, .. })
        ));
        // A deposit starting in the last chunk cannot fit.
        let mut truncated = vec![0u8; SHAPE.pubdata_bytes()];
        truncated[31 * 12] = OP_DEPOSIT;
        assert!(matches!(
            decode_batch(&SHAPE, &truncated),
            Err(PubdataError::Truncated { .. })
        ));
        let too_many = vec![PubdataOp::Noop; 33];
        assert_eq!(
            encode_batch(&SHAPE, &too_many, &[]),
            Err(PubdataError::OverCapacity)
        );
    }

    #[test]
    fn unpackable_amount_cannot_be_encoded() {
        let op = PubdataOp::Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            amount: 524_289,
            fee: 0,
        };
        assert!(matches!(
            encode_batch(&SHAPE, &[op], &[]),
            Err(PubdataError::NotPackable(_))
        ));
    }

    #[test]
    fn an_amount_or_fee_in_a_non_canonical_packing_is_refused() {
        let op = PubdataOp::Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            amount: 1_000_000,
            fee: 20_000,
        };
        let canonical = encode_batch(&SHAPE, &[op], &[]).unwrap();
        assert!(decode_batch(&SHAPE, &canonical).is_ok());
        let w = SHAPE.index_bytes();
        let at = 1 + 2 * w;
        // The amount as 10,000·10^2 instead of 100,000·10^1: the same value.
        let mut amount = canonical.clone();
        amount[at..at + 3].copy_from_slice(&((2u32 << 19) | 10_000).to_be_bytes()[1..]);
        assert!(matches!(
            decode_batch(&SHAPE, &amount),
            Err(PubdataError::NonCanonicalAmount { offset: 0 })
        ));
        // The fee as 200·10^2 instead of 2,000·10^1.
        let mut fee = canonical;
        fee[at + 3..at + 5].copy_from_slice(&((2u16 << 11) | 200).to_be_bytes());
        assert!(matches!(
            decode_batch(&SHAPE, &fee),
            Err(PubdataError::NonCanonicalAmount { offset: 0 })
        ));
    }
}
