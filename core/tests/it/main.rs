//! Integration tests of zksettle-core: circomlibjs vectors, the state transition, its replay and
//! its invariants under random operation sequences.

// Test fixtures and helpers fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod props;
mod stf;
mod support;
mod vectors;
