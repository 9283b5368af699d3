#!/usr/bin/env bash
# Build a manylinux2014 wheel (manylinux_2_17_x86_64) of remap for one CPython, with zig's C
# compiler (PyPI's ziglang), which targets glibc 2.17 from any machine; check it with auditwheel.
#
#   scripts/manylinux.sh PYTHON SOURCE OUTDIR    prints the wheel's path
#
# PYTHON is the interpreter to build for (python3.14 and python3.15 inside scripts/sid-python.sh's
# root), SOURCE an sdist or a source tree, OUTDIR where the wheel goes. The build tools are the
# pinned ones in scripts/manylinux-requirements.txt, in a venv of their own, so a wheel is
# reproducible. The wheel must be consistent with manylinux_2_17_x86_64 and need no shared
# library but libc; it is then retagged by the standard rule (`wheel tags`), not repaired.
set -euo pipefail
python=$1 source=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
tag=manylinux_2_17_x86_64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
tools="$work/venv/bin"
"$tools/pip" install -q --disable-pip-version-check -r "$here/manylinux-requirements.txt" >&2
# No sanitizer runtime (zig links UBSan's, which needs threads and TLS, into a link step that
# names no -O level); no debug sections in the shared object (-Wl,-S), so every wheel is alike.
zig="$tools/python -m ziglang cc -target x86_64-linux-gnu.2.17 -fno-sanitize=all"
# Debian's Python.h includes its multiarch pyconfig.h, which zig (searching no host directories,
# so no host glibc header) would not find: give it that one directory and nothing else.
multiarch=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("MULTIARCH") or "")')
python_include=$("$python" -c 'import os, sysconfig; print(os.path.basename(sysconfig.get_path("include")))')
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch/$python_include" ]; then
    mkdir -p "$work/include/$multiarch"
    ln -s "/usr/include/$multiarch/$python_include" "$work/include/$multiarch/"
    export CFLAGS="-I$work/include"
fi
CC="$zig" LDSHARED="$zig -shared -Wl,-S" "$tools/pip" wheel -q --disable-pip-version-check \
    --no-build-isolation --no-deps --wheel-dir "$work/raw" "$source" >&2
wheel=$(ls "$work"/raw/remap-*.whl)

report=$("$tools/auditwheel" show "$wheel" | tr -s ' \n' ' ')
echo "$report" >&2
if ! grep -q "consistent with the following platform tag: \"$tag\"" <<<"$report"; then
    echo "manylinux.sh: $(basename "$wheel") is not consistent with $tag" >&2
    exit 1
fi
"$tools/python" "$here/wheel_symbols.py" "$wheel" >&2
libraries=$(grep -o '[A-Za-z0-9_.+-]*\.so\.[0-9]*' <<<"$report" | sort -u | tr '\n' ' ')
if [ "$libraries" != "libc.so.6 " ]; then
    echo "manylinux.sh: the wheel needs more than libc: $libraries" >&2
    exit 1
fi

"$tools/wheel" tags --remove --platform-tag "$tag.manylinux2014_x86_64" "$wheel" >&2
mkdir -p "$out"
mv "$work"/raw/remap-*"$tag"*.whl "$out/"
ls "$out"/remap-*-"$("$python" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"-*"$tag"*.whl
