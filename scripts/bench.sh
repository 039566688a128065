#!/usr/bin/env bash
# The benchmark suite (docs/PERFORMANCE.md): builds the release binaries (`yrd` and the suite's own
# `yrd-bench`, which `yrd bench` runs) and runs one scenario, or all of them in turn. Each prints a
# table and writes target/bench/<scenario>.json.
#
#   scripts/bench.sh verify|query|throughput|flood|scale|batch|catchup|statesync [scenario options]
#   scripts/bench.sh all                    # every scenario, default sizes
#   scripts/bench.sh throughput --smoke     # tiny size: checks it runs, figures mean nothing
#   scripts/bench.sh scale --help           # a scenario's options
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
echo "==> building yrd and yrd-bench (release)"
cargo build --release --locked -p yrd-node -p yrd-bench --bin yrd --bin yrd-bench
yrd="$CARGO_TARGET_DIR/release/yrd"
if [ "${1:-}" = "all" ]; then
  shift
  for scenario in verify query batch scale throughput flood catchup statesync; do
    "$yrd" bench "$scenario" "$@"
  done
else
  exec "$yrd" bench "$@"
fi
