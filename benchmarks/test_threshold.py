"""Where a copy stops being cheaper than a move: what remap.MAP_THRESHOLD (128 KiB) rests on."""

import ctypes

import pytest

import remap._bench as bench

SIZES = [16 << 10, 64 << 10, 128 << 10, 256 << 10, 1 << 20]


@pytest.mark.parametrize("size", SIZES, ids=bench.size_text)
def test_copy(benchmark, size):
    """What growth on the heap pays at worst: memcpy of size bytes between touched blocks.

    The target starts 64 bytes into its block: blocks at the same offset in their pages make
    the copy alias in the cache and run several times slower than it should.
    """
    source, target = ctypes.create_string_buffer(b"\1" * size), ctypes.create_string_buffer(size + 64)
    benchmark(ctypes.memmove, ctypes.addressof(target) + 64, source, size)


@pytest.mark.parametrize("size", SIZES, ids=bench.size_text)
def test_mremap_move(benchmark, size):
    """What growth of a mapping pays when it must move: mremap of size touched bytes to 2x."""
    made = []

    def setup():
        made.append(bench.touched_kernel(size))
        return (made[-1], 2 * size), {}

    benchmark.pedantic(bench.grow_kernel, setup=setup, rounds=200)
    for region in made:
        region.close()
