//! [`TxRecord`]'s stored form: fixed-width binary, field elements as canonical 32-byte
//! integers with points uncompressed, so that neither writing nor reading converts to decimal
//! or takes a square root. A record is written for every accepted transaction while its sender
//! waits, so this is on the admission path.
//!
//! ```text
//! version (1) · arrival (8) · batch flag (1) [· batch (8)] · rejected flag (1) [· length (4) · reason]
//! · tx type (1) · from (4) · token (4) · nonce (4) · amount (16) · fee (16)
//! · [transfer: to.x (32) · to.y (32)] · to_l1_address (20)
//! · R8.x (32) · R8.y (32) · s (32)
//! ```
//!
//! Integers are big-endian, field elements little-endian. The reason is the JSON of a
//! [`DropReason`] (`{"kind": …}`); older nodes wrote its message alone, which is still read
//! ([`DropReason::from_message`]). Records of the oldest nodes are JSON, which starts with `{`
//! and is still read.

use super::TxRecord;
use crate::mempool::DropReason;
use ark_ff::{BigInteger, PrimeField};
use zksettle_core::babyjubjub::{Point, SubgroupScalar};
use zksettle_core::tx::{TX_TYPE_TRANSFER, TX_TYPE_WITHDRAW};
use zksettle_core::{
    AccountIndex, Fr, L1Address, PublicKey, Signature, SignedTx, TokenId, Transfer, Tx, Withdraw,
};

/// The first byte of a binary record.
const VERSION: u8 = 1;

/// Why stored bytes are not a transaction record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxRecordError {
    /// The bytes end early or run on.
    #[error("record length: {0}")]
    Length(&'static str),
    /// A version, flag or type byte has no meaning.
    #[error("unknown {what} byte {byte}")]
    Unknown {
        /// Which byte.
        what: &'static str,
        /// Its value.
        byte: u8,
    },
    /// A field element or scalar is not below its modulus, or a point is off the curve.
    #[error("{0} is not a valid value")]
    Invalid(&'static str),
    /// The reason is not UTF-8.
    #[error("rejection reason is not UTF-8")]
    Reason,
    /// An older JSON record does not parse.
    #[error("json: {0}")]
    Json(String),
}

/// The stored form of `record`.
pub fn encode(record: &TxRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(320);
    out.push(VERSION);
    out.extend_from_slice(&record.arrival.to_be_bytes());
    match record.batch {
        Some(batch) => {
            out.push(1);
            out.extend_from_slice(&batch.to_be_bytes());
        }
        None => out.push(0),
    }
    match &record.rejected {
        Some(reason) => {
            out.push(1);
            // A reason is a small enum with a short message the node writes itself.
            let json = serde_json::to_vec(reason).expect("a drop reason serialises");
            let len = u32::try_from(json.len()).expect("a rejection reason under 4 GiB");
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&json);
        }
        None => out.push(0),
    }
    let tx = record.tx.tx;
    out.push(tx.tx_type());
    out.extend_from_slice(&tx.from().0.to_be_bytes());
    out.extend_from_slice(&tx.token().0.to_be_bytes());
    out.extend_from_slice(&tx.nonce().to_be_bytes());
    out.extend_from_slice(&tx.amount().to_be_bytes());
    out.extend_from_slice(&tx.fee().to_be_bytes());
    match tx {
        Tx::Transfer(t) => {
            put_point(&mut out, &t.to.0);
            out.extend_from_slice(&t.to_l1_address.0);
        }
        Tx::Withdraw(w) => out.extend_from_slice(&w.to_l1_address.0),
    }
    put_point(&mut out, &record.tx.signature.r8);
    out.extend_from_slice(&record.tx.signature.s.into_bigint().to_bytes_le());
    out
}

