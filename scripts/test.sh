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
# The prover's portable fallback (no `asm`: what another architecture builds) must compile too.
echo "==> cargo check, prover without the asm feature" >&2
cargo check -p zksettle-prover --no-default-features --all-targets --locked
echo "==> cargo doc (warnings are errors)" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "==> cargo test" >&2
cargo test --workspace --locked "$@"
