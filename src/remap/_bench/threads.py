"""Threads: how long one large operation stops the program's other threads (stall), and how
threads that each fill a buffer of their own scale. Every measurement runs in a child process."""

import io
import json
import mmap
import os
import subprocess
import sys
import threading
import time

import remap
from remap._bench.kernel import GiB, MiB
from remap._bench.report import size_text

TICK = 1e-3  # the ticker thread's period: it records how late each wake-up is


# The large operations, what each peer's users call for it, and the label it is reported under.
STALLS = {
    "append": "append {} in one call",
    "bytes": "bytes() of {}",
    "take": "take {} from the front",
    "shared": "grow shared memory by {}",
}


def stall_ops(size):
    """{operation: {peer: (prepare, run)}}: prepare() builds what run(built) makes its one call on."""
    data = b"\1" * size
    return {
        "append": {
            "remap": (remap.Buffer, lambda buf: buf.__iadd__(data)),
            "bytearray": (bytearray, lambda array: array.__iadd__(data)),
            "BytesIO": (io.BytesIO, lambda file: file.write(data)),
            "mmap": (lambda: mmap.mmap(-1, size), lambda mapping: mapping.write(data)),
        },
        "bytes": {
            "remap": (lambda: remap.Buffer(data), bytes),
            "bytearray": (lambda: bytearray(data), bytes),
            "BytesIO": (lambda: io.BytesIO(bytearray(data)), io.BytesIO.getvalue),
            "mmap": (lambda: filled_mmap(data), lambda mapping: mapping[:]),
        },
        "take": {
            "remap": (lambda: remap.Buffer(data), remap.Buffer.take_bytes),
            "bytearray": (lambda: bytearray(data), take_front),
        },
        "shared": {
            "remap": (remap.SharedBuffer, lambda shared: shared.resize(size)),
            "mmap": (MemfdMapping, lambda mapping: mapping.grow(size)),
        },
    }


def filled_mmap(data):
    mapping = mmap.mmap(-1, len(data))
    mapping.write(data)
    return mapping


def take_front(array):
    """bytearray's way to take bytes from the front: a copy, then a delete."""
    taken = bytes(array)
    del array[:]
    return taken


class MemfdMapping:
    """Shared memory grown as users of mmap grow it: posix_fallocate (releases the GIL), resize."""

    def __init__(self):
        self.fd = os.memfd_create("bench")
        os.ftruncate(self.fd, mmap.PAGESIZE)
        self.mapping = mmap.mmap(self.fd, mmap.PAGESIZE)

    def grow(self, size):
        os.posix_fallocate(self.fd, 0, size)
        self.mapping.resize(size)


STALL_PEERS = {operation: tuple(peers) for operation, peers in stall_ops(0).items()}


def worst_stall(run, built):
    """(the ticker's worst lateness, the call's seconds) while run(built) runs in this thread."""
    worst, stop = [0.0], threading.Event()

    def tick():
        while not stop.is_set():
            start = time.perf_counter()
            time.sleep(TICK)
            worst[0] = max(worst[0], time.perf_counter() - start - TICK)

    ticker = threading.Thread(target=tick)
    ticker.start()
    time.sleep(20 * TICK)  # the ticker is running; its own start-up is not a stall
    worst[0] = 0.0
    start = time.perf_counter()
    result = run(built)  # kept until the ticker stops: freeing 1 GiB (munmap) is not the call's
    seconds = time.perf_counter() - start
    time.sleep(3 * TICK)  # a stall that ends with the call is seen by the ticker's next wake-up
    stop.set()
    ticker.join()
    del result
    return worst[0], seconds


