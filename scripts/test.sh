#!/usr/bin/env bash
# Runs every zksettle test on a fresh Debian 12 machine: installs the pinned system packages the
# build needs and the pinned npm packages the tests need, then the whole workspace's tests.
# README.md quotes this command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
install_build_packages

# solc-js (the artifact check) and anvil (the RPC settlement tests), pinned by the lockfile.
(cd l1-contracts && npm ci --no-audit --no-fund --loglevel=error)

cargo test --workspace --locked "$@"
