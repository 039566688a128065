#!/usr/bin/env bash
# The project's test command: formatting, lints and the tests.
#
#   scripts/test.sh --all      # what CI runs: everything, the slow multi-process suites included
#   scripts/test.sh            # the fast default: everything except tests named `slow::…` (the
#                              # multi-process cluster tests and the bench smoke test, which start
#                              # real `yrd` processes and run on real time)
#
# The web console's browser test (node/tests/cluster/console_tests.rs, a `slow::` test) drives
# headless Chromium; --all installs it (scripts/ensure-deps.sh --all). Where Chromium or the npm
# packages are missing it is skipped with a message, unless CI is set: then it fails.
#
# Builds go to $CARGO_TARGET_DIR (default: ~/.cache/yrd-target) so that repeated runs and fresh
# clones share one warm build. A cold run compiles RocksDB's C++ twice (lints, tests): about 55
# minutes of building on two cores before the tests; a warm `--all` run takes about 22 minutes.
#
# A shared build directory can be damaged from outside (a disk clean-up that deletes compiled
# crates but leaves cargo's fingerprints, so rustc reports E0463 "can't find crate"). When a step
# fails that way, the directory is emptied once and the step re-run from cold.
set -euo pipefail
cd "$(dirname "$0")/.."

all=false
for arg in "$@"; do
    case "$arg" in
        --all) all=true ;;
        *) echo "usage: scripts/test.sh [--all]" >&2; exit 2 ;;
    esac
done

if $all; then scripts/ensure-deps.sh --all; else scripts/ensure-deps.sh; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Runs a cargo step; on a damaged build directory, empties it and runs the step once more.
step() {
    if "$@" 2>&1 | tee "$log"; then
        return 0
    fi
    if grep -q 'error\[E0463\]' "$log"; then
        echo "==> the build directory $CARGO_TARGET_DIR is missing compiled crates; rebuilding from cold"
        rm -rf "$CARGO_TARGET_DIR"
        "$@"
        return
    fi
    return 1
}

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (all targets, warnings are errors)"
step cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> yrd-verifier builds for the browser (wasm32-unknown-unknown)"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
step cargo check -p yrd-verifier --target wasm32-unknown-unknown --locked
step cargo check -p yrd-verifier --features wasm --target wasm32-unknown-unknown --locked

echo "==> the web console's committed WebAssembly matches the verifier sources"
scripts/build-console.sh --check

if $all; then
    echo "==> cargo test (all suites, slow ones included)"
    step cargo test --workspace --locked
    echo "==> RFC 8785 canonical JSON against an independent implementation (Python rfc8785)"
    scripts/jcs-crosscheck.sh
else
    echo "==> cargo test (fast suites; scripts/test.sh --all adds the slow::… ones)"
    step cargo test --workspace --locked -- --skip slow::
fi
