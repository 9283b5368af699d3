"""Benchmark helpers: warm the VM's memory once so first-touch costs do not skew the first case."""

import mmap

import pytest

GiB = 1 << 30


@pytest.fixture(scope="session", autouse=True)
def warm_memory():
    """Touch 3 GiB of huge-page memory once and free it (the host backs guest memory lazily)."""
    region = mmap.mmap(-1, 3 * GiB)
    region.madvise(mmap.MADV_HUGEPAGE)
    for start in range(0, len(region), mmap.PAGESIZE):
        region[start] = 1
    region.close()
