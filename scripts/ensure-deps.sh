#!/usr/bin/env bash
# Installs what a fresh machine lacks to build yrd-ledger: RocksDB's Rust bindings are generated
# with bindgen, which needs libclang, and RocksDB's C++ needs a C++ compiler.
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail

need=()
command -v cargo >/dev/null 2>&1 || { echo "error: cargo not found; install the Rust toolchain first" >&2; exit 1; }
command -v clang >/dev/null 2>&1 || need+=(clang)
if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && ! ls /usr/lib/*/libclang*.so* >/dev/null 2>&1; then
    need+=(libclang-dev)
fi
command -v g++ >/dev/null 2>&1 || need+=(g++)

if ((${#need[@]})); then
    echo "==> installing system packages: ${need[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
