#!/usr/bin/env bash
# The README's main command on a fresh Debian 12 machine with Rust: installs the pinned system
# packages the build needs, builds the `zksettle` binary (release), and runs the devnet: the
# contracts on an embedded EVM, the node and its prover, a funded development account.
# Arguments go to `zksettle devnet` (`scripts/devnet.sh --help` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
install_build_packages
echo "==> building zksettle (release, --locked). The first build compiles RocksDB's C++ and" \
  "takes about 30 minutes on 2 cores (measured: 28 min 36 s); later ones take seconds." >&2
cargo build --release --locked -p zksettle --bin zksettle
echo "==> starting the devnet" >&2
exec cargo run --quiet --release --locked -p zksettle --bin zksettle -- devnet "$@"
