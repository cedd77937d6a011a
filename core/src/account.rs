//! Accounts: one leaf of the account tree per (owner key, token).
//!
//! A leaf commits to `Poseidon(token, nonce, balance, pubkey.x, pubkey.y, l1_address)`; an empty
//! leaf is the field element 0 (no preimage of 0 is known, so an empty slot cannot be forged into
//! an account). A transfer touches exactly two leaves and never a per-account balance subtree.

use crate::eddsa::PublicKey;
use crate::field::Fr;
use crate::poseidon::poseidon;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Position of an account in the tree. Index 0 is reserved and never holds an account, so it can
/// mean "none" in pubdata (an unused fee slot).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct AccountIndex(pub u32);

impl std::fmt::Display for AccountIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A token registered on L1. Token 0 is ether.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenId(pub u32);

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A balance or amount in the token's smallest unit. Balances are below 2^128 by construction.
pub type Balance = u128;
/// Per-account transaction counter.
pub type Nonce = u32;

/// A 20-byte Ethereum address; all zeros means "none".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct L1Address(pub [u8; 20]);

impl L1Address {
    /// The zero address ("no L1 address").
    pub const ZERO: L1Address = L1Address([0; 20]);

    /// Whether this is the zero address.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 20]
    }

    /// The address as a field element (a 160-bit big-endian integer).
    pub fn to_field(&self) -> Fr {
        let mut bytes = [0u8; 32];
        bytes[12..].copy_from_slice(&self.0);
        crate::field::fr_from_be_bytes(&bytes).expect("160-bit value is canonical")
    }
}

impl fmt::Debug for L1Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Display for L1Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

/// Why a string is not an L1 address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a 0x-prefixed 20-byte hex address: {0:?}")]
pub struct AddressParseError(pub String);

impl std::str::FromStr for L1Address {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s
            .strip_prefix("0x")
            .ok_or_else(|| AddressParseError(s.to_owned()))?;
        let mut out = [0u8; 20];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| AddressParseError(s.to_owned()))?;
        Ok(L1Address(out))
    }
}

impl Serialize for L1Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for L1Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The contents of a non-empty leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The token this account holds; fixed at creation.
    pub token: TokenId,
    /// Number of L2 transactions this account has signed and had applied.
    pub nonce: Nonce,
    /// Balance in the token's smallest unit (a decimal string in JSON: JavaScript numbers lose
    /// precision past 2^53).
    #[serde(with = "crate::serde_u128")]
    pub balance: Balance,
    /// The owner's EdDSA-Poseidon key; fixed at creation.
    pub public_key: PublicKey,
    /// Where forced exits and exodus exits pay out; zero if the account has none.
    pub l1_address: L1Address,
}

/// Byte length of [`Account::to_bytes`].
pub const ACCOUNT_BYTES: usize = 4 + 4 + 16 + 32 + 32 + 20;

/// Why stored account bytes are unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored account record is malformed")]
pub struct AccountDecodeError;

impl Account {
    /// A fresh account with nonce 0.
    pub fn new(
        token: TokenId,
        balance: Balance,
        public_key: PublicKey,
        l1_address: L1Address,
    ) -> Self {
        Account {
            token,
            nonce: 0,
            balance,
            public_key,
            l1_address,
        }
    }

    /// `Poseidon(token, nonce, balance, pubkey.x, pubkey.y, l1_address)`.
    pub fn leaf_hash(&self) -> Fr {
        poseidon(&[
            Fr::from(self.token.0),
            Fr::from(self.nonce),
            Fr::from(self.balance),
            self.public_key.0.x,
            self.public_key.0.y,
            self.l1_address.to_field(),
        ])
        .expect("six inputs")
    }

    /// Storage encoding: token, nonce, balance (big-endian), x, y (32-byte big-endian), address.
    pub fn to_bytes(&self) -> [u8; ACCOUNT_BYTES] {
        let mut out = [0u8; ACCOUNT_BYTES];
        out[0..4].copy_from_slice(&self.token.0.to_be_bytes());
        out[4..8].copy_from_slice(&self.nonce.to_be_bytes());
        out[8..24].copy_from_slice(&self.balance.to_be_bytes());
        out[24..56].copy_from_slice(&crate::field::fr_to_be_bytes(&self.public_key.0.x));
        out[56..88].copy_from_slice(&crate::field::fr_to_be_bytes(&self.public_key.0.y));
        out[88..108].copy_from_slice(&self.l1_address.0);
        out
    }

    /// Decodes [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccountDecodeError> {
        if bytes.len() != ACCOUNT_BYTES {
            return Err(AccountDecodeError);
        }
        let fr = |b: &[u8]| {
            crate::field::fr_from_be_bytes(b.try_into().map_err(|_| AccountDecodeError)?)
                .map_err(|_| AccountDecodeError)
        };
        let u32_at = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        Ok(Account {
            token: TokenId(u32_at(0)),
            nonce: u32_at(4),
            balance: u128::from_be_bytes(bytes[8..24].try_into().expect("16 bytes")),
            public_key: PublicKey(crate::babyjubjub::Point {
                x: fr(&bytes[24..56])?,
                y: fr(&bytes[56..88])?,
            }),
            l1_address: L1Address(bytes[88..108].try_into().expect("20 bytes")),
        })
    }
}

/// The leaf value of an optional account: its hash, or 0 when empty.
pub fn leaf_value(account: Option<&Account>) -> Fr {
    account.map_or(Fr::from(0u64), Account::leaf_hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PrivateKey;

    #[test]
    fn storage_codec_round_trips() {
        let a = Account {
            token: TokenId(7),
            nonce: 3,
            balance: u128::MAX,
            public_key: PrivateKey::from_bytes([1; 32]).public_key(),
            l1_address: "0x00112233445566778899aabbccddeeff00112233"
                .parse()
                .unwrap(),
        };
        assert_eq!(Account::from_bytes(&a.to_bytes()).unwrap(), a);
        assert_eq!(
            Account::from_bytes(&a.to_bytes()[1..]),
            Err(AccountDecodeError)
        );
        assert_ne!(a.leaf_hash(), leaf_value(None));
    }

    #[test]
    fn address_parsing() {
        assert!("0x1234".parse::<L1Address>().is_err());
        assert!("00112233445566778899aabbccddeeff00112233"
            .parse::<L1Address>()
            .is_err());
        let a: L1Address = "0x00112233445566778899AABBCCDDEEFF00112233"
            .parse()
            .unwrap();
        assert_eq!(a.to_string(), "0x00112233445566778899aabbccddeeff00112233");
    }
}
