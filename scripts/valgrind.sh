#!/usr/bin/env bash
# Run tests under valgrind's memcheck against a normal build, in a fresh venv, and fail on any
# error whose stack passes through remap's extension (the interpreter's own are not ours).
# Usage: scripts/valgrind.sh [pytest arguments]   (slow: pick tests, e.g. tests/test_core.py)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
CFLAGS="-g -O1" PIP_NO_CACHE_DIR=1 "$work/venv/bin/pip" install -q ".[test]"
export PYTHONMALLOC=malloc REMAP_SANITIZER=valgrind
status=0
valgrind --tool=memcheck --trace-children=no --log-file="$work/valgrind.log" \
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || status=$?
python3 - "$work/valgrind.log" <<'PY'
import re, sys
blocks = re.split(r"\n==\d+== \n", open(sys.argv[1]).read())
ours = [b for b in blocks if re.search(r"==\d+== (Invalid|Use of|Conditional|Mismatched|Source)", b)
        and "_core.cpython" in b]
print(f"valgrind: {len(ours)} error(s) with a frame in remap._core")
print("\n\n".join(ours[:10]))
sys.exit(1 if ours else 0)
PY
exit "$status"
