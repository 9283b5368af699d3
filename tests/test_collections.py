"""The garbage-collection fuzzer (tests/gc_fuzzer.py) on every kind of Buffer, BufferIO, Ring,
View, Array and the streams reader, each in a child process: a collection at each of the first
allocations of every public method, with a __del__ mutating the same object.
python tests/gc_fuzzer.py KIND --deep goes further."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("kind", ["buffer", "large", "secret", "reserved", "shared", "file",
                                  "bufferio", "ring", "view", "array", "streams"])
def test_no_collection_inside_a_method_breaks_the_one_rule(kind):
    fuzzer = os.path.join(os.path.dirname(__file__), "gc_fuzzer.py")
    # Under a sanitizer each round costs ten times as much: one collection per method and
    # mutation there, at every one of the first allocations elsewhere.
    sample = ["--sample"] if os.environ.get("REMAP_SANITIZER") else []
    proc = subprocess.run([sys.executable, fuzzer, kind, *sample], capture_output=True,
                          text=True, timeout=900, check=False)
    findings = proc.stdout.splitlines()
    assert proc.returncode == 0, (f"exit {proc.returncode}:\n{proc.stdout[-3000:]}\n"
                                  f"{proc.stderr[-3000:]}")
    assert findings and findings[-1].startswith("checked "), proc.stdout[-3000:]
    assert findings[:-1] == [], "\n".join(findings[:20])
