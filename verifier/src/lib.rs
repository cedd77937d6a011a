//! # zksettle-verifier
//!
//! Verification for those who do not run the sequencer: batch proofs against the pinned
//! verifying key, and the whole L2 state rebuilt from L1 data with
//! `zksettle_core::stf::replay_batch`. It never depends on the sequencer. Built by the offline
//! verifier issue; it holds no code yet.
