#!/usr/bin/env bash
# Run the deterministic consensus simulator over many seeds (release build).
#
#   scripts/sim.sh --seeds 10000 [--start 0] [--threads 2]   many seeds, progress and a summary
#   scripts/sim.sh --seed 1234 [--verbose] [--log]             replay one seed
#   scripts/sim.sh bench [--blocks 300]                        consensus-only benchmark (n = 4, 7, 16)
#
# Exits non-zero if any seed violates safety, liveness or determinism; every failure prints its
# seed and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p yrd-tests --bin sim
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/sim" "$@"
