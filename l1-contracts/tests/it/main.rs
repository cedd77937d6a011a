//! zksettle-l1 against the EVM: the committed artifacts, the generated contracts and the rollup
//! on the embedded chain. (Proof-carrying scenarios on both chains are in the workspace's
//! `tests/` crate.)

// Test fixtures fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod artifacts;
mod contracts;
mod halo2_batch;
mod halo2_verifier;
mod rpc_chain;
