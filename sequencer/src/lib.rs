//! # zksettle-sequencer
//!
//! The operator's side of zksettle: the sequencer service (`zksettle node`, `zksettle devnet`)
//! and the `zksettle` command-line tool. The service takes signed L2 transactions, orders them
//! into batches through the core state transition, has them proven and settles them on L1.
//!
//! ## Map
//! - [`mempool`]: the transaction pool (pending and queued per sender, limits, replacement,
//!   fee order).
//!
//! The binary's subcommands live in `src/cli/` (private to the binary).

pub mod mempool;

pub use mempool::{Mempool, MempoolConfig, PoolError};
