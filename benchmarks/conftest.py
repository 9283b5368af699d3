"""Benchmark set-up: warm the VM's memory once, before any case (glibc's malloc as users have it)."""

import pytest

import remap._bench as bench


@pytest.fixture(scope="session", autouse=True)
def warm_memory():
    """Touch 3 GiB of huge-page memory once and free it (the host backs guest memory lazily)."""
    bench.warm_memory()
