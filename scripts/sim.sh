#!/usr/bin/env bash
# Run the simulator over many seeds (release build): the node's own host, consensus core,
# storage, admission and restart path, four or seven validators on a simulated network and
# virtual clock, real signed transactions, seeded faults, Byzantine validators and validator-set
# changes (docs/ARCHITECTURE.md, "Simulating the real host").
#
#   scripts/sim.sh --seeds 10000 [--start 0] [--threads 2]   many seeds and a summary
#   scripts/sim.sh --seed 1234 [--log]                        replay one seed
#   scripts/sim.sh --seed 1234 --behaviour Twin --validators 7 --add-validator
#                                                            force what a seed would draw
#
# Exits non-zero if any seed violates an invariant; every failure prints its seed and the
# command that replays it. (`scripts/sim.sh host …` is accepted as the same.)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
export CARGO_TARGET_DIR="$target_dir"
if [[ "${1:-}" == "host" ]]; then
  shift
fi
cargo build --release --quiet -p yrd-tests --bin host-sim
exec "$target_dir/release/host-sim" "$@"