def fill_round(peer, threads, size, each=1, chunk=4 * MiB):
    """Seconds for threads threads to each fill each buffers of their own, one after the other,
    with size bytes in chunk-byte appends."""
    make = {"remap": remap.Buffer, "bytearray": bytearray, "BytesIO": io.BytesIO}[peer]
    data = b"\1" * chunk
    barrier = threading.Barrier(threads + 1)

    def fill():
        barrier.wait()
        for _ in range(each):
            buf = make()
            append = buf.write if peer == "BytesIO" else buf.extend
            for _ in range(size // chunk):
                append(data)
            del buf, append
        barrier.wait()

    workers = [threading.Thread(target=fill) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    barrier.wait()
    seconds = time.perf_counter() - start
    for worker in workers:
        worker.join()
    return seconds


def scaling_in_child(peer, size, rounds=3):
    """(median speedup, median one-thread seconds): one thread filling two buffers of size bytes
    one after the other, over two threads filling one each, alternated in this process after an
    untimed round (this VM's host backs memory lazily: a first touch measures the host)."""
    fill_round(peer, 2, size)
    runs = []
    for _ in range(rounds):
        one, two = fill_round(peer, 1, size, each=2), fill_round(peer, 2, size)
        runs.append((one / two, one))
    return median_pair(runs)


def child(kind, *args):
    """Run one measurement in a fresh interpreter; what it printed, as JSON."""
    code = f"import json, remap._bench.threads as t; print(json.dumps(t.{kind}(*{args!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def stall_in_child(operation, peer, size):
    """worst_stall of one operation and peer, in this (fresh) process."""
    prepare, run = stall_ops(size)[operation][peer]
    return worst_stall(run, prepare())


def stall_table(size=GiB, rounds=3):
    """{label: {peer: (median worst stall, median seconds)}}, peers interleaved by round."""
    results = {}
    for operation, peers in STALL_PEERS.items():
        runs = {peer: [] for peer in peers}
        for _ in range(rounds):
            for peer in peers:
                runs[peer].append(child("stall_in_child", operation, peer, size))
        results[STALLS[operation].format(size_text(size))] = {
            peer: median_pair(values) for peer, values in runs.items()}
    return results


def scaling_table(size=512 * MiB):
    """{peer: (median speedup of 2 threads over 1, median 1-thread seconds)}, each in a child."""
    return {peer: tuple(child("scaling_in_child", peer, size))
            for peer in ("remap", "bytearray", "BytesIO")}


def median_pair(values):
    """The median of each position of a list of pairs."""
    firsts, seconds = sorted(v[0] for v in values), sorted(v[1] for v in values)
    return firsts[len(firsts) // 2], seconds[len(seconds) // 2]


def thread_report():
    """The stall and scaling tables as text lines."""
    lines = [f"threads: a ticker waking every {TICK * 1e3:.0f} ms, its worst lateness while "
             f"another thread makes one call (median of 3 fresh processes; {os.cpu_count()} cores)"]
    for operation, by_peer in stall_table(GiB).items():
        lines.append(f"  {operation}: " + ", ".join(
            f"{peer} {stall * 1e3:.1f} ms stall ({seconds * 1e3:.0f} ms call)"
            for peer, (stall, seconds) in by_peer.items()))
    lines.append("threads filling 512 MiB each in 4 MiB appends, 2 threads over 1 doing both "
                 "fills (2.0x: they ran in parallel; 1.0x: one at a time):")
    lines.append("  " + ", ".join(f"{peer} {speedup:.2f}x ({one * 1e3:.0f} ms alone)"
                                  for peer, (speedup, one) in scaling_table(512 * MiB).items()))
    lines.append("the GIL-free threshold: buf[0:n] = chunk with the GIL released over held (copies "
                 "a second; and a busy thread's loops a second beside it):")
    for size, ratios in threshold_table().items():
        lines.append(f"  {size_text(size)}: " + ", ".join(
            f"{case} {ratio:.2f}x" for case, ratio in ratios.items()))
    return lines


THRESHOLD_SIZES = (2 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20)


def copies_per_second(size, gil_free, competing, seconds=0.3):
    """(copies of size bytes a second, a competing thread's loops a second or 0) with every copy
    GIL-free or none, beside a thread that counts in a Python loop if competing."""
    buf, chunk = remap.Buffer(size), b"\1" * size
    count, stop = [0], threading.Event()

    def compete():
        while not stop.is_set():
            count[0] += 1

    old = remap._core._gil_free_min(1 if gil_free else 1 << 62)
    rival = threading.Thread(target=compete)
    if competing:
        rival.start()
    copies, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        buf[0:size] = chunk
        copies += 1
    elapsed = time.perf_counter() - start
    stop.set()
    if competing:
        rival.join()
    remap._core._gil_free_min(old)
    return copies / elapsed, count[0] / elapsed


def threshold_in_child(size):
    """{case: ratio} for one size: what releasing the GIL for the copy costs or gains."""
    alone = [copies_per_second(size, free, False) for free in (False, True)]
    rivalled = [copies_per_second(size, free, True) for free in (False, True)]
    return {"alone": alone[1][0] / alone[0][0],
            "copier beside a busy thread": rivalled[1][0] / rivalled[0][0],
            "the busy thread": rivalled[1][1] / rivalled[0][1]}


def threshold_table(rounds=3):
    """{size: {case: median ratio, GIL-free over GIL held}}, a fresh process per round."""
    table = {}
    for size in THRESHOLD_SIZES:
        runs = [child("threshold_in_child", size) for _ in range(rounds)]
        table[size] = {case: sorted(run[case] for run in runs)[rounds // 2] for case in runs[0]}
    return table
