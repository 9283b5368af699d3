"""What real code does with a growable byte buffer, each against bytearray (and BytesIO where it applies)."""

import os

import pytest

import remap._bench as bench
from remap._bench import workloads

KiB, MiB = 1 << 10, 1 << 20
BACKLOGS = [64 * KiB, MiB, 16 * MiB]
CHURNS = [(256 * KiB, 4 * KiB, 64), (4 * MiB, 64 * KiB, 8), (64 * MiB, 64 * KiB, 2), (MiB, 64, 2)]


@pytest.mark.parametrize("peer", list(workloads.RECEIVE))
@pytest.mark.parametrize("backlog", BACKLOGS, ids=bench.size_text)
def test_receive_buffer(benchmark, peer, backlog):
    """asyncio/h11-style receive buffer: 32 MiB in 4 KiB reads, taken as 1 KiB messages."""
    benchmark.pedantic(workloads.receive_peer, args=(peer, backlog, 32 * MiB), rounds=3)


@pytest.mark.parametrize("peer", list(workloads.CHURN))
@pytest.mark.parametrize("size, chunk, count", CHURNS,
                         ids=[f"{bench.size_text(s)}-by-{bench.size_text(c)}" for s, c, _ in CHURNS])
def test_churn(benchmark, peer, size, chunk, count):
    """Make a buffer, fill it to size in chunk-byte appends, drop it; count times."""
    benchmark.pedantic(workloads.churn_peer, args=(peer, size, chunk, count), rounds=5)


@pytest.mark.parametrize("peer", list(workloads.READINTO))
def test_readinto(benchmark, peer):
    """Read a 256 MiB file (in the page cache) into one buffer grown 1 MiB at a time."""
    path = workloads.stream_file(256 * MiB)
    try:
        benchmark.pedantic(workloads.readinto_peer, args=(peer, path), rounds=3)
    finally:
        os.unlink(path)


@pytest.mark.parametrize("peer", list(workloads.STREAM_READER))
@pytest.mark.parametrize("backlog", BACKLOGS, ids=bench.size_text)
def test_asyncio_stream_reader(benchmark, peer, backlog):
    """asyncio.StreamReader on a Buffer: readexactly, readuntil, readline through 16 MiB."""
    benchmark.pedantic(workloads.stream_reader_peer, args=(peer, backlog, 16 * MiB), rounds=3)
