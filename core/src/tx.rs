//! Signed layer-2 transactions: what a wallet signs, how it is hashed, and the binary codec.
//!
//! The signed message of every transaction is one field element,
//!
//! ```text
//! m = Poseidon(domain, header, amount, fee, to.x, to.y, to_l1)
//! domain = chain_id · 2^160 + rollup_address
//! header = tx_type + token · 2^8 + nonce · 2^40 + from · 2^72
//! ```
//!
//! with `to = (0, 0)` for a withdrawal. The domain binds the signature to one deployment (chain id
//! and rollup contract), so it cannot be replayed on another; `from` binds it to one account, and
//! the nonce to one position in that account's history. `m` is what circomlibjs `signPoseidon`
//! signs. `docs/protocol.md` gives the byte layout of the encoding below.

use crate::account::{AccountIndex, Balance, L1Address, Nonce, TokenId};
use crate::eddsa::{PrivateKey, PublicKey, Signature, SignatureError};
use crate::field::Fr;
use crate::poseidon::poseidon;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Transaction type byte of a transfer (also its op code in pubdata).
pub const TX_TYPE_TRANSFER: u8 = 2;
/// Transaction type byte of a withdrawal (also its op code in pubdata).
pub const TX_TYPE_WITHDRAW: u8 = 4;

/// The deployment a signature is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// EIP-155 chain id of the base chain.
    pub chain_id: u64,
    /// Address of the rollup contract.
    pub rollup: L1Address,
}

impl Domain {
    /// `chain_id · 2^160 + rollup_address`.
    pub fn to_field(&self) -> Fr {
        let mut bytes = [0u8; 32];
        bytes[4..12].copy_from_slice(&self.chain_id.to_be_bytes());
        bytes[12..].copy_from_slice(&self.rollup.0);
        crate::field::fr_from_be_bytes(&bytes).expect("224-bit value is canonical")
    }
}

/// Move `amount` of the sender's token to the account of `to` (existing, or opened by this
/// transfer), paying `fee` in the same token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Sending account.
    pub from: AccountIndex,
    /// Token; must be the sending account's.
    pub token: TokenId,
    /// Amount; must be packable in 24 bits ([`crate::amount::AMOUNT_FORMAT`]).
    #[serde(with = "crate::serde_u128")]
    pub amount: Balance,
    /// Fee; must be packable in 16 bits ([`crate::amount::FEE_FORMAT`]).
    #[serde(with = "crate::serde_u128")]
    pub fee: Balance,
    /// The sending account's current nonce.
    pub nonce: Nonce,
    /// The recipient's public key.
    pub to: PublicKey,
    /// L1 address recorded if the transfer opens the recipient's account (zero: none); ignored
    /// when the recipient account exists.
    pub to_l1_address: L1Address,
}

/// Move `amount` of the sender's token to `to_l1_address` on the base chain, paying `fee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Withdrawing account.
    pub from: AccountIndex,
    /// Token; must be the account's.
    pub token: TokenId,
    /// Amount, any value up to the balance (full 128-bit precision in pubdata).
    #[serde(with = "crate::serde_u128")]
    pub amount: Balance,
    /// Fee; must be packable in 16 bits.
    #[serde(with = "crate::serde_u128")]
    pub fee: Balance,
    /// The account's current nonce.
    pub nonce: Nonce,
    /// Recipient on L1; must not be zero.
    pub to_l1_address: L1Address,
}

/// An unsigned layer-2 transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tx {
    /// A transfer.
    Transfer(Transfer),
    /// A withdrawal.
    Withdraw(Withdraw),
}

/// A transaction with its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTx {
    /// The transaction.
    pub tx: Tx,
    /// EdDSA-Poseidon signature of [`Tx::message`] by the sending account's key.
    pub signature: Signature,
}

/// Why bytes are not a signed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TxDecodeError {
    /// Empty input.
    #[error("empty transaction")]
    Empty,
    /// The type byte is not a layer-2 transaction type.
    #[error("unknown transaction type {0}")]
    UnknownType(u8),
    /// The length does not match the type.
    #[error("transaction of type {tx_type} must be {expected} bytes, got {got}")]
    Length {
        /// Type byte.
        tx_type: u8,
        /// Required length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// The recipient key is not a packed point of the prime-order subgroup.
    #[error("recipient public key is invalid")]
    RecipientKey,
    /// The signature does not decode.
    #[error("signature: {0}")]
    Signature(SignatureError),
}

/// Encoded length of a signed transfer.
pub const SIGNED_TRANSFER_BYTES: usize = 1 + 4 + 4 + 4 + 16 + 16 + 32 + 20 + 64;
/// Encoded length of a signed withdrawal.
pub const SIGNED_WITHDRAW_BYTES: usize = 1 + 4 + 4 + 4 + 16 + 16 + 20 + 64;

