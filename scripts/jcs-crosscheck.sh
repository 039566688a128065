#!/usr/bin/env bash
# Cross-checks our RFC 8785 canonical JSON (the bytes every eddsa-jcs-2022 proof signs) against
# an independent implementation, Python's `rfc8785` package, on the corpus written by
# verifier/tests/jcs_corpus.rs: credentials as `yrd vc issue` makes them, a status list
# credential, and the corners RFC 8785 specifies. Run by `scripts/test.sh --all` (CI).
# Installs the package into a throw-away virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yrd-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check rfc8785
YRD_JCS_CORPUS_DIR="$work/corpus" cargo test --locked -p yrd-verifier --test jcs_corpus --quiet
"$work/venv/bin/python" - "$work/corpus" <<'PY'
import json, pathlib, sys
import rfc8785

corpus = pathlib.Path(sys.argv[1])
inputs = sorted(corpus.glob("*.input.json"))
if len(inputs) < 5:
    sys.exit(f"the corpus holds only {len(inputs)} documents")
failed = 0
for path in inputs:
    expected = (corpus / path.name.replace(".input.", ".canonical.")).read_bytes()
    theirs = rfc8785.dumps(json.loads(path.read_text(encoding="utf-8")))
    if theirs != expected:
        failed += 1
        print(f"{path.name}: differs\n  ours:   {expected[:300]!r}\n  rfc8785: {theirs[:300]!r}")
print(f"rfc8785 cross-check: {len(inputs) - failed} of {len(inputs)} documents agree byte for byte")
sys.exit(1 if failed else 0)
PY
