#!/usr/bin/env bash
# The main job: a local four-province network (Shanghai, Jiangsu, Zhejiang, Anhui), one `yrd node`
# process per province with embedded RocksDB, on 127.0.0.1.
#
#   scripts/devnet.sh                    # keys, genesis and data under ./devnet; Ctrl-C stops it
#   scripts/devnet.sh --dir /tmp/yrd     # any `yrd devnet` option is passed through
#
# Installs what a fresh machine lacks (libclang for RocksDB's bindings), builds the release binary
# (the first build compiles RocksDB's C++: about 15 minutes on two cores) and runs `yrd devnet`.
# Running it again resumes the same chain from ./devnet.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
echo "==> building yrd (release)"
cargo build --release --locked -p yrd-node --bin yrd
exec "$CARGO_TARGET_DIR/release/yrd" devnet "$@"
