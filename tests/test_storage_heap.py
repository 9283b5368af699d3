"""Heap storage: buffers below MAP_THRESHOLD live in a PyMem block, not a mapping of their own."""

import gc

import remap
from conftest import mapping_count


def test_small_buffers_live_on_the_heap_large_ones_in_mappings():
    assert not remap.Buffer(100).mapped
    assert not remap.Buffer(remap.MAP_THRESHOLD - 1).mapped
    assert remap.Buffer(remap.MAP_THRESHOLD).mapped


def test_hundred_thousand_small_buffers_cost_no_mappings():
    before = mapping_count()
    buffers = [remap.Buffer(100) for _ in range(100_000)]
    for i, buf in enumerate(buffers[::1000]):
        buf[0] = i % 256
    assert mapping_count() - before < 100
    assert all(len(b) == 100 for b in buffers)
    del buffers
    gc.collect()
