#!/usr/bin/env bash
# Coverage-guided fuzzing of one zksettle-fuzz target with AFL++ on the stable toolchain:
#   scripts/fuzz.sh <target> <seconds>     (targets: signed_tx pubdata snarkjs batch_file
#                                           submit_batch_calldata rpc_params node_config l1_logs)
# Installs cargo-afl (pinned) if missing, writes the target's seeds as the initial corpus,
# builds the instrumented `fuzz-target` binary and runs AFL++ for the given time. Crashes land
# in fuzz/out/<target>/default/crashes/: copy each into fuzz/regressions/<target>/ (the test
# command replays them) and fix the decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh <target> <seconds>}"
seconds="${2:?usage: scripts/fuzz.sh <target> <seconds>}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zksettle/target}"
if ! cargo afl --version >/dev/null 2>&1; then
    cargo install --locked cargo-afl@0.18.2
fi
cargo afl config --build >/dev/null 2>&1 || true
seeds="fuzz/out/$target/seeds"
mkdir -p "$seeds"
ZKSETTLE_FUZZ_SEEDS="$seeds" ZKSETTLE_FUZZ_TARGET="$target" \
    cargo test -p zksettle-fuzz --locked --test budget -- --ignored write_seeds --quiet
cargo afl build -p zksettle-fuzz --features afl --bin fuzz-target --release --locked
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    cargo afl fuzz -V "$seconds" -i "$seeds" -o "fuzz/out/$target" \
    "$CARGO_TARGET_DIR/release/fuzz-target" "$target"
crashes=$(find "fuzz/out/$target/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "==> $target: $seconds s, $crashes crash(es) in fuzz/out/$target/default/crashes" >&2
[ "$crashes" -eq 0 ]
