//! Fuzz targets: every decoder that takes bytes from outside the node — the signed-transaction
//! codec (RPC hex, the pool's records), batch pubdata (what replay and `verify chain` read from
//! L1), snarkjs JSON (keys, proofs, public inputs), the batch export files of `zksettle verify`,
//! `submitBatch` calldata and the rollup's event logs as the node and the auditor decode them,
//! the JSON-RPC transaction parameters, and the node's TOML configuration.
//!
//! Each target ([`TARGETS`]) takes any bytes and panics only on a broken property: decoders
//! return typed errors, never panic, and what they accept re-encodes to the same bytes (no
//! non-canonical form is accepted) — except calldata, which must decode as the contract
//! decodes (see [`zksettle_l1::decode_submit_batch`]). Allocation is bounded by the input.
//!
//! Two ways to run them:
//! - `cargo test -p zksettle-fuzz` (part of the test command): every target over its seeds, the
//!   crashes kept in `fuzz/regressions/<target>/`, and a fixed budget of deterministic
//!   mutations ([`mutate`]); seconds.
//! - `scripts/fuzz.sh <target> <seconds>`: coverage-guided AFL++ (`cargo afl`, stable
//!   toolchain) on the binary `fuzz-target`, seeded from the same seeds; a crash goes into
//!   `fuzz/regressions/` to stay a test.
//!
//! Map: [`targets`] (the properties), [`seeds`] (valid inputs to start from), [`mutate`].

// A fuzz target reports a broken property by panicking: that is what the fuzzer looks for.
#![allow(clippy::unwrap_used)]

pub mod mutate;
pub mod seeds;
pub mod targets;

/// A target: its name (the directory of its seeds and regressions) and its property.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 8] = [
    ("signed_tx", targets::signed_tx),
    ("pubdata", targets::pubdata),
    ("snarkjs", targets::snarkjs),
    ("batch_file", targets::batch_file),
    ("submit_batch_calldata", targets::submit_batch_calldata),
    ("rpc_params", targets::rpc_params),
    ("node_config", targets::node_config),
    ("l1_logs", targets::l1_logs),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
