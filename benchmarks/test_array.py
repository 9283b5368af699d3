"""Building 10 million float64 values: remap.Array against list, array.array and np.append."""

import array
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import remap

N = 10_000_000
CHUNK = 1000

BUILDERS = {
    "remap.Array.append": """
        a = remap.Array("f8")
        for i in range(N):
            a.append(i * 0.5)
        result = np.asarray(a)""",
    "remap.Array.extend(chunks)": """
        a = remap.Array("f8")
        chunk = np.arange(CHUNK, dtype="f8")
        for _ in range(N // CHUNK):
            a.extend(chunk)
        result = np.asarray(a)""",
    "list.append + np.array": """
        values = []
        for i in range(N):
            values.append(i * 0.5)
        result = np.array(values)""",
    "array.array.append + np.frombuffer": """
        values = array.array("d")
        for i in range(N):
            values.append(i * 0.5)
        result = np.frombuffer(values, dtype="f8")""",
    "np.concatenate(chunks)": """
        chunk = np.arange(CHUNK, dtype="f8")
        result = np.concatenate([chunk] * (N // CHUNK))""",
}


def build(code, n=N):
    """Run one builder's code with N = n and return the array it built."""
    scope = {"remap": remap, "np": np, "array": array, "N": n, "CHUNK": CHUNK}
    exec(textwrap.dedent(code), scope)
    return scope["result"]


def peak_rss_mib(code):
    """Peak RSS growth, in MiB, of a child process that runs one builder (VmHWM: its own peak)."""
    child = f"""
import array, numpy as np, remap
N, CHUNK = {N}, {CHUNK}
hwm = lambda: int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
before = hwm()
{textwrap.dedent(code)}
print((hwm() - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_build_10m_float64(benchmark, name):
    """Time to build N float64 values, with the peak RSS the build needed in extra_info."""
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib(BUILDERS[name])
    result = benchmark.pedantic(build, args=(BUILDERS[name],), rounds=3)
    assert len(result) == N


def test_np_append_is_quadratic(benchmark):
    """np.append copies everything each call: 20,000 appends, 500 times fewer than the others."""

    def append_all():
        values = np.empty(0)
        for i in range(20_000):
            values = np.append(values, i * 0.5)
        return values

    benchmark.pedantic(append_all, rounds=3)
