#!/usr/bin/env bash
# Runs every zksettle test on a fresh Debian 12 machine: installs the pinned system packages the
# build needs and the pinned npm packages the tests need, then the whole workspace's tests.
# README.md quotes this command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# librocksdb-sys generates its bindings with bindgen, which loads libclang at build time.
apt_packages=("libclang-dev=1:14.0-55.7~deb12u1")
missing=()
for pkg in "${apt_packages[@]}"; do
  name=${pkg%%=*}
  version=${pkg#*=}
  installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  [ "$installed" = "$version" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# solc-js (the artifact check) and anvil (the RPC settlement tests), pinned by the lockfile.
(cd l1-contracts && npm ci --no-audit --no-fund --loglevel=error)

cargo test --workspace --locked "$@"
