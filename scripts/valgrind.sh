#!/usr/bin/env bash
# Run the test suite under valgrind's memcheck against a normal build, in a fresh venv.
# Usage: scripts/valgrind.sh [pytest arguments]   (slow: pick tests, e.g. tests/test_core.py)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
CFLAGS="-g -O1" PIP_NO_CACHE_DIR=1 "$work/venv/bin/pip" install -q ".[test]"
export PYTHONMALLOC=malloc REMAP_SANITIZER=valgrind
valgrind --tool=memcheck --error-exitcode=99 --errors-for-leak-kinds=definite \
    --trace-children=no --quiet "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