impl Tx {
    /// The type byte.
    pub fn tx_type(&self) -> u8 {
        match self {
            Tx::Transfer(_) => TX_TYPE_TRANSFER,
            Tx::Withdraw(_) => TX_TYPE_WITHDRAW,
        }
    }

    /// Sending account.
    pub fn from(&self) -> AccountIndex {
        match self {
            Tx::Transfer(t) => t.from,
            Tx::Withdraw(w) => w.from,
        }
    }

    /// Token moved.
    pub fn token(&self) -> TokenId {
        match self {
            Tx::Transfer(t) => t.token,
            Tx::Withdraw(w) => w.token,
        }
    }

    /// Nonce signed.
    pub fn nonce(&self) -> Nonce {
        match self {
            Tx::Transfer(t) => t.nonce,
            Tx::Withdraw(w) => w.nonce,
        }
    }

    /// Amount moved.
    pub fn amount(&self) -> Balance {
        match self {
            Tx::Transfer(t) => t.amount,
            Tx::Withdraw(w) => w.amount,
        }
    }

    /// Fee paid.
    pub fn fee(&self) -> Balance {
        match self {
            Tx::Transfer(t) => t.fee,
            Tx::Withdraw(w) => w.fee,
        }
    }

    /// `header = tx_type + token·2^8 + nonce·2^40 + from·2^72`.
    pub fn header(&self) -> Fr {
        let packed: u128 = u128::from(self.tx_type())
            | u128::from(self.token().0) << 8
            | u128::from(self.nonce()) << 40
            | u128::from(self.from().0) << 72;
        Fr::from(packed)
    }

    /// The field element the sender signs (see the module docs).
    pub fn message(&self, domain: &Domain) -> Fr {
        let (to, to_l1) = match self {
            Tx::Transfer(t) => ((t.to.0.x, t.to.0.y), t.to_l1_address),
            Tx::Withdraw(w) => ((Fr::from(0u64), Fr::from(0u64)), w.to_l1_address),
        };
        poseidon(&[
            domain.to_field(),
            self.header(),
            Fr::from(self.amount()),
            Fr::from(self.fee()),
            to.0,
            to.1,
            to_l1.to_field(),
        ])
        .expect("seven inputs")
    }

    /// Signs for `domain` with the sending account's key.
    pub fn sign(self, key: &PrivateKey, domain: &Domain) -> SignedTx {
        SignedTx {
            tx: self,
            signature: key.sign(self.message(domain)),
        }
    }
}

impl SignedTx {
    /// Verifies the signature against the sender's public key.
    pub fn verify(&self, sender: &PublicKey, domain: &Domain) -> Result<(), SignatureError> {
        sender.verify(self.tx.message(domain), &self.signature)
    }

