"""Benchmark set-up: pin glibc's mmap threshold and warm the VM's memory once, before any case."""

import pytest

import remap._bench as bench


@pytest.fixture(scope="session", autouse=True)
def warm_memory():
    """Touch 3 GiB of huge-page memory once and free it (the host backs guest memory lazily)."""
    bench.pin_malloc_threshold()
    bench.warm_memory()
