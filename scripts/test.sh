#!/usr/bin/env bash
# Runs every zksettle check on a fresh Debian 12 machine: installs the pinned system packages the
# build needs and the pinned npm packages the tests need, then formatting, clippy and rustdoc with
# warnings as errors, then the whole workspace's tests. README.md quotes this command; .ci/run
# calls it. Arguments go to `cargo test` (a filter, say).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
install_build_packages

# solc-js (the artifact check) and anvil (the RPC settlement tests), pinned by the lockfile.
(cd l1-contracts && npm ci --no-audit --no-fund --loglevel=error)

echo "==> cargo fmt --check" >&2
cargo fmt --all --check
# Clippy and rustdoc share one set of checked dependencies (on an empty cache this compiles
# RocksDB's C++ a second time, for the check profile).
echo "==> cargo clippy (warnings are errors)" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
# The prover's fallbacks must compile, and its unit tests (MSM, NTT and QAP against arkworks)
# pass on them: no `asm` (what another architecture builds) and no `parallel` (the sequential
# stand-ins of `prover/src/parallel.rs`; rayon not compiled).
echo "==> the prover without its asm and parallel features" >&2
cargo check -p zksettle-prover --no-default-features --all-targets --locked
cargo test -p zksettle-prover --no-default-features --lib --locked --quiet
echo "==> cargo doc (warnings are errors)" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "==> cargo test" >&2
cargo test --workspace --locked "$@"
