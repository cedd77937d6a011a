//! # zksettle-sequencer
//!
//! The operator's side of zksettle: the sequencer service behind `zksettle node` and
//! `zksettle devnet`. It takes signed L2 transactions, orders them into batches through the
//! core state transition, has them proven and settles them on L1, over any base chain (the
//! `Chain` trait; the embedded EVM is the binary's choice, not this library's).
//!
//! ## Map
//! - [`mempool`]: the transaction pool (pending and queued per sender, limits, replacement,
//!   fee order).
//! - [`routing`]: the account index each deposit and transfer lands in.
//! - [`state`]: the sequencer's state machine (admission, sealing, restart).
//! - [`store`], [`records`]: the RocksDB database and what it holds.
//! - [`node`]: the running service: admission, batcher, prover workers (in process, or
//!   `zksettle prover worker`s on the PostgreSQL job queue of `zksettle-prover-queue`), L1
//!   sender and watcher.
//! - [`error_chain`]: an error and its sources on one line, for logs.
//! - [`rpc`]: the JSON-RPC API, defined once as the jsonrpsee traits `ZksApi` and
//!   `ZksPubSubApi` (server here, generated clients for wallets and tests), and its error codes.
//! - [`node::NodeBuilder`]: starts the node and its RPC server; its handle supervises the tasks.
//!
//! The `zksettle` binary (`bin/`) is a crate of its own over this library.

pub mod error_chain;
pub mod mempool;
pub mod node;
pub mod records;
pub mod routing;
pub mod rpc;
pub mod state;
pub mod store;

pub use error_chain::ErrorChain;
pub use mempool::{Mempool, MempoolConfig, PoolError};
pub use state::{Sealed, SequencerConfig, SequencerState, StateError, SubmitError};
pub use store::{DbError, NodeDb};
