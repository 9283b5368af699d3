"""Threads: the worst stall a ticker thread sees while one large call runs (timed: the call and
the ticker's 23 ms of start and finish), and two threads filling buffers of their own against
one thread filling both."""

import pytest

from remap._bench import threads

MiB = 1 << 20
SIZE = 256 * MiB
CASES = [(operation, peer) for operation, peers in threads.STALL_PEERS.items() for peer in peers]


@pytest.mark.parametrize(("operation", "peer"), CASES)
def test_stall(benchmark, operation, peer):
    """One call on 256 MiB in this thread while a ticker wakes every 1 ms; extra_info holds the
    ticker's worst lateness (the stall) of each round."""
    prepare, run = threads.stall_ops(SIZE)[operation][peer]
    stalls = []

    def measured(built):
        stall, _ = threads.worst_stall(run, built)
        stalls.append(stall)

    benchmark.pedantic(measured, setup=lambda: ((prepare(),), {}), rounds=3)
    benchmark.extra_info["worst_stall_ms"] = [round(stall * 1e3, 2) for stall in stalls]


@pytest.mark.parametrize("threads_", [1, 2])
@pytest.mark.parametrize("peer", ["remap", "bytearray", "BytesIO"])
def test_fill_own_buffers(benchmark, peer, threads_):
    """Two buffers of 256 MiB filled in 4 MiB appends: by one thread in turn, or one per thread."""
    each = 2 // threads_
    threads.fill_round(peer, threads_, SIZE, each=each)  # untimed: the host backs memory lazily
    benchmark.pedantic(threads.fill_round, args=(peer, threads_, SIZE, each), rounds=3)
