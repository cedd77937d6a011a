//! # zksettle-core
//!
//! The protocol core every other zksettle crate builds on: the cryptography (Poseidon and
//! EdDSA-Poseidon on Baby Jubjub, bit-exact with circomlib/circomlibjs), accounts and the sparse
//! Merkle account tree, signed transactions, the pubdata codec, the batch commitment, and the
//! native batch state transition that the batch circuit mirrors constraint for constraint.
//!
//! `docs/protocol.md` at the repository root is the normative description of every encoding.
//!
//! ## Feature flags
//! - `rocksdb` (default): [`tree::RocksStore`], the durable tree store.
//! - `parallel` (default): rayon for bulk tree hashing and batch signature checks.
//!
//! ## Map
//! - [`field`]: the BN254 scalar field and its encodings.
//! - [`poseidon`]: circomlib's Poseidon, 1 to 16 inputs.
//! - [`babyjubjub`], [`eddsa`]: the curve in circomlib's coordinates, keys and signatures.
//! - [`amount`]: packed amounts and fees.
//! - [`account`], [`tree`]: leaves and the account tree over a [`tree::TreeStore`].
//! - [`tx`]: signed L2 transactions, their signed message and binary codec.
//! - [`op`], [`pubdata`], [`commitment`]: batch contents as posted to L1.
//! - [`stf`]: `apply_batch` and `replay_batch`.
//! - [`wide`]: double-width sums of products over the BN254 fields, reduced once (Poseidon's
//!   linear layers, the verifier's Miller loop).

pub mod account;
pub mod amount;
pub mod babyjubjub;
mod codec;
pub mod commitment;
pub mod eddsa;
pub mod field;
pub mod op;
pub mod poseidon;
pub mod pubdata;
pub mod stf;
pub mod tree;
pub mod tx;
pub mod wide;

pub use account::{Account, AccountIndex, Balance, L1Address, Nonce, TokenId};
pub use eddsa::{PrivateKey, PublicKey, Signature};
pub use field::Fr;
pub use op::{Deposit, ForcedExit, Op, PubdataOp};
pub use pubdata::{BatchShape, ShapeError};
pub use stf::{apply_batch, replay_batch, AppliedBatch, BatchInput, StfConfig};
pub use tree::{AccountTree, MemoryStore};
pub use tx::{Domain, SignedTx, Transfer, Tx, Withdraw};

/// Serde adapter: `u128` as a decimal string (JSON numbers lose precision past 2^53 in
/// JavaScript wallets); accepts a string or a number on input.
pub mod serde_u128 {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serializes as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        Str(String),
        Num(u64),
    }

    /// Deserializes a decimal string (one spelling per value: digits only, no leading zero,
    /// where `u128::from_str` also takes `+7` and `007`) or a JSON integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        match StrOrNum::deserialize(d)? {
            StrOrNum::Str(s) => {
                if !crate::field::is_canonical_decimal(&s) {
                    return Err(D::Error::custom(format!(
                        "{s:?} is not a canonical decimal (digits, no leading zero)"
                    )));
                }
                s.parse().map_err(D::Error::custom)
            }
            StrOrNum::Num(n) => Ok(u128::from(n)),
        }
    }
}

#[cfg(test)]
mod serde_u128_tests {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Amount(#[serde(with = "crate::serde_u128")] u128);

    fn parse(json: &str) -> Result<u128, String> {
        serde_json::from_str::<Amount>(json)
            .map(|a| a.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_amount_has_one_decimal_spelling_and_the_integer_form_up_to_2_to_the_64() {
        assert_eq!(parse(r#""0""#), Ok(0));
        assert_eq!(parse(r#""1000""#), Ok(1000));
        assert_eq!(parse(&format!("\"{}\"", u128::MAX)), Ok(u128::MAX));
        assert_eq!(parse("18446744073709551615"), Ok(u128::from(u64::MAX)));
        // Second spellings of a value, which `u128::from_str` takes.
        for other in [
            r#""007""#, r#""+7""#, r#""00""#, r#""""#, r#"" 7""#, r#""7 ""#,
        ] {
            assert!(parse(other).is_err(), "{other} accepted");
        }
        assert!(parse(&format!("\"{}0\"", u128::MAX)).is_err());
        assert!(parse("-1").is_err());
        assert!(parse("1.0").is_err());
    }
}
