"""Memory others see: SharedBuffer growth against SharedMemory + copy, FileBuffer appends against
f.write and mmap.resize, and a second process's first access after growth."""

import os
import tempfile

import pytest

from remap._bench import sharing

MiB = 1 << 20
SIZE = 256 * MiB


@pytest.mark.parametrize("growth", list(sharing.GROWTHS))
@pytest.mark.parametrize("peer", ["remap", "remap max_size", "SharedMemory + copy"])
def test_shared_growth(benchmark, peer, growth):
    """Grow touched shared memory of 256 MiB (the growth alone is timed)."""
    new_size, grown = sharing.GROWTHS[growth](SIZE), []

    def setup():
        return (sharing.touched_shared(peer, SIZE, new_size), new_size), {}

    benchmark.pedantic(lambda *args: grown.append(sharing.grow(*args)), setup=setup, rounds=3)
    for memory in grown:
        sharing.drop(memory)


@pytest.mark.parametrize("peer", sharing.FILE_PEERS)
def test_file_append(benchmark, peer):
    """Append 256 MiB to a new file in 64 KiB chunks."""
    with tempfile.TemporaryDirectory(prefix="remap-bench-") as directory:
        path = os.path.join(directory, "data")
        benchmark.pedantic(sharing.append_file, args=(peer, path, SIZE, 64 << 10), rounds=3,
                           teardown=lambda *_: os.unlink(path))


@pytest.mark.parametrize("peer", ["remap", "SharedMemory"])
def test_first_access_after_growth(benchmark, peer):
    """A second process reaches the last byte after the first grew the memory to 256 MiB."""
    benchmark.pedantic(sharing.first_access, args=(peer, SIZE), rounds=3)
