//! Cross-crate behaviour: the state transition over a durable RocksDB tree across restarts, the
//! state rebuilt from pubdata alone, and proven batches settled on both base chains.

// Test fixtures and helpers fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod durable_state;
mod node;
mod settlement;
