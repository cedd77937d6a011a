//! Integration tests of zksettle-core: circomlibjs vectors, the state transition, its replay and
//! its invariants under random operation sequences.

mod props;
mod stf;
mod support;
mod vectors;
