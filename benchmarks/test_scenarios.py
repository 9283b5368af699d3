"""The bench command's scenarios as pytest-benchmark suites: fill, resize, create, pinned growth."""

import pytest

import remap._bench as bench

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
FILL_CASES = [(size, chunk) for chunk in (64, 4 * KiB, 64 * KiB, MiB)
              for size in (MiB, 64 * MiB, 512 * MiB) if chunk >= 4 * KiB or size <= 64 * MiB]


@pytest.mark.parametrize("peer", list(bench.FILL))
@pytest.mark.parametrize("size, chunk", FILL_CASES,
                         ids=[f"{bench.size_text(s)}-by-{bench.size_text(c)}" for s, c in FILL_CASES])
def test_fill(benchmark, peer, size, chunk):
    """Append size bytes in chunks of chunk bytes; kernel is one memset into huge pages."""
    built = benchmark.pedantic(bench.FILL[peer], args=(size, b"x" * chunk), rounds=3)
    bench.release(built)
    benchmark.extra_info["gb_per_s"] = size / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("peer", list(bench.RESIZE))
@pytest.mark.parametrize("size", [MiB, 64 * MiB, GiB], ids=bench.size_text)
def test_grow_touched(benchmark, peer, size):
    """Grow a buffer of size touched bytes to twice that."""
    make, grow = bench.RESIZE[peer]
    made = []

    def setup():
        made.append(make(size))
        return (made[-1], 2 * size), {}

    benchmark.pedantic(grow, setup=setup, rounds=5)
    for thing in made:
        bench.release(thing)


def test_memcpy_1g(benchmark):
    """memcpy of 1 GiB between touched mappings: what any copying resize pays at least."""
    benchmark.pedantic(bench.copy_seconds, args=(GiB,), rounds=3)


@pytest.mark.parametrize("peer", list(bench.CREATE))
@pytest.mark.parametrize("size", [100, 4 * KiB])
def test_create_and_drop(benchmark, peer, size):
    """Create and drop 10,000 buffers of size bytes."""
    benchmark(bench.CREATE[peer], size, 10_000)


@pytest.mark.parametrize("size", [64 * MiB, GiB], ids=bench.size_text)
def test_grow_under_numpy_view(benchmark, size):
    """Grow a max_size Buffer from 1 MiB to size while np.frombuffer pins it; no peer can."""
    benchmark.pedantic(bench.grow_under_numpy, args=(size,), rounds=5)


@pytest.mark.parametrize("scenario, peers", [("fill", list(bench.FILL)), ("resize", list(bench.RESIZE))])
def test_peak_rss(benchmark, scenario, peers):
    """Peak RSS growth of each peer for 256 MiB, in child processes (MiB, in extra_info)."""
    peaks = benchmark.pedantic(
        lambda: {peer: bench.peak_rss_mib(scenario, peer, 256 * MiB) for peer in peers}, rounds=1)
    benchmark.extra_info.update(peaks)
