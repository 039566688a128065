#!/usr/bin/env bash
# Installs what a fresh machine lacks to build yrd-ledger: RocksDB's Rust bindings are generated
# with bindgen, which needs libclang, and RocksDB's C++ needs a C++ compiler.
# With --all (what `scripts/test.sh --all` and CI pass), also what the web console's browser test
# needs: Debian's chromium (and a CJK font, so its screenshots show the Chinese labels), Node.js,
# and the test's npm packages (`npm ci` in tests/browser).
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

all=false
for arg in "$@"; do
    case "$arg" in
        --all) all=true ;;
        *) echo "usage: scripts/ensure-deps.sh [--all]" >&2; exit 2 ;;
    esac
done

need=()
command -v cargo >/dev/null 2>&1 || { echo "error: cargo not found; install the Rust toolchain first" >&2; exit 1; }
command -v clang >/dev/null 2>&1 || need+=(clang)
if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && ! ls /usr/lib/*/libclang*.so* >/dev/null 2>&1; then
    need+=(libclang-dev)
fi
command -v g++ >/dev/null 2>&1 || need+=(g++)
if $all; then
    [ -x /usr/bin/chromium ] || need+=(chromium)
    fc-list 2>/dev/null | grep -qi 'wqy\|noto.*cjk' || need+=(fonts-wqy-zenhei)
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
fi

if ((${#need[@]})); then
    echo "==> installing system packages: ${need[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if $all && [ ! -d tests/browser/node_modules/playwright-core ]; then
    echo "==> npm ci in tests/browser (playwright-core, for the console's browser test)"
    (cd tests/browser && npm ci --no-audit --no-fund)
fi
