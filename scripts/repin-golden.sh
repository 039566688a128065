#!/usr/bin/env bash
# Re-pins contracts/tests/golden.rs after an intended transaction-format change: prints the
# current encodings and replaces the GOLDEN table with them. Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(YRD_PRINT_GOLDEN=1 cargo test -q -p yrd-contracts --test golden -- --nocapture 2>/dev/null | grep '^    ("' || true)
[ -n "$out" ] || { echo "no golden output" >&2; exit 1; }
python3 - "$out" <<'PY'
import re, sys
p = "contracts/tests/golden.rs"
s = open(p).read()
start = s.index("const GOLDEN: &[(&str, &str, &str)] = &[")
end = s.index("];", start)
s = s[:start] + "const GOLDEN: &[(&str, &str, &str)] = &[\n" + sys.argv[1] + "\n" + s[end:]
open(p, "w").write(s)
PY
cargo fmt --all
