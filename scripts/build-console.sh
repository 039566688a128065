#!/usr/bin/env bash
# Builds the web console's verifier: yrd-verifier (feature `wasm`) for wasm32-unknown-unknown,
# then wasm-bindgen's ES-module glue, into node/console/pkg/ (committed, so a fresh clone's node
# serves the console without this step). Records beside them the hash of the sources they were
# built from (node/console/pkg/SOURCES.sha256); `scripts/build-console.sh --check` compares it
# with the current sources, and the console test runs that check so the committed build cannot
# silently fall behind the verifier.
#
#   scripts/build-console.sh           # rebuild node/console/pkg/
#   scripts/build-console.sh --check   # exit 1 when the sources changed since the last build
#
# Needs the wasm32-unknown-unknown target (installed when missing) and wasm-bindgen-cli of the
# same version as the wasm-bindgen crate in Cargo.lock (cargo install wasm-bindgen-cli --version V).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=node/console/pkg
stamp="$pkg/SOURCES.sha256"

# The sources the wasm is built from: the verifier crate (its sources and manifest) and the
# wasm-bindgen version. The crates it builds on (yrd-contracts, yrd-consensus) are not in the
# hash, so that their every change does not require a new wasm: rebuild after a change there that
# alters what the verifier checks (answer format, proofs, certificates, the commitment).
sources_hash() {
    {
        find verifier/src verifier/Cargo.toml -type f \( -name '*.rs' -o -name Cargo.toml \) \
            | LC_ALL=C sort | while read -r f; do
            printf '%s\n' "$f"
            cat "$f"
        done
        printf 'wasm-bindgen %s\n' "$(wasm_bindgen_version)"
    } | sha256sum | cut -d' ' -f1
}

# The wasm-bindgen crate version Cargo.lock pins (the CLI must match it).
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if [ "${1:-}" = "--check" ]; then
    want="$(sources_hash)"
    have="$(cut -d' ' -f1 "$stamp" 2>/dev/null || true)"
    if [ "$want" != "$have" ]; then
        echo "error: $pkg was built from other sources than the current verifier/" >&2
        echo "       (recorded ${have:-nothing}, now $want): run scripts/build-console.sh and commit $pkg" >&2
        exit 1
    fi
    echo "==> $pkg matches the verifier sources ($want)"
    exit 0
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
version="$(wasm_bindgen_version)"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | cut -d' ' -f2)" != "$version" ]; then
    echo "==> installing wasm-bindgen-cli $version (it must match the wasm-bindgen crate)"
    cargo install --locked wasm-bindgen-cli --version "$version"
fi

echo "==> building yrd-verifier for wasm32-unknown-unknown (release, feature wasm)"
# `cargo build -p yrd-verifier --features wasm --target wasm32-unknown-unknown --release`, as a
# cdylib: the crate stays an rlib for the node and the CLI, which then link no extra library.
# Paths of this machine stay out of the committed binary (panic locations name source files):
# the checkout and the registry's source folders are remapped, and no debug info is kept.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
remap=(--remap-path-prefix "$PWD=/yrd-ledger")
for dir in "$cargo_home"/registry/src/*/ "$cargo_home"/git/checkouts/; do
    [ -d "$dir" ] && remap+=(--remap-path-prefix "${dir%/}=/deps")
done
export RUSTFLAGS="${remap[*]}"
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true
cargo rustc -p yrd-verifier --lib --features wasm --target wasm32-unknown-unknown --release \
    --locked --crate-type cdylib
echo "==> wasm-bindgen --target web -> $pkg"
rm -rf "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/yrd_verifier.wasm"
printf '%s  verifier sources and wasm-bindgen version (scripts/build-console.sh)\n' "$(sources_hash)" > "$stamp"
ls -l "$pkg"
