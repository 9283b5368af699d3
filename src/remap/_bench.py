"""python -m remap bench: remap against bytearray, BytesIO, mmap, numpy, array and the raw kernel."""

import array
import ctypes
import io
import mmap
import os
import platform
import statistics
import subprocess
import sys
import time

from remap._core import PAGESIZE, Buffer

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = LIBC.mremap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
LIBC.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
LIBC.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MREMAP_MAYMOVE, MADV_HUGEPAGE, M_MMAP_THRESHOLD = 1, 14, -3


# -- the raw kernel, through ctypes: the ceiling every peer is measured against --

class RawMapping:
    """A private anonymous mapping made and resized with the bare system calls."""

    def __init__(self, size, hugepages=True):
        self.address = LIBC.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE,
                                 mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        if self.address in (None, ctypes.c_void_p(-1).value):
            raise MemoryError(os.strerror(ctypes.get_errno()))
        self.size = size
        if hugepages:
            LIBC.madvise(self.address, size, MADV_HUGEPAGE)

    def fill(self):
        """Write every byte, as a C loop would: the fastest a fresh buffer can be filled."""
        ctypes.memset(self.address, 1, self.size)

    def touch(self):
        """Fault in every page."""
        self.fill()

    def remap(self, size):
        """mremap(MREMAP_MAYMOVE) to size bytes."""
        address = LIBC.mremap(self.address, self.size, size, MREMAP_MAYMOVE)
        if address == ctypes.c_void_p(-1).value:
            raise MemoryError(os.strerror(ctypes.get_errno()))
        self.address, self.size = address, size

    def close(self):
        LIBC.munmap(self.address, self.size)


# -- scenario 1: fill N bytes in chunks --

