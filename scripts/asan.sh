#!/usr/bin/env bash
# Build remap with AddressSanitizer and UBSan in a fresh venv and run the test suite under them.
# Usage: scripts/asan.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" PIP_NO_CACHE_DIR=1 \
    "$work/venv/bin/pip" install -q ".[test]"
# The interpreter is not built with ASan: preload the runtimes, use the system allocator, and
# leave leak checking off (the interpreter keeps objects alive at exit on purpose).
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
export PYTHONMALLOC=malloc REMAP_SANITIZER=asan
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
