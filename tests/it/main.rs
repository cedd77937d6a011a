//! Cross-crate behaviour: the state transition over a durable RocksDB tree across restarts, the
//! state rebuilt from pubdata alone, proven batches settled on both base chains, the node end
//! to end, and the offline verifier rebuilding and checking what the node settled.

// Test fixtures and helpers fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod audit;
mod ceremony;
mod durable_state;
mod node;
mod node_recovery;
mod settlement;
mod snarkjs;
mod subscriptions;