    /// The canonical binary encoding (big-endian integers, packed key and signature).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIGNED_TRANSFER_BYTES);
        out.push(self.tx.tx_type());
        out.extend_from_slice(&self.tx.from().0.to_be_bytes());
        out.extend_from_slice(&self.tx.token().0.to_be_bytes());
        out.extend_from_slice(&self.tx.nonce().to_be_bytes());
        out.extend_from_slice(&self.tx.amount().to_be_bytes());
        out.extend_from_slice(&self.tx.fee().to_be_bytes());
        match &self.tx {
            Tx::Transfer(t) => {
                out.extend_from_slice(&t.to.pack());
                out.extend_from_slice(&t.to_l1_address.0);
            }
            Tx::Withdraw(w) => out.extend_from_slice(&w.to_l1_address.0),
        }
        out.extend_from_slice(&self.signature.pack());
        out
    }

    /// Decodes [`Self::encode`], rejecting trailing bytes, invalid keys and malleable signatures.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxDecodeError> {
        let tx_type = *bytes.first().ok_or(TxDecodeError::Empty)?;
        let expected = match tx_type {
            TX_TYPE_TRANSFER => SIGNED_TRANSFER_BYTES,
            TX_TYPE_WITHDRAW => SIGNED_WITHDRAW_BYTES,
            other => return Err(TxDecodeError::UnknownType(other)),
        };
        if bytes.len() != expected {
            return Err(TxDecodeError::Length {
                tx_type,
                expected,
                got: bytes.len(),
            });
        }
        let mut r = crate::codec::Reader::new(&bytes[1..]);
        let from = AccountIndex(r.u32());
        let token = TokenId(r.u32());
        let nonce = r.u32();
        let amount = r.u128();
        let fee = r.u128();
        let tx = if tx_type == TX_TYPE_TRANSFER {
            let to = PublicKey::unpack(&r.array()).map_err(|_| TxDecodeError::RecipientKey)?;
            Tx::Transfer(Transfer {
                from,
                token,
                amount,
                fee,
                nonce,
                to,
                to_l1_address: L1Address(r.array()),
            })
        } else {
            Tx::Withdraw(Withdraw {
                from,
                token,
                amount,
                fee,
                nonce,
                to_l1_address: L1Address(r.array()),
            })
        };
        let signature = Signature::unpack(&r.array()).map_err(TxDecodeError::Signature)?;
        Ok(SignedTx { tx, signature })
    }

    /// Transaction hash: SHA-256 of the encoding.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Domain {
        Domain {
            chain_id: 31337,
            rollup: L1Address([0xaa; 20]),
        }
    }

    fn transfer() -> Tx {
        Tx::Transfer(Transfer {
            from: AccountIndex(5),
            token: TokenId(1),
            amount: 1_000_000,
            fee: 10,
            nonce: 3,
            to: PrivateKey::from_bytes([2; 32]).public_key(),
            to_l1_address: L1Address([0x11; 20]),
        })
    }

    #[test]
    fn codec_round_trips_and_rejects_garbage() {
        let key = PrivateKey::from_bytes([1; 32]);
        for tx in [
            transfer(),
            Tx::Withdraw(Withdraw {
                from: AccountIndex(9),
                token: TokenId(0),
                amount: u128::MAX,
                fee: 0,
                nonce: u32::MAX,
                to_l1_address: L1Address([0x22; 20]),
            }),
        ] {
            let signed = tx.sign(&key, &domain());
            let bytes = signed.encode();
            assert_eq!(SignedTx::decode(&bytes).unwrap(), signed);
            assert!(matches!(
                SignedTx::decode(&bytes[..bytes.len() - 1]),
                Err(TxDecodeError::Length { .. })
            ));
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(matches!(
                SignedTx::decode(&longer),
                Err(TxDecodeError::Length { .. })
            ));
        }
        assert_eq!(SignedTx::decode(&[]), Err(TxDecodeError::Empty));
        assert_eq!(SignedTx::decode(&[7]), Err(TxDecodeError::UnknownType(7)));
    }

    #[test]
    fn signature_is_bound_to_domain_and_fields() {
        let key = PrivateKey::from_bytes([1; 32]);
        let signed = transfer().sign(&key, &domain());
        assert!(signed.verify(&key.public_key(), &domain()).is_ok());
        let other_chain = Domain {
            chain_id: 1,
            ..domain()
        };
        assert!(signed.verify(&key.public_key(), &other_chain).is_err());
        let other_rollup = Domain {
            rollup: L1Address([0xab; 20]),
            ..domain()
        };
        assert!(signed.verify(&key.public_key(), &other_rollup).is_err());
        let Tx::Transfer(t) = signed.tx else {
            unreachable!()
        };
        for changed in [
            Transfer {
                amount: t.amount + 1,
                ..t
            },
            Transfer {
                fee: t.fee + 1,
                ..t
            },
            Transfer {
                nonce: t.nonce + 1,
                ..t
            },
            Transfer {
                from: AccountIndex(6),
                ..t
            },
            Transfer {
                token: TokenId(2),
                ..t
            },
            Transfer {
                to_l1_address: L1Address([0x12; 20]),
                ..t
            },
            Transfer {
                to: PrivateKey::from_bytes([3; 32]).public_key(),
                ..t
            },
        ] {
            let forged = SignedTx {
                tx: Tx::Transfer(changed),
                signature: signed.signature,
            };
            assert!(forged.verify(&key.public_key(), &domain()).is_err());
        }
    }

    #[test]
    fn a_transactions_json_round_trips_and_unknown_fields_or_second_spellings_are_refused() {
        let signed = transfer().sign(&PrivateKey::from_bytes([1; 32]), &domain());
        let json = serde_json::to_value(signed).unwrap();
        assert_eq!(
            serde_json::from_value::<SignedTx>(json.clone()).unwrap(),
            signed
        );
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut value = json.clone();
            edit(&mut value);
            serde_json::from_value::<SignedTx>(value)
        };
        // A JSON integer for an amount is the documented alternative.
        assert_eq!(edited(&|v| v["tx"]["fee"] = 10.into()).unwrap(), signed);
        for (what, edit) in [
            (
                "an unknown top-level field",
                &(|v: &mut serde_json::Value| v["hash"] = "0x00".into())
                    as &dyn Fn(&mut serde_json::Value),
            ),
            ("an unknown transfer field", &|v| {
                v["tx"]["memo"] = "hi".into()
            }),
            ("an unknown signature field", &|v| {
                v["signature"]["v"] = 27.into()
            }),
            ("an unknown key field", &|v| v["tx"]["to"]["z"] = "1".into()),
            ("a leading zero in an amount", &|v| {
                v["tx"]["amount"] = "01000000".into()
            }),
            ("a plus sign in a fee", &|v| v["tx"]["fee"] = "+10".into()),
        ] {
            assert!(edited(edit).is_err(), "{what} was accepted");
        }
    }
}
