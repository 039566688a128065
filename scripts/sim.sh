#!/usr/bin/env bash
# Run the simulators over many seeds (release build).
#
# The real-host simulator: the node's own host, storage, admission and restart path, four
# validators on a simulated network and virtual clock, real signed transactions, seeded faults.
#   scripts/sim.sh host --seeds 10000 [--start 0] [--threads 2]   many seeds and a summary
#   scripts/sim.sh host --seed 1234 [--log]                        replay one seed
#
# The consensus-core simulator: the consensus core alone, with Byzantine validators and
# reconfiguration scenarios.
#   scripts/sim.sh --seeds 10000 [--start 0] [--threads 2]   many seeds, progress and a summary
#   scripts/sim.sh --seed 1234 [--verbose] [--log]             replay one seed
#   scripts/sim.sh bench [--blocks 300]                        consensus-only benchmark (n = 4, 7, 16)
#
# Exits non-zero if any seed violates an invariant; every failure prints its seed and the
# command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
if [[ "${1:-}" == "host" ]]; then
  shift
  cargo build --release --quiet -p yrd-tests --bin host-sim
  exec "$target_dir/release/host-sim" "$@"
fi
cargo build --release --quiet -p yrd-tests --bin sim
exec "$target_dir/release/sim" "$@"
