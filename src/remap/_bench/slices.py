"""Small slices and the bytes of them: the per-message idiom of receive loops and parsers."""

import timeit

from remap._bench.kernel import KiB, MiB
from remap._core import Buffer

SLICES = {  # label: the statement timed, on x (2 n bytes), big (16 MiB) and n
    "slice: x[:n]": "x[:n]",
    "slice: bytes(x[:n])": "bytes(x[:n])",
    "slice: big[i:i+n]": "big[4096:4096 + n]",
}
SLICE_PEERS = {"remap": Buffer, "bytearray": bytearray}
SLICE_COUNT = 20_000  # slices per timing


def slice_names(peer, n):
    """What the statements name, as the peer's buffers: x (2 n bytes), big (16 MiB) and n."""
    make = SLICE_PEERS[peer]
    return {"x": make((bytes(range(256)) * (n // 128 + 1))[:2 * n]), "big": make(16 * MiB), "n": n}


def slice_seconds(peer, statement, n):
    """Seconds per statement on the peer's buffers: the best of 3 timings of SLICE_COUNT."""
    timer = timeit.Timer(statement, globals=slice_names(peer, n))
    return min(timer.repeat(3, SLICE_COUNT)) / SLICE_COUNT


def slice_cases(rotated):
    """Each slice idiom at 64 B and 4 KiB, remap against bytearray."""
    return [(label, "slice", n,
             lambda r, s=statement, n=n: {peer: slice_seconds(peer, s, n)
                                          for peer in rotated(SLICE_PEERS, r)})
            for label, statement in SLICES.items() for n in (64, 4 * KiB)]
