"""Running cases: interleaved rounds with rotating order, and peak RSS in child processes."""

import ctypes
import mmap
import os
import subprocess
import sys
import time

from remap._bench.kernel import GiB, KiB, MiB, RawMapping, warm_memory
from remap._bench.peers import CREATE, FILL, RESIZE, grow_under_numpy, touched_kernel
from remap._bench.files import file_cases
from remap._bench.streams import stream_cases
from remap._bench.report import size_text
from remap._bench.rings import ring_cases
from remap._bench.sharing import sharing_cases
from remap._bench.slices import slice_cases
from remap._bench.workloads import (
    CHURN, READINTO, RECEIVE, STREAM_READER, churn_peer, readinto_peer, receive_peer,
    stream_file, stream_reader_peer,
)
from remap._core import Buffer

RECEIVE_TOTAL = 32 * MiB   # bytes through a receive buffer per round
RSS_RECEIVE = (16 * MiB, GiB)  # the resident-memory case: backlog, bytes through it
WARMED_UP = ("receive", "churn", "readinto", "asyncio")  # kinds measured at steady state, and cold
FRESH = "(fresh process)"  # the label's end on a case whose peers each run in a new process


def timed(action, *args):
    """Seconds action(*args) took, and what it returned."""
    start = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - start, result


def release(thing):
    """Free what a peer built now, not at the next collection."""
    if isinstance(thing, (RawMapping, mmap.mmap, Buffer)):
        thing.close()


