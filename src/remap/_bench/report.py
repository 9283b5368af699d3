"""Reporting: medians and ratios per case, the table, the targets, the plot."""

import statistics
import sys

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


def size_text(size):
    """1 GiB, 64 KiB, 100 B."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


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


WORKLOADS = ("receive", "churn", "readinto", "asyncio")


def target_lines(records, rss):
    """The targets, each with the measured ratio and whether it was met."""
    return (classic_targets(records) + workload_targets(records) + bufferio_targets(records)
            + stream_targets(records)
            + sharing_targets(records)
            + ring_targets(records) + memory_targets(rss))


def classic_targets(records):
    """Fill, grow and create: where remap was built to win."""
    lines = []

    def check(name, value, goal, met):
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
              f"{made['median_s'] / base['median_s']:.2f}x", "<= 1.0x",
              made["median_s"] <= base["median_s"])
    for ours in (r for r in records if r["kind"] == "slice" and r["peer"] == "remap"):
        theirs = find(records, "slice", "bytearray", ours["size"], ours["scenario"])
        if theirs:
            ratio = ours["median_s"] / theirs["median_s"]
            check(f"{ours['scenario']} {size_text(ours['size'])}, time / bytearray", f"{ratio:.2f}x",
                  "<= 1.0x", ratio <= 1.0)
    return lines


def workload_targets(records):
    """Real use: never slower than bytearray, and at most half its time at a 16 MiB backlog."""
    lines = []
    for r in records:
        if r["kind"] in WORKLOADS and r["peer"].startswith("remap") and "vs_bytearray" in r:
            ratio = 1 / r["vs_bytearray"]
            goal = 0.5 if (r["kind"], r["size"]) == ("receive", 16 * MiB) else 1.0
            lines.append(f"{'met ' if ratio <= goal else 'MISS'}  {r['scenario']} "
                         f"{size_text(r['size'])}, {r['peer']}, time / bytearray: {ratio:.2f}x "
                         f"(target <= {goal}x)")
    return lines


def bufferio_targets(records):
    """BufferIO's reads, as parsers and archive readers make them: never slower than BytesIO."""
    lines = []
    for ours in (r for r in records if r["kind"] == "bufferio" and r["peer"] == "remap"):
        theirs = find(records, "bufferio", "BytesIO", scenario=ours["scenario"])
        if theirs:
            ratio = ours["median_s"] / theirs["median_s"]
            lines.append(f"{'met ' if ratio <= 1.0 else 'MISS'}  {ours['scenario']}, time / "
                         f"BytesIO: {ratio:.2f}x (target <= 1.0x)")
    return lines


STREAM_GOALS = {1 << 10: 1.3, 64 << 10: 2.0, 1 << 20: 2.0, 16 << 20: 1.5}


def stream_targets(records):
    """remap.streams against asyncio's streams, on the same loop (asyncio's, uvloop's): its
    throughput over theirs, per case."""
    lines = []
    for loop in ("", " + uvloop"):
        for ours in (r for r in records if r["kind"] == "streams" and r["peer"] == "remap" + loop):
            theirs = find(records, "streams", "asyncio" + loop, ours["size"], ours["scenario"])
            goal = 1.3 if "readline" in ours["scenario"] else STREAM_GOALS[ours["size"]]
            if theirs:
                speedup = theirs["median_s"] / ours["median_s"]
                lines.append(f"{'met ' if speedup >= goal else 'MISS'}  {ours['scenario']} "
                             f"{size_text(ours['size'])}, x asyncio{loop}: {speedup:.2f}x "
                             f"(target >= {goal}x)")
    return lines


def sharing_targets(records):
    """Shared growth against SharedMemory + copy; file appends against f.write."""
    lines = []
    for growth in ("doubling", "+64 MiB"):
        ours = find(records, "shared", "remap", GiB, f"shared grow, {growth}")
        theirs = find(records, "shared", "SharedMemory + copy", GiB, f"shared grow, {growth}")
        if ours and theirs:
            speedup = theirs["median_s"] / ours["median_s"]
            lines.append(f"{'met ' if speedup >= 100 else 'MISS'}  SharedBuffer grow 1 GiB "
                         f"({growth}), x SharedMemory + copy: {speedup:.0f}x (target >= 100x)")
    ours, theirs = find(records, "file", "remap"), find(records, "file", "f.write")
    if ours and theirs:
        ratio = ours["median_s"] / theirs["median_s"]
        lines.append(f"{'met ' if ratio <= 1.2 else 'MISS'}  FileBuffer append 1 GiB in 64 KiB "
                     f"chunks, time / f.write: {ratio:.2f}x (target <= 1.2x)")
    return lines


def ring_targets(records):
    """Across processes, 64 KiB messages: at least twice the best peer's throughput."""
    lines = []
    for size in (1 << 10, 64 << 10):
        rows = [r for r in records if r["kind"] == "ring2" and r["size"] == size]
        ours = [r["median_s"] for r in rows if r["peer"] == "remap"]
        best = min((r["median_s"] for r in rows if r["peer"] != "remap"), default=None)
        if ours and best:
            speedup = best / ours[0]
            goal = 2 if size == 64 << 10 else 1
            lines.append(f"{'met ' if speedup >= goal else 'MISS'}  Ring across processes, "
                         f"{size_text(size)} messages, x the best peer: {speedup:.2f}x "
                         f"(target >= {goal}x)")
    return lines


def memory_targets(rss):
    """Peak RSS growth: a fill or resize about its size; a receive buffer about its backlog, and
    remap.streams about two of its messages."""
    lines = []
    for (scenario, size), peak in rss.items():
        if peak is not None:
            limit = (2 * size / MiB + 4 if scenario in ("receive", "streams")
                     else 1.05 * size / MiB + 4)
            what = {"receive": "of 1 GiB through a backlog of",
                    "streams": "of 1 GiB in messages of"}.get(scenario, "of")
            lines.append(f"{'met ' if peak <= limit else 'MISS'}  peak RSS, remap {scenario} "
                         f"{what} {size_text(size)}: {peak:.0f} MiB (target <= {limit:.0f} MiB)")
    return lines


def plot(records, path):
    """Time against size, log-log, one line per peer, one panel per scenario (needs matplotlib)."""
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]  # optional: bench extra

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]
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
