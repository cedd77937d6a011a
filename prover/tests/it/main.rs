//! Real batches of every op type proven and verified end to end at small shapes, and the key
//! and proof files round-tripped.

// Test fixtures fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod prove;
