//! The node database's tables, typed: each is a RocksDB column family with a key codec and a
//! value codec (as reth-db's `Table`), so a caller names a table and passes typed keys and
//! values; byte layouts live here alone.
//!
//! | table | column family | key | value |
//! |---|---|---|---|
//! | [`Txs`] | `txs` | tx hash (32) | [`TxRecord`], binary ([`crate::records::tx_codec`]) |
//! | [`Pool`] | `pool` | arrival (8 BE) | tx hash: accepted, not yet in a batch |
//! | [`Batches`] | `batches` | number (8 BE) | [`BatchRecord`], JSON |
//! | [`Proofs`] | `proofs` | number (8 BE) | the proof as the deployment's verifier takes it (`submitBatch`'s bytes) |
//! | [`PriorityOps`] | `priority_ops` | serial (8 BE) | [`StoredPriorityOp`], JSON: seen on L1, confirmed |
//! | meta | `node_meta` | a [`MetaEntry`]'s key | that entry's value |
//!
//! Keys of the numbered tables are big-endian so that RocksDB's byte order is numeric order
//! (iteration from a number, the last entry).

use crate::mempool::TxHash;
use crate::records::tx_codec::{self, TxRecordError};
use crate::records::{BatchRecord, StoredPriorityOp, TxRecord};
use serde::{de::DeserializeOwned, Serialize};
use std::marker::PhantomData;

/// Why stored bytes do not decode as a table's key or value.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A fixed-width key or value has the wrong length.
    #[error("{found} bytes, expected {expected}")]
    Length {
        /// The width the codec reads.
        expected: usize,
        /// The stored length.
        found: usize,
    },
    /// A JSON record does not parse.
    #[error("json")]
    Json(#[from] serde_json::Error),
    /// A binary transaction record does not decode.
    #[error("transaction record")]
    TxRecord(#[from] TxRecordError),
    /// A text value is not UTF-8.
    #[error("not UTF-8")]
    Utf8(#[from] std::str::Utf8Error),
}

/// How one kind of key or value is laid out in bytes.
pub trait Codec {
    /// The typed form.
    type Item;
    /// The stored bytes of `item`.
    fn encode(item: &Self::Item) -> Vec<u8>;
    /// The typed form of stored bytes.
    fn decode(bytes: &[u8]) -> Result<Self::Item, CodecError>;
}

/// A table: a column family, what its records are called in errors, and its codecs.
pub trait Table {
    /// The column family.
    const NAME: &'static str;
    /// What one record is, for error messages ("transaction", "batch", …).
    const RECORD: &'static str;
    /// The key codec.
    type Key: Codec;
    /// The value codec.
    type Value: Codec;
}

/// A key of [`Table::Key`]'s typed form.
pub type KeyOf<T> = <<T as Table>::Key as Codec>::Item;
/// A value of [`Table::Value`]'s typed form.
pub type ValueOf<T> = <<T as Table>::Value as Codec>::Item;

/// One entry of table `T`, typed.
pub type EntryOf<T> = (KeyOf<T>, ValueOf<T>);

/// A `u64` as 8 big-endian bytes.
#[derive(Debug)]
pub struct BigEndianU64;

impl Codec for BigEndianU64 {
    type Item = u64;
    fn encode(item: &u64) -> Vec<u8> {
        item.to_be_bytes().to_vec()
    }
    fn decode(bytes: &[u8]) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(fixed(bytes)?))
    }
}

/// A 32-byte hash, as is.
#[derive(Debug)]
pub struct Hash32;

impl Codec for Hash32 {
    type Item = TxHash;
    fn encode(item: &TxHash) -> Vec<u8> {
        item.to_vec()
    }
    fn decode(bytes: &[u8]) -> Result<TxHash, CodecError> {
        fixed(bytes)
    }
}

/// Bytes, as is.
#[derive(Debug)]
pub struct Raw;

impl Codec for Raw {
    type Item = Vec<u8>;
    fn encode(item: &Vec<u8>) -> Vec<u8> {
        item.clone()
    }
    fn decode(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
        Ok(bytes.to_vec())
    }
}

/// UTF-8 text, as is.
#[derive(Debug)]
pub struct Text;

