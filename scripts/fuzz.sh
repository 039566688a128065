#!/usr/bin/env bash
# Run the cargo-fuzz targets in fuzz/ (see docs/FUZZING.md).
#
#   scripts/fuzz.sh [--seconds N] [--node] [target...]
#
# Installs the nightly toolchain and cargo-fuzz when missing, builds the targets (with debug
# assertions, so integer overflow panics too), runs each named target (default: every contracts
# and consensus target; with --node, the node targets too) for N seconds (default 60), one at a
# time in a single process, and prints executions per second per target and a summary. Exits
# non-zero if any target crashed; crash inputs are left in fuzz/artifacts/<target>/.
#
# --node builds the node crate (RocksDB's C++ included): expect a long first build.
# Build output goes to $FUZZ_TARGET_DIR (default ~/.cache/yrd-fuzz-target), never the workspace's
# target dir: fuzz builds use different compiler flags and would invalidate it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
node=0
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds)
            seconds="${2:?--seconds needs a value}"
            shift 2
            ;;
        --node)
            node=1
            shift
            ;;
        -h | --help)
            sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "unknown option $1" >&2
            exit 2
            ;;
        *)
            targets+=("$1")
            shift
            ;;
    esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "--seconds must be a positive integer, got $seconds" >&2
    exit 2
fi

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/yrd-fuzz-target}"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

features=()
if [[ $node -eq 1 ]]; then
    features=(--features node)
fi

cd fuzz
all_targets=$(cargo +nightly fuzz list)
if [[ ${#targets[@]} -eq 0 ]]; then
    for target in $all_targets; do
        if [[ $node -eq 1 || $target != node_* ]]; then
            targets+=("$target")
        fi
    done
fi
for target in "${targets[@]}"; do
    if ! grep -qx "$target" <<< "$all_targets"; then
        echo "no fuzz target named $target (have: $(echo $all_targets))" >&2
        exit 2
    fi
    if [[ $target == node_* && $node -eq 0 ]]; then
        echo "$target is a node target: pass --node (builds the node crate)" >&2
        exit 2
    fi
done

echo "building ${#targets[@]} target(s) into $CARGO_TARGET_DIR"
cargo +nightly fuzz build --debug-assertions "${features[@]}"

log_dir="$CARGO_TARGET_DIR/fuzz-logs"
mkdir -p "$log_dir"
summary=()
failed=0
for target in "${targets[@]}"; do
    log="$log_dir/$target.log"
    artifacts="artifacts/$target"
    mkdir -p "corpus/$target" "$artifacts"
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $target: ${seconds}s"
    status=0
    cargo +nightly fuzz run --debug-assertions "${features[@]}" "$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 > "$log" 2>&1 || status=$?
    after=$(find "$artifacts" -type f | wc -l)
    crashes=$((after - before))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "corpus/$target" -type f | wc -l)
    if [[ $status -ne 0 || $crashes -gt 0 ]]; then
        failed=1
        verdict="CRASH (exit $status, log $log)"
        grep -m 5 -E 'panicked|ERROR|SUMMARY' "$log" || true
    else
        verdict="ok"
    fi
    line=$(printf '%-20s %10s exec/s %12s runs %6s corpus %3s crashes  %s' \
        "$target" "${rate:-?}" "${runs:-?}" "$corpus" "$crashes" "$verdict")
    echo "$line"
    summary+=("$line")
done

echo
echo "summary (${seconds}s per target, single process each):"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo "crash inputs are in fuzz/artifacts/<target>/; replay with: cd fuzz && cargo +nightly fuzz run <target> <file>" >&2
    exit 1
fi
