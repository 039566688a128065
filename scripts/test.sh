#!/usr/bin/env bash
# The project's test command: formatting, lints and the whole test suite.
#
#   scripts/test.sh            # what CI runs
#
# Builds go to $CARGO_TARGET_DIR (default: ~/.cache/yrd-target) so that repeated runs and fresh
# clones share one warm build. A cold run compiles RocksDB's C++ twice (lints, tests), ~40 minutes on two
# cores; later runs take a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test"
cargo test --workspace --locked
