"""Shared helpers: run crash-prone code in a child process so a crash fails one test."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest


# ASan reserves terabytes of address space up front, so RLIMIT_AS cannot be lowered under it.
limits_address_space = pytest.mark.skipif(os.environ.get("REMAP_SANITIZER") == "asan",
                                          reason="RLIMIT_AS cannot be lowered under ASan")


# ASan quarantines freed memory (256 MiB by default), so resident memory says nothing there.
measures_resident_memory = pytest.mark.skipif(os.environ.get("REMAP_SANITIZER") is not None,
                                              reason="sanitizers keep freed memory resident")


# valgrind places mappings itself: their alignment, flags and size limits are not the kernel's.
kernel_placement = pytest.mark.skipif(os.environ.get("REMAP_SANITIZER") == "valgrind",
                                      reason="valgrind places mappings itself")


def run_child(code, timeout=120, pass_fds=(), prefix=(), env=None):
    """Run code in a fresh interpreter (after a command prefix such as unshare, if given), passing
    it pass_fds and env's variables beside ours; return its stdout, failing the test on any error
    or crash."""
    proc = subprocess.run([*prefix, sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout, pass_fds=pass_fds,
                          check=False, env=None if env is None else {**os.environ, **env})
    if proc.returncode != 0:
        pytest.fail(f"child exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def private_mounts():
    """A command prefix that runs a child in a mount namespace of its own, where it may mount a
    small tmpfs: unshare -m as root (a chroot forbids user namespaces), else unshare -Urm."""
    for prefix in (["unshare", "-m", "--propagation", "private"], ["unshare", "-Urm"]):
        if shutil.which("unshare") and subprocess.run(
                [*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    pytest.skip("needs unshare -m (root) or unshare -Urm (user namespaces) to mount a small tmpfs")
    return None


def run_forking(code, timeout=120, pass_fds=()):
    """run_child, in a child that may fork: tests.workers' forked() and workers are imported.

    A test session has threads (numpy's BLAS among them), and fork() there is unsafe (3.12+ warn);
    a fresh interpreter that imported nothing else has none.
    """
    prelude = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
               "from workers import forked, append_records, read_records, grow_to\n")
    return run_child(prelude + textwrap.dedent(code), timeout=timeout, pass_fds=pass_fds)


class ClosesOnIndex:
    """An index whose __index__ closes thing first: a callback in the middle of a call."""

    def __init__(self, thing, value=0):
        self.thing, self.value = thing, value

    def __index__(self):
        self.thing.close()
        return self.value


def mapping_count():
    """The number of memory mappings (VMAs) this process has."""
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def is_mapped(address):
    """True if address lies in one of this process's mappings."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            start, end = (int(part, 16) for part in line.split()[0].split("-"))
            if start <= address < end:
                return True
    return False


@pytest.fixture
def child():
    return run_child
