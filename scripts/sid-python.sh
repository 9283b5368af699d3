#!/usr/bin/env bash
# Run a command with CPython 3.14/3.15 from Debian's unstable suite, in a minimal root made once.
#
#   scripts/sid-python.sh COMMAND...   run COMMAND (bash -c) in the root, in this checkout
#   scripts/sid-python.sh --make       only make (or check) the root
#
# pyenv has 3.11-3.13 only; Debian unstable has python3.14 and python3.15. The root lives in
# $REMAP_SID_ROOT (default /var/cache/remap/sid), is made with debootstrap from the mirror the
# machine's own apt sources name, and is reused while its stamp and interpreters are intact.
# Inside, this checkout is /src, and /proc, /dev and /dev/shm are the host's. Needs root.
set -euo pipefail
root=${REMAP_SID_ROOT:-/var/cache/remap/sid}
packages=python3.14,python3.14-dev,python3.14-venv,python3.15,python3.15-dev,python3.15-venv
packages=$packages,libpython3.14-testsuite,libpython3.15-testsuite,gcc,libc6-dev,ca-certificates
# The debug interpreters (Py_DEBUG: they assert on reference-count and GC errors).
packages=$packages,python3.14-dbg,python3.15-dbg,libpython3.14-dbg,libpython3.15-dbg
stamp="$root/.remap-root-ok"
checkout=$(cd "$(dirname "$0")/.." && pwd)

mirror() {  # the first Debian archive the machine's apt sources name (not the security one)
    local found files=()
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] && files+=("$file")
    done
    found=$(awk '/^URIs:/ {print $2} /^deb[ \t]/ {for (i = 2; i <= NF; i++) if ($i !~ /^\[/) {print $i; break}}' \
                "${files[@]}" | awk '/\/debian/ && !/-security/ {print; exit}')
    [ -n "$found" ] || { echo "no Debian mirror in the apt sources" >&2; return 1; }
    echo "$found"
}

intact() {  # the root was finished and both interpreters, with their test suites, still run in it
    local version
    [ -f "$stamp" ] || return 1
    for version in 3.14 3.15; do
        chroot "$root" "python$version" -c "import test.test_bytes" 2>/dev/null || return 1
        chroot "$root" "python$version-dbg" -c "import sys; sys.gettotalrefcount" 2>/dev/null \
            || return 1
    done
}

make_root() {  # debootstrap a fresh root in place of whatever half-made one is there
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
    rm -rf "$root"
    mkdir -p "$root"
    local archive
    archive=$(mirror)
    echo "== making $root from $archive (once; about 80 s)"
    debootstrap --variant=minbase --include="$packages" sid "$root" "$archive" >"$root.log" 2>&1 \
        || { tail -n 20 "$root.log" >&2; exit 1; }
    touch "$stamp"
}

run_inside() {  # run_inside COMMAND: in a mount namespace of its own, so runs at once never clash
    unshare --mount --propagation private bash -euo pipefail -c '
        root=$1 checkout=$2; shift 2
        mkdir -p "$root/src"
        mount --bind "$root" "$root"  # a mount point, so that unshare -m works inside the root too
        for dir in proc dev dev/shm; do mount --bind "/$dir" "$root/$dir"; done
        mount --bind "$checkout" "$root/src"
        cp -L /etc/resolv.conf "$root/etc/resolv.conf"
        cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
        # PATH and HOME of the root, not the host pyenv; the few settings the tests read pass on.
        exec chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
            CI="${CI:-}" REMAP_CPYTHON_SUITES="${REMAP_CPYTHON_SUITES:-}" PIP_NO_CACHE_DIR=1 \
            PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-180}" bash -c "cd /src && $*"
    ' run_inside "$root" "$checkout" "$@"
}

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9  # one run makes the root; the others wait for it
intact || make_root
flock -u 9
[ "${1:-}" = "--make" ] && exit 0
run_inside "$*"
