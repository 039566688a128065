#!/usr/bin/env bash
# Profiles the four validators of `yrd bench throughput` at one offered rate and writes a
# flamegraph (docs/PERFORMANCE.md, "Profiles"):
#
#   scripts/profile.sh [--rate 1600] [--seconds 10] [--out docs/perf/throughput-1600.svg]
#
# Needs `perf` (Linux) and inferno's `inferno-collapse-perf` / `inferno-flamegraph` on PATH
# (`cargo install inferno`). Samples only the `yrd node` processes (99 Hz, DWARF call graphs,
# from the release build's debug info), from a few seconds into the step, for `--seconds`.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=1600
seconds=10
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: scripts/profile.sh [--rate N] [--seconds S] [--out FILE.svg]" >&2; exit 2 ;;
  esac
done
out="${out:-docs/perf/throughput-$rate.svg}"
for tool in perf inferno-collapse-perf inferno-flamegraph; do
  command -v "$tool" >/dev/null || { echo "$tool is not on PATH (see the header of this script)" >&2; exit 1; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
cargo build --release --locked -p yrd-node -p yrd-bench --bin yrd --bin yrd-bench
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step_secs=$((seconds + 15))
"$CARGO_TARGET_DIR/release/yrd-bench" throughput --start-rate "$rate" --max-rate "$rate" \
  --step-secs "$step_secs" > "$work/bench.out" 2> "$work/bench.err" &
bench=$!
# The step header is printed just before the step's transactions are signed.
until grep -q "offered" "$work/bench.err" 2>/dev/null; do
  kill -0 "$bench" 2>/dev/null || { cat "$work/bench.err" >&2; exit 1; }
  sleep 1
done
sleep $((rate * step_secs / 15000 + 5))
pids="$(pgrep -d, -f 'yrd node' || true)"
[ -n "$pids" ] || { echo "no yrd node process found" >&2; exit 1; }
echo "==> sampling yrd node processes $pids for ${seconds}s"
perf record -F 99 --call-graph dwarf,16384 -p "$pids" -o "$work/perf.data" -- sleep "$seconds" 2> "$work/perf.err" || { cat "$work/perf.err" >&2; exit 1; }
wait "$bench" || true
perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf > "$work/folded"
mkdir -p "$(dirname "$out")"
inferno-flamegraph --minwidth 0.5 --title "yrd: 4 validators at $rate tx/s offered (yrd bench throughput), ${seconds}s at 99 Hz" \
  < "$work/folded" > "$out"
cp "$work/folded" "${out%.svg}.folded"
gzip -f "${out%.svg}.folded"
cat "$work/bench.out"
echo "==> flamegraph: $out (folded stacks: ${out%.svg}.folded.gz)"