/// A record from its stored form (binary, or JSON from older nodes).
pub fn decode(bytes: &[u8]) -> Result<TxRecord, TxRecordError> {
    if bytes.first() == Some(&b'{') {
        return serde_json::from_slice(bytes).map_err(|e| TxRecordError::Json(e.to_string()));
    }
    let mut r = Reader(bytes);
    let version = r.byte()?;
    if version != VERSION {
        return Err(TxRecordError::Unknown {
            what: "version",
            byte: version,
        });
    }
    let arrival = u64::from_be_bytes(r.array()?);
    let batch = match r.flag("batch")? {
        true => Some(u64::from_be_bytes(r.array()?)),
        false => None,
    };
    let rejected = match r.flag("rejected")? {
        true => {
            let len = u32::from_be_bytes(r.array()?) as usize;
            let stored = r.take(len)?;
            Some(if stored.first() == Some(&b'{') {
                serde_json::from_slice::<DropReason>(stored)
                    .map_err(|e| TxRecordError::Json(e.to_string()))?
            } else {
                let message = std::str::from_utf8(stored).map_err(|_| TxRecordError::Reason)?;
                DropReason::from_message(message)
            })
        }
        false => None,
    };
    let tx_type = r.byte()?;
    let from = AccountIndex(u32::from_be_bytes(r.array()?));
    let token = TokenId(u32::from_be_bytes(r.array()?));
    let nonce = u32::from_be_bytes(r.array()?);
    let amount = u128::from_be_bytes(r.array()?);
    let fee = u128::from_be_bytes(r.array()?);
    let tx = match tx_type {
        TX_TYPE_TRANSFER => {
            let to = PublicKey(r.point("recipient key")?);
            Tx::Transfer(Transfer {
                from,
                token,
                amount,
                fee,
                nonce,
                to,
                to_l1_address: L1Address(r.array()?),
            })
        }
        TX_TYPE_WITHDRAW => Tx::Withdraw(Withdraw {
            from,
            token,
            amount,
            fee,
            nonce,
            to_l1_address: L1Address(r.array()?),
        }),
        byte => {
            return Err(TxRecordError::Unknown {
                what: "tx type",
                byte,
            })
        }
    };
    let r8 = r.point("R8")?;
    let s = SubgroupScalar::from_bigint(le_bigint(&r.array()?))
        .ok_or(TxRecordError::Invalid("signature scalar"))?;
    if !r.0.is_empty() {
        return Err(TxRecordError::Length("trailing bytes"));
    }
    Ok(TxRecord {
        tx: SignedTx {
            tx,
            signature: Signature { r8, s },
        },
        arrival,
        batch,
        rejected,
    })
}

fn put_point(out: &mut Vec<u8>, p: &Point) {
    out.extend_from_slice(&p.x.into_bigint().to_bytes_le());
    out.extend_from_slice(&p.y.into_bigint().to_bytes_le());
}