impl Codec for Text {
    type Item = String;
    fn encode(item: &String) -> Vec<u8> {
        item.as_bytes().to_vec()
    }
    fn decode(bytes: &[u8]) -> Result<String, CodecError> {
        Ok(std::str::from_utf8(bytes)?.to_owned())
    }
}

/// A serde record as JSON.
#[derive(Debug)]
pub struct Json<T>(PhantomData<T>);

impl<T: Serialize + DeserializeOwned> Codec for Json<T> {
    type Item = T;
    fn encode(item: &T) -> Vec<u8> {
        // The records are plain structs of strings and numbers: serializing cannot fail.
        serde_json::to_vec(item).expect("records serialize")
    }
    fn decode(bytes: &[u8]) -> Result<T, CodecError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// A [`TxRecord`] in its binary form.
#[derive(Debug)]
pub struct TxRecordCodec;

impl Codec for TxRecordCodec {
    type Item = TxRecord;
    fn encode(item: &TxRecord) -> Vec<u8> {
        tx_codec::encode(item)
    }
    fn decode(bytes: &[u8]) -> Result<TxRecord, CodecError> {
        Ok(tx_codec::decode(bytes)?)
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], CodecError> {
    bytes.try_into().map_err(|_| CodecError::Length {
        expected: N,
        found: bytes.len(),
    })
}

macro_rules! table {
    ($(#[$doc:meta])* $name:ident, $family:literal, $record:literal, $key:ty => $value:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Table for $name {
            const NAME: &'static str = $family;
            const RECORD: &'static str = $record;
            type Key = $key;
            type Value = $value;
        }
    };
}

table!(
    /// Every transaction the node accepted, by hash.
    Txs, "txs", "transaction", Hash32 => TxRecordCodec
);
table!(
    /// Accepted transactions not yet in a batch, by arrival number.
    Pool, "pool", "pool entry", BigEndianU64 => Hash32
);
table!(
    /// Sealed batches, by number.
    Batches, "batches", "batch", BigEndianU64 => Json<BatchRecord>
);
table!(
    /// Batch proofs, by batch number.
    Proofs, "proofs", "proof", BigEndianU64 => Raw
);
table!(
    /// Confirmed L1 priority operations, by serial.
    PriorityOps, "priority_ops", "priority op", BigEndianU64 => Json<StoredPriorityOp>
);

/// The column family of the node's named single values (counters and the deployment), each
/// a [`MetaEntry`].
pub(crate) const META_FAMILY: &str = "node_meta";

/// One named value in `node_meta`.
pub trait MetaEntry {
    /// Its key in `node_meta`.
    const KEY: &'static [u8];
    /// Its codec.
    type Value: Codec;
}

macro_rules! meta_entry {
    ($(#[$doc:meta])* $name:ident, $key:literal, $value:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl MetaEntry for $name {
            const KEY: &'static [u8] = $key;
            type Value = $value;
        }
    };
}

meta_entry!(
    /// The deployment the database belongs to (the JSON of [`crate::records::Genesis`], kept
    /// as written so that a restart compares it byte for byte).
    Genesis, b"genesis", Text
);
meta_entry!(
    /// Highest batch with a stored proof, every lower one proven too.
    Proven, b"proven", BigEndianU64
);
meta_entry!(
    /// Highest batch the contract verified.
    Settled, b"settled", BigEndianU64
);
meta_entry!(
    /// Next L1 block the watcher reads.
    L1NextBlock, b"l1_next_block", BigEndianU64
);
meta_entry!(
    /// The hash of the last L1 block the watcher read (`L1NextBlock - 1`), to notice a
    /// reorganization that replaced it.
    L1ScannedHash, b"l1_scanned_hash", Hash32
);
meta_entry!(
    /// Next priority serial a batch will include.
    NextPriority, b"next_priority", BigEndianU64
);
meta_entry!(
    /// The arrival number the next accepted transaction gets; arrivals are never reused.
    NextArrival, b"next_arrival", BigEndianU64
);

/// Every column family the node's tables use (the tree's are
/// [`zksettle_core::tree::TREE_COLUMN_FAMILIES`]).
pub(crate) const NODE_COLUMN_FAMILIES: [&str; 6] = [
    Txs::NAME,
    Pool::NAME,
    Batches::NAME,
    Proofs::NAME,
    PriorityOps::NAME,
    META_FAMILY,
];
