//! Real batches of every op type proven and verified end to end at small shapes, the key and
//! proof files round-tripped, and the circuit and a witness in iden3's formats checked by
//! snarkjs.

// Test fixtures fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod ceremony;
#[cfg(feature = "gpu")]
mod gpu;
mod iden3;
mod prove;
mod tables;
mod zkey;
