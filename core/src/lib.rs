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

    /// Deserializes a decimal string or a JSON integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        match StrOrNum::deserialize(d)? {
            StrOrNum::Str(s) => s.parse().map_err(D::Error::custom),
            StrOrNum::Num(n) => Ok(u128::from(n)),
        }
    }
}
