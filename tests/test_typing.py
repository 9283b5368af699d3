"""The stubs match the runtime (mypy's stubtest), and typed code using remap passes mypy --strict."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

TYPING = Path(__file__).parent / "typing"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = pytest.mark.skipif(bool(os.environ.get("REMAP_SANITIZER")),
                                reason="type checks do not exercise memory; mypy is slow under ASan")


def run_module(tmp_path, *args):
    """python -m args from an empty directory (so only the installed remap is seen); fail on error."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stubs_match_the_runtime(tmp_path):
    allowlists = [f"--allowlist={path}" for path in TYPING.glob(f"stubtest-allowlist-{VERSION}.txt")]
    run_module(tmp_path, "mypy.stubtest", "remap", *allowlists)


def test_typed_example_passes_mypy_strict(tmp_path):
    run_module(tmp_path, "mypy", "--strict", f"--cache-dir={tmp_path / 'cache'}", str(TYPING))


def test_typed_example_runs():
    runpy.run_path(str(TYPING / "example.py"), run_name="__main__")
