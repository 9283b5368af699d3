"""Growing a touched 1 GiB buffer to 2 GiB: remap.Buffer.resize against bytearray and a copy."""

import mmap

import pytest

import remap

GiB = 1 << 30


def touched(buffer):
    """buffer, with one byte written in every page."""
    with memoryview(buffer) as view:
        view[::mmap.PAGESIZE] = b"\1" * len(range(0, len(view), mmap.PAGESIZE))
    return buffer


def test_buffer_resize_1g_to_2g(benchmark):
    """remap.Buffer.resize: one mremap that moves page tables."""

    def setup():
        return (touched(remap.Buffer(GiB)),), {}

    benchmark.pedantic(lambda buf: buf.resize(2 * GiB), setup=setup, rounds=7)


def test_bytearray_grow_1g_to_2g(benchmark):
    """bytearray += 1 GiB of zeros: a realloc that copies or zero-fills."""
    zeros = bytes(GiB)

    def setup():
        return (touched(bytearray(GiB)),), {}

    def grow(array):
        array += zeros

    benchmark.pedantic(grow, setup=setup, rounds=3)


def test_copy_1g(benchmark):
    """bytes(memoryview): a plain 1 GiB copy into fresh memory, what a copying resize pays."""
    source = touched(bytearray(GiB))
    benchmark.pedantic(lambda: bytes(source), rounds=3)


@pytest.fixture(autouse=True)
def _free_between_cases():
    yield
    import gc
    gc.collect()
