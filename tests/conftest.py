"""Shared helpers: run crash-prone code in a child process so a crash fails one test."""

import subprocess
import sys
import textwrap

import pytest


def run_child(code, timeout=120):
    """Run code in a fresh interpreter; return its stdout, failing the test on any error or crash."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"child exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def mapping_count():
    """The number of memory mappings (VMAs) this process has."""
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


@pytest.fixture
def child():
    return run_child
