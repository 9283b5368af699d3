"""remap.streams against asyncio's streams (and uvloop's loop if installed): messages from a
sender process over loopback TCP or a Unix socket, read with readexactly or readline."""

import pytest

from remap._bench import streams

KiB, MiB = 1 << 10, 1 << 20


def receive(peer, unix, size, lines):
    """Seconds one peer takes to receive streams.TOTAL bytes (the bench's own round)."""
    return streams.stream_round([peer], unix, size, lines)[peer]


@pytest.mark.parametrize("peer", list(streams.peers()))
@pytest.mark.parametrize("unix", [False, True], ids=["tcp", "unix"])
@pytest.mark.parametrize("size", [KiB, 64 * KiB, MiB, 16 * MiB])
def test_readexactly(benchmark, peer, unix, size):
    benchmark.pedantic(receive, args=(peer, unix, size, False), rounds=3)


@pytest.mark.parametrize("peer", list(streams.peers()))
@pytest.mark.parametrize("unix", [False, True], ids=["tcp", "unix"])
def test_readline(benchmark, peer, unix):
    benchmark.pedantic(receive, args=(peer, unix, 64 * KiB, True), rounds=3)