fn le_bigint(bytes: &[u8; 32]) -> ark_ff::BigInt<4> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    ark_ff::BigInt(limbs)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TxRecordError> {
        if self.0.len() < n {
            return Err(TxRecordError::Length("ends early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TxRecordError> {
        Ok(self.take(N)?.try_into().expect("N bytes taken"))
    }

    fn byte(&mut self) -> Result<u8, TxRecordError> {
        Ok(self.take(1)?[0])
    }

    fn flag(&mut self, what: &'static str) -> Result<bool, TxRecordError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(TxRecordError::Unknown { what, byte }),
        }
    }

    fn field(&mut self, what: &'static str) -> Result<Fr, TxRecordError> {
        Fr::from_bigint(le_bigint(&self.array()?)).ok_or(TxRecordError::Invalid(what))
    }

    fn point(&mut self, what: &'static str) -> Result<Point, TxRecordError> {
        let point = Point {
            x: self.field(what)?,
            y: self.field(what)?,
        };
        if !point.is_on_curve() {
            return Err(TxRecordError::Invalid(what));
        }
        Ok(point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zksettle_core::{Domain, PrivateKey};

    fn domain() -> Domain {
        Domain {
            chain_id: 5,
            rollup: L1Address([3; 20]),
        }
    }

    fn records() -> Vec<TxRecord> {
        let key = PrivateKey::from_bytes([4; 32]);
        let transfer = Tx::Transfer(Transfer {
            from: AccountIndex(7),
            token: TokenId(2),
            amount: 123_456_789_000,
            fee: 1_000,
            nonce: 9,
            to: PrivateKey::from_bytes([8; 32]).public_key(),
            to_l1_address: L1Address([0xab; 20]),
        })
        .sign(&key, &domain());
        let withdraw = Tx::Withdraw(Withdraw {
            from: AccountIndex(u32::MAX),
            token: TokenId(0),
            amount: u128::MAX,
            fee: 0,
            nonce: 0,
            to_l1_address: L1Address([0x11; 20]),
        })
        .sign(&key, &domain());
        vec![
            TxRecord {
                tx: transfer,
                arrival: 0,
                batch: None,
                rejected: None,
            },
            TxRecord {
                tx: withdraw,
                arrival: u64::MAX,
                batch: Some(42),
                rejected: Some(DropReason::Refused {
                    rule: "nonce used — by another".into(),
                }),
            },
            TxRecord {
                tx: transfer,
                arrival: 17,
                batch: Some(0),
                rejected: Some(DropReason::Replaced { by: [0xab; 32] }),
            },
            TxRecord {
                tx: withdraw,
                arrival: 18,
                batch: None,
                rejected: Some(DropReason::Expired),
            },
        ]
    }

    #[test]
    fn reasons_written_as_messages_by_older_nodes_read_as_their_kind() {
        let mut record = records().remove(0);
        record.rejected = Some(DropReason::Expired);
        let typed = encode(&record);
        // The same record as an older node wrote it: the message in the reason's place.
        let json = serde_json::to_vec(&DropReason::Expired).unwrap();
        let at = typed
            .windows(json.len())
            .position(|w| w == json.as_slice())
            .unwrap();
        let message = b"expired in the queue";
        let mut old = typed[..at - 4].to_vec();
        old.extend_from_slice(&(message.len() as u32).to_be_bytes());
        old.extend_from_slice(message);
        old.extend_from_slice(&typed[at + json.len()..]);
        assert_eq!(decode(&old), Ok(record.clone()));
        record.rejected = Some(DropReason::Refused {
            rule: "bad signature".into(),
        });
        let mut value = serde_json::to_value(&record).unwrap();
        value["rejected"] = "bad signature".into();
        assert_eq!(decode(&serde_json::to_vec(&value).unwrap()), Ok(record));
    }

    #[test]
    fn records_round_trip_and_json_records_of_older_nodes_still_read() {
        for record in records() {
            let bytes = encode(&record);
            assert_eq!(decode(&bytes), Ok(record.clone()));
            let json = serde_json::to_vec(&record).unwrap();
            assert_eq!(decode(&json), Ok(record));
        }
    }

    #[test]
    fn damaged_records_get_typed_errors() {
        let record = records().remove(1);
        let bytes = encode(&record);
        // Every cut ends early; one byte more runs on.
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode(&longer),
            Err(TxRecordError::Length("trailing bytes"))
        );
        let mut version = bytes.clone();
        version[0] = 2;
        assert!(matches!(
            decode(&version),
            Err(TxRecordError::Unknown {
                what: "version",
                ..
            })
        ));
        let mut flag = bytes.clone();
        flag[9] = 7;
        assert!(matches!(
            decode(&flag),
            Err(TxRecordError::Unknown { what: "batch", .. })
        ));
        // The signature scalar at its modulus, and R8 moved off the curve.
        let s_at = bytes.len() - 32;
        let mut scalar = bytes.clone();
        scalar[s_at..].copy_from_slice(&SubgroupScalar::MODULUS.to_bytes_le());
        assert_eq!(
            decode(&scalar),
            Err(TxRecordError::Invalid("signature scalar"))
        );
        let mut r8 = bytes.clone();
        r8[s_at - 64] ^= 1;
        assert_eq!(decode(&r8), Err(TxRecordError::Invalid("R8")));
        let mut json = serde_json::to_vec(&record).unwrap();
        json.truncate(json.len() - 1);
        assert!(matches!(decode(&json), Err(TxRecordError::Json(_))));
    }
}