def fill_by(make, method):
    """A fill that appends each chunk to make() with its method of that name."""

    def fill(total, chunk):
        target = make()
        append = getattr(target, method)
        for _ in range(total // len(chunk)):
            append(chunk)
        return target

    return fill


def fill_mmap(total, chunk):
    """mmap.mmap has no append: write at the end, doubling with resize() when full."""
    region, end = mmap.mmap(-1, PAGESIZE, flags=mmap.MAP_PRIVATE), 0
    for _ in range(total // len(chunk)):
        while end + len(chunk) > len(region):
            region.resize(2 * len(region))
        region[end:end + len(chunk)] = chunk
        end += len(chunk)
    return region


def fill_numpy(total, chunk):
    """An ndarray grown by doubling with ndarray.resize, filled by slice assignment."""
    import numpy as np

    values, end, piece = np.empty(PAGESIZE, "u1"), 0, np.frombuffer(chunk, "u1")
    for _ in range(total // len(chunk)):
        while end + len(piece) > len(values):
            values.resize(2 * len(values), refcheck=False)
        values[end:end + len(piece)] = piece
        end += len(piece)
    return values


def fill_kernel(total, chunk):
    """memset of a fresh MADV_HUGEPAGE mapping: the ceiling for any fill."""
    region = RawMapping(total)
    region.fill()
    return region


FILL = {"remap": fill_by(Buffer, "extend"), "bytearray": fill_by(bytearray, "extend"),
        "BytesIO": fill_by(io.BytesIO, "write"), "mmap": fill_mmap, "numpy": fill_numpy,
        "array": fill_by(lambda: array.array("B"), "frombytes"), "kernel": fill_kernel}


# -- scenario 2: grow a touched buffer of N bytes to 2N, then shrink it back --

def touch_pages(buffer, start=0, end=None):
    """Write one byte in every page of buffer[start:end], so moves carry real pages."""
    with memoryview(buffer) as view:
        end = len(view) if end is None else end
        view[start:end:PAGESIZE] = b"\1" * len(range(start, end, PAGESIZE))
    return buffer


def touched_remap(size):
    return touch_pages(Buffer(size))


def grow_remap(buf, size):
    buf.resize(size)


def touched_bytearray(size):
    return bytearray(b"\1") * size


def grow_by_extending(extend_name):
    """A resize for a type without one: extend with zeros to grow, delete the tail to shrink."""

    def grow(values, size):
        if size > len(values):
            getattr(values, extend_name)(bytes(size - len(values)))
        else:
            del values[size:]

    return grow


def touched_bytesio(size):
    return io.BytesIO(b"\1" * size)


def grow_bytesio(file, size):
    """BytesIO grows by a write past the end (zero-filling the gap), shrinks by truncate()."""
    if size > len(file.getbuffer()):
        file.seek(size - 1)
        file.write(b"\0")
    else:
        file.truncate(size)


def touched_array(size):
    return array.array("B", b"\1") * size


def touched_mmap(size):
    return touch_pages(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE))


def grow_mmap(region, size):
    region.resize(size)


def touched_numpy(size):
    import numpy as np

    return np.ones(size, "u1")


def grow_numpy(values, size):
    values.resize(size, refcheck=False)


def touched_kernel(size):
    region = RawMapping(size)
    region.touch()
    return region


def grow_kernel(region, size):
    region.remap(size)


RESIZE = {"remap": (touched_remap, grow_remap),
          "bytearray": (touched_bytearray, grow_by_extending("extend")),
          "BytesIO": (touched_bytesio, grow_bytesio), "mmap": (touched_mmap, grow_mmap),
          "numpy": (touched_numpy, grow_numpy),
          "array": (touched_array, grow_by_extending("frombytes")),
          "kernel": (touched_kernel, grow_kernel)}


# -- scenario 3: create and drop small buffers --

def create_remap(size, count):
    for _ in range(count):
        Buffer(size)


def create_bytearray(size, count):
    for _ in range(count):
        bytearray(size)


def create_bytesio(size, count):
    for _ in range(count):
        io.BytesIO(bytes(size))


def create_array(size, count):
    for _ in range(count):
        array.array("B", bytes(size))


def create_mmap(size, count):
    for _ in range(count):
        mmap.mmap(-1, size).close()


def create_numpy(size, count):
    import numpy as np

    for _ in range(count):
        np.zeros(size, "u1")


CREATE = {"remap": create_remap, "bytearray": create_bytearray, "BytesIO": create_bytesio,
          "mmap": create_mmap, "numpy": create_numpy, "array": create_array}


# -- scenario 4: grow while a numpy array views the first bytes --

def grow_under_numpy(size):
    """Seconds to grow a Buffer from 1 MiB to size in doublings while np.frombuffer pins it."""
    import numpy as np

    buf = Buffer(MiB, max_size=size)
    pinned = np.frombuffer(buf, "u1")
    start, length = time.perf_counter(), MiB
    while length < size:
        length = min(2 * length, size)
        buf.resize(length)
    seconds = time.perf_counter() - start
    del pinned
    buf.close()
    return seconds


def refusals():
    """What each peer does when asked to grow under a live np.frombuffer view of it."""
    import numpy as np

    peers = {"bytearray": lambda: bytearray(MiB), "mmap": lambda: mmap.mmap(-1, MiB),
             "numpy": lambda: np.zeros(MiB, "u1"), "array": lambda: array.array("B", bytes(MiB))}
    return {name: refusal(make()) for name, make in peers.items()}


def refusal(buf):
    """The name of the exception buf raises when it must grow under a numpy view, or "grew"."""
    import numpy as np

    pinned = np.frombuffer(buf, "u1")
    try:
        if isinstance(buf, (bytearray, array.array)):
            buf.extend(bytes(MiB))
        else:
            buf.resize(2 * len(buf))
    except (BufferError, ValueError) as error:
        return type(error).__name__
    finally:
        del pinned
    return "grew"


# -- measuring --

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
    """Peak RSS growth (MiB) of a child process that runs one fill or resize case.

    It reads VmHWM, the new process's own high-water mark: ru_maxrss would carry over the
    parent's peak through exec.
    """
    case = (f"b.FILL[{peer!r}]({size}, b'x' * {chunk})" if scenario == "fill" else
            f"m, g = b.RESIZE[{peer!r}]; x = m({size}); g(x, {2 * size})")
    code = ("import remap._bench as b\n"
            "hwm = lambda: int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
            f"before = hwm()\n{case}\nprint((hwm() - before) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout) if out.returncode == 0 else None


def warm_memory(size=3 * GiB):
    """Touch size bytes of huge-page memory once and free it: this VM's host backs memory lazily."""
    region = RawMapping(size)
    region.fill()
    region.close()


# -- the command --

def environment():
    """What decides the result on this machine."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as thp:
            mode = thp.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        mode = "unknown"
    return {"kernel": platform.release(), "transparent_hugepage": mode, "pagesize": PAGESIZE,
            "glibc": "-".join(platform.libc_ver()), "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "bytearray_realloc": "glibc M_MMAP_THRESHOLD pinned to 128 KiB: blocks above it are "
                                 "mmap'd, and realloc grows them with mremap (no copy)"}


def huge_page_faults():
    """(huge pages faulted in, faults that fell back to 4 KiB pages) so far, from /proc/vmstat."""
    try:
        with open("/proc/vmstat") as vmstat:
            counts = dict(line.split() for line in vmstat)
        return int(counts["thp_fault_alloc"]), int(counts["thp_fault_fallback"])
    except (OSError, KeyError, ValueError):
        return 0, 0


def pin_malloc_threshold():
    """Fix glibc's mmap threshold at its default, so bytearray's regime does not drift mid-run."""
    LIBC.mallopt(M_MMAP_THRESHOLD, 128 * KiB)


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
    return cases


def size_text(size):
    """1 GiB, 64 KiB, 100 B."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


def progress(done, total, label):
    """A one-line progress bar on stderr."""
    filled = int(30 * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total} {label:<40}")
    sys.stderr.flush()


def run(cases, repeats):
    """Run every case repeats times, interleaved; {case index: {peer: [seconds, ...]}}."""
    samples = {index: {} for index in range(len(cases))}
    total = repeats * len(cases)
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


def summarize(cases, samples):
    """One record per case and peer: median, min, max, throughput and remap's ratios."""
    records = []
    for index, (label, scenario, size, _) in enumerate(cases):
        medians = {peer: statistics.median(times) for peer, times in samples[index].items()}
        for peer, times in samples[index].items():
            kind = peer.split()[-1] if scenario == "resize" else ""
            base = f"remap {kind}".strip()
            record = {"scenario": label, "kind": scenario, "size": size, "peer": peer,
                      "median_s": medians[peer], "min_s": min(times), "max_s": max(times),
                      "runs": len(times)}
            if scenario == "fill":
                record["gb_per_s"] = size / medians[peer] / 1e9
            if peer.startswith("remap") and f"bytearray {kind}".strip() in medians:
                record["vs_bytearray"] = medians[f"bytearray {kind}".strip()] / medians[peer]
            if peer.startswith("remap") and f"kernel {kind}".strip() in medians:
                record["vs_kernel"] = medians[f"kernel {kind}".strip()] / medians[base]
            records.append(record)
    return records


def table(records):
    """The records as a plain-text table."""
    lines = [f"{'scenario':<26} {'size':>8} {'peer':<17} {'median':>10} {'min - max':>21} "
             f"{'GB/s':>6} {'x bytearray':>11} {'of kernel':>9}"]
    for r in records:
        spread = f"{seconds_text(r['min_s'])} - {seconds_text(r['max_s'])}"
        rate = f"{r['gb_per_s']:6.2f}" if "gb_per_s" in r else ""
        speedup = f"{r['vs_bytearray']:.1f}x" if "vs_bytearray" in r else ""
        ceiling = f"{r['vs_kernel']:.0%}" if "vs_kernel" in r else ""
        lines.append(f"{r['scenario']:<26} {size_text(r['size']):>8} {r['peer']:<17} "
                     f"{seconds_text(r['median_s']):>10} {spread:>21} {rate:>6} {speedup:>11} "
                     f"{ceiling:>9}")
    return "\n".join(lines)


def seconds_text(seconds):
    """Seconds in the unit that suits them."""
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def find(records, kind, peer, size=None, scenario=None):
    """The one record of a kind and peer (and size, scenario label), or None."""
    for r in records:
        if (r["kind"], r["peer"]) == (kind, peer) and size in (None, r["size"]) \
                and scenario in (None, r["scenario"]):
            return r
    return None


def target_lines(records, rss):
    """The issue's targets, each with the measured ratio and whether it was met."""
    lines = []

    def check(name, value, goal, met):
        if value is not None:
            lines.append(f"{'met ' if met else 'MISS'}  {name}: {value} (target {goal})")

    fill = find(records, "fill", "remap", 512 * MiB, "fill, 64 KiB chunks")
    if fill:
        check("fill 512 MiB, 64 KiB chunks, x bytearray", f"{fill['vs_bytearray']:.1f}x",
              ">= 4x", fill["vs_bytearray"] >= 4)
        check("fill 512 MiB, 64 KiB chunks, of the huge-page memset ceiling",
              f"{fill['vs_kernel']:.0%}", ">= 90%", fill["vs_kernel"] >= 0.9)
    small = find(records, "fill", "remap", scenario="fill, 64 B chunks")
    if small:
        check("fill in 64 B chunks, x bytearray", f"{small['vs_bytearray']:.2f}x", ">= 1x",
              small["vs_bytearray"] >= 1)
    grow, raw = find(records, "resize", "remap grow", GiB), find(records, "resize", "kernel grow", GiB)
    copy = find(records, "resize", "memcpy grow", GiB)
    if grow and raw and copy:
        check("grow 1 GiB -> 2 GiB, time / raw mremap", f"{grow['median_s'] / raw['median_s']:.2f}x",
              "<= 1.2x", grow["median_s"] <= 1.2 * raw["median_s"])
        check("grow 1 GiB -> 2 GiB, x memcpy of 1 GiB", f"{copy['median_s'] / grow['median_s']:.0f}x",
              ">= 300x", copy["median_s"] >= 300 * grow["median_s"])
    made, base = find(records, "create", "remap", 100), find(records, "create", "bytearray", 100)
    if made and base:
        check("create and drop Buffer(100), time / bytearray(100)",
              f"{made['median_s'] / base['median_s']:.2f}x", "<= 1.5x",
              made["median_s"] <= 1.5 * base["median_s"])
    for (scenario, size), peak in rss.items():
        if peak is not None:
            limit = 1.05 * size / MiB + 4
            check(f"peak RSS, remap {scenario} of {size_text(size)}", f"{peak:.0f} MiB",
                  f"<= {limit:.0f} MiB", peak <= limit)
    return lines


def peak_table(full):
    """Peak RSS growth of fill and resize, in child processes: {(scenario, size): {peer: MiB}}."""
    size = GiB if full else 256 * MiB
    return {(scenario, size): {peer: peak_rss_mib(scenario, peer, size) for peer in available(peers)}
            for scenario, peers in (("fill", FILL), ("resize", RESIZE))}


def bench(full=False, repeats=None, json_path=None, plot_path=None):
    """Run the comparison, print the table, the peak memory and the targets; return the records."""
    import json

    pin_malloc_threshold()
    env = environment()
    print("environment: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    warm = 6 * GiB if full else 3 * GiB
    print(f"warming memory: touching {size_text(warm)} of huge-page memory once "
          "(the host backs it lazily)")
    warm_memory(warm)
    cases = plan(full)
    faults_before = huge_page_faults()
    records = summarize(cases, run(cases, repeats or (5 if full else 3)))
    print(table(records))
    (allocated, fell_back), (allocated0, fell_back0) = huge_page_faults(), faults_before
    print(f"huge pages during the run: {allocated - allocated0} faulted in, "
          f"{fell_back - fell_back0} fell back to 4 KiB pages")
    peaks = peak_table(full)
    print("\npeak RSS growth (MiB), each case in a child process:")
    for (scenario, size), by_peer in peaks.items():
        print(f"  {scenario} {size_text(size)}: "
              + ", ".join(f"{peer} {mib:.0f}" for peer, mib in by_peer.items() if mib is not None))
    if "numpy" in available(FILL):
        print("\ngrow under a numpy view, the peers: " + ", ".join(
            f"{peer} {what}" for peer, what in refusals().items()) + "; remap grows (max_size)")
    print("\ntargets:")
    print("\n".join(target_lines(records, {key: by_peer["remap"] for key, by_peer in peaks.items()})))
    if json_path:
        with open(json_path, "w") as out:
            json.dump({"environment": env, "records": records,
                       "peak_rss_mib": {f"{s} {size}": p for (s, size), p in peaks.items()}},
                      out, indent=1)
    if plot_path:
        plot(records, plot_path)
    return records


def plot(records, path):
    """Time against size, log-log, one line per peer, one panel per scenario (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install ".[plot]"')
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    rows = -(-len(scenarios) // 4)
    figure, axes = plt.subplots(rows, 4, figsize=(16, 3.8 * rows), squeeze=False)
    for axis in axes.flat[len(scenarios):]:
        axis.set_visible(False)
    for axis, scenario in zip(axes.flat, scenarios):
        axis.set_prop_cycle(color=plt.cm.tab20.colors)
        rows = [r for r in records if r["scenario"] == scenario]
        for peer in dict.fromkeys(r["peer"] for r in rows):
            points = sorted((r["size"], r["median_s"]) for r in rows if r["peer"] == peer)
            axis.plot(*zip(*points), marker="o", label=peer)
        axis.set(xscale="log", yscale="log", title=scenario, xlabel="bytes", ylabel="seconds")
        axis.legend(fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
