//! # zksettle-sequencer
//!
//! The operator's side of zksettle: the sequencer service (`zksettle node`, `zksettle devnet`)
//! and the `zksettle` command-line tool. The service takes signed L2 transactions, orders them
//! into batches through the core state transition, has them proven and settles them on L1.
//!
//! ## Map
//! - [`mempool`]: the transaction pool (pending and queued per sender, limits, replacement,
//!   fee order).
//! - [`routing`]: the account index each deposit and transfer lands in.
//! - [`state`]: the sequencer's state machine (admission, sealing, restart).
//! - [`store`], [`records`]: the RocksDB database and what it holds.
//! - [`node`]: the running service: admission, batcher, prover workers, L1 sender and watcher.
//! - [`rpc`]: the JSON-RPC API and its error codes.
//!
//! The binary's subcommands live in `src/cli/` (private to the binary).

pub mod mempool;
pub mod node;
pub mod records;
pub mod routing;
pub mod rpc;
pub mod state;
pub mod store;

pub use mempool::{Mempool, MempoolConfig, PoolError};
pub use state::{Sealed, SequencerConfig, SequencerState, StateError, SubmitError};
pub use store::{DbError, NodeDb};