def fill_round(peers, size, chunk):
    """One interleaved round: each peer fills size bytes once; {peer: seconds}.

    Before a large fill, size bytes are touched and freed, so every peer starts on memory the
    host backs: this VM hands freed memory back to its host, which makes it slow to touch again.
    """
    data, seconds = bytes(range(256)) * (chunk // 256) or b"x" * chunk, {}
    for name in peers:
        if size >= 64 * MiB:
            warm_memory(size)
        seconds[name], built = timed(FILL[name], size, data)
        release(built)
        del built  # free it before the next peer runs
    return seconds


def resize_round(peers, size):
    """One interleaved round: each peer grows a touched buffer size -> 2 size, then shrinks back."""
    seconds = {}
    for name in peers:
        make, grow = RESIZE[name]
        buf = make(size)
        seconds[f"{name} grow"], _ = timed(grow, buf, 2 * size)
        seconds[f"{name} shrink"], _ = timed(grow, buf, size)
        release(buf)
    seconds["memcpy grow"] = copy_seconds(size)
    return seconds


def copy_seconds(size):
    """Seconds a copying resize pays at least: memcpy of size bytes between touched mappings."""
    source, target = touched_kernel(size), touched_kernel(size)
    seconds, _ = timed(ctypes.memmove, target.address, source.address, size)
    source.close()
    target.close()
    return seconds


def create_round(peers, size, count):
    """One interleaved round: each peer creates and drops count buffers of size bytes."""
    return {name: timed(CREATE[name], size, count)[0] / count for name in peers}


def peak_rss_mib(scenario, peer, size, chunk=64 * KiB):
    """Peak RSS growth (MiB) of a child process that runs one fill, resize, receive or streams
    case (streams: over TCP from a sender process of its own, whose memory is not counted).

    It reads VmHWM, the new process's own high-water mark: ru_maxrss would carry over the
    parent's peak through exec.
    """
    case = {"fill": f"b.FILL[{peer!r}]({size}, b'x' * {chunk})",
            "resize": f"m, g = b.RESIZE[{peer!r}]; x = m({size}); g(x, {2 * size})",
            "receive": f"b.receive_peer({peer!r}, {size}, {RSS_RECEIVE[1]})",
            "streams": f"s.stream_peer({peer!r}, {size}, {RSS_RECEIVE[1]})"}[scenario]
    code = ("import remap._bench as b, remap._bench.streams as s\n"
            "hwm = lambda: int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
            f"before = hwm()\n{case}\nprint((hwm() - before) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout) if out.returncode == 0 else None


def available(peers):
    """The peers that can run here: numpy's only where numpy is installed."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return [peer for peer in peers if peer != "numpy"]
    return list(peers)


def plan(full):
    """The cases to run: (label, scenario, size, round function)."""
    peers = available(FILL)
    fills = ([(s, c) for c in (64, 4 * KiB, 64 * KiB, MiB) for s in (MiB, 16 * MiB, 256 * MiB, GiB)
              if c >= 4 * KiB or s <= 64 * MiB] if full else
             [(512 * MiB, 64 * KiB), (16 * MiB, 64), (64 * MiB, 4 * KiB), (64 * MiB, MiB)])
    cases = [(f"fill, {size_text(c)} chunks", "fill", s,
              lambda r, s=s, c=c: fill_round(rotated(peers, r), s, c)) for s, c in fills]
    for size in ((MiB, 16 * MiB, 256 * MiB, GiB) if full else (GiB,)):
        cases.append(("resize N -> 2N -> N", "resize", size,
                      lambda r, size=size: resize_round(rotated(available(RESIZE), r), size)))
    for size in (100, 4 * KiB):
        cases.append(("create and drop", "create", size,
                      lambda r, size=size: create_round(rotated(available(CREATE), r), size, 20_000)))
    for size in ((64 * MiB, GiB) if full else (GiB,)) if "numpy" in available(FILL) else ():
        cases.append(("grow under a numpy view", "pinned", size,
                      lambda r, size=size: {"remap": grow_under_numpy(size)}))
    return (cases + slice_cases(rotated) + workload_cases() + file_cases(rotated) + stream_cases(rotated)
            + sharing_cases(rotated) + ring_cases(rotated))


def workload_cases():
    """What real code does (receive buffers, churn, readinto, asyncio), each against bytearray:
    in this process after a warm-up round (steady state), and each peer in a fresh process (cold
    heap: glibc's thresholds and free lists as a new process has them)."""
    specs = [("receive, 1 KiB messages", "receive", backlog, RECEIVE, receive_peer,
              (backlog, RECEIVE_TOTAL)) for backlog in (64 * KiB, MiB, 16 * MiB)]
    for size, chunk in ((256 * KiB, 4 * KiB), (4 * MiB, 64 * KiB), (64 * MiB, 64 * KiB), (MiB, 64)):
        count = max(3, 64 * MiB // size) if chunk > 64 else 8
        specs.append((f"churn, {size_text(chunk)} appends", "churn", size, CHURN, churn_peer,
                      (size, chunk, count)))
    specs.append(("readinto, 1 MiB steps", "readinto", 256 * MiB, READINTO, readinto_peer, None))
    specs += [("asyncio.StreamReader", "asyncio", backlog, STREAM_READER, stream_reader_peer,
               (backlog, 16 * MiB)) for backlog in (64 * KiB, MiB, 16 * MiB)]
    return ([(label, kind, size, workload_round(peers, action, args, fresh=False))
             for label, kind, size, peers, action, args in specs]
            + [(f"{label} {FRESH}", kind, size, workload_round(peers, action, args, fresh=True))
               for label, kind, size, peers, action, args in specs])


def workload_round(peers, action, args, fresh):
    """A case's round function: action(peer, *args) for each peer, in turn or each in a new process
    (args None: a file of 256 MiB to read, made for the round)."""
    run_peer = fresh_process_seconds if fresh else timed_peer

    def round_(r):
        if args is not None:
            return {name: run_peer(action, name, *args) for name in rotated(peers, r)}
        path = stream_file(256 * MiB)
        try:
            return {name: run_peer(action, name, path) for name in rotated(peers, r)}
        finally:
            os.unlink(path)
    return round_


def timed_peer(action, *args):
    """Seconds action(*args) took in this process; what it built is freed before the next peer."""
    seconds, built = timed(action, *args)
    release(built)
    return seconds


def fresh_process_seconds(action, *args):
    """Seconds action(*args) took in a new interpreter (its start-up not counted)."""
    code = (f"import time\nfrom {action.__module__} import {action.__name__} as action\n"
            f"start = time.perf_counter()\naction(*{args!r})\n"
            "print(time.perf_counter() - start)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def progress(done, total, label):
    """A one-line progress bar on stderr."""
    filled = int(30 * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total} {label:<40}")
    sys.stderr.flush()


def run(cases, repeats):
    """Run every case repeats times, interleaved, after one unmeasured round of each workload that
    is measured at steady state; {case index: {peer: [seconds, ...]}}."""
    samples = {index: {} for index in range(len(cases))}
    total = repeats * len(cases)
    for label, kind, size, round_ in cases:
        if kind in WARMED_UP and not label.endswith(FRESH):
            progress(0, total, f"warm-up: {label} {size_text(size)}")
            round_(0)
    for repeat in range(repeats):
        for index, (label, _, size, round_) in enumerate(cases):
            progress(repeat * len(cases) + index, total, f"{label} {size_text(size)}")
            for peer, seconds in round_(repeat).items():
                samples[index].setdefault(peer, []).append(seconds)
    progress(total, total, "done")
    sys.stderr.write("\n")
    return samples


def rotated(peers, by):
    """peers, starting at index by: each round gives a different peer the first turn."""
    peers = list(peers)
    return peers[by % len(peers):] + peers[:by % len(peers)]


def peak_table(full):
    """Peak RSS growth of fill, resize, receive and streams, in children:
    {(scenario, size): {peer: MiB}}."""
    size = GiB if full else 256 * MiB
    table = {(scenario, size): {peer: peak_rss_mib(scenario, peer, size) for peer in available(peers)}
             for scenario, peers in (("fill", FILL), ("resize", RESIZE))}
    table[("receive", RSS_RECEIVE[0])] = {peer: peak_rss_mib("receive", peer, RSS_RECEIVE[0])
                                          for peer in ("remap", "bytearray")}
    table[("streams", RSS_RECEIVE[0])] = {peer: peak_rss_mib("streams", peer, RSS_RECEIVE[0])
                                          for peer in ("remap", "asyncio")}
    return table
