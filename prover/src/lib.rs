//! # zksettle-prover
//!
//! Groth16 proving of batch circuits: witness generation from the core's batch witness, the
//! proving and verifying keys, and the MSM backends (CPU, and GPU behind a feature) that do most
//! of the work. Built by the circuit/prover and fast-MSM issues; it holds no code yet.
