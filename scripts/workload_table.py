"""The README's "Every Python" table from workload runs of `python -m remap bench --json`.

    python scripts/workload_table.py 3.11=w311.json 3.15=w315.json

Each cell is remap's time over the peer's (BytesIO for BufferIO rows, else bytearray): steady
state and, for the workloads that run one, a fresh process; misses of the row's target in bold.
"""

import json
import sys

FRESH = " (fresh process)"
FRESH_KINDS = {"receive", "churn", "readinto", "asyncio"}


def size_name(n):
    """64 KiB, 1 MiB, 0.8 MB, 100 B."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} B"


def ratio(records, kind, scenario, size, peer, base):
    """peer's median over base's in one run, or None if the run lacks either."""
    medians = {r["peer"]: r["median_s"] for r in records
               if (r["kind"], r["scenario"], r["size"]) == (kind, scenario, size)}
    return medians[peer] / medians[base] if peer in medians and base in medians else None


def cell(value, goal):
    """The ratio as the table prints it: bold when, rounded as printed, it misses goal."""
    if value is None:
        return ""
    return f"**{value:.2f}x**" if round(value, 2) > goal else f"{value:.2f}x"


def table(runs):
    """Markdown rows for runs, {label: records}, in the first run's order."""
    labels = list(runs)
    header = ["workload", "size", "ratio"]
    for label in labels:
        header += [f"{label} steady", f"{label} fresh"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for r in runs[labels[0]]:
        if not r["peer"].startswith("remap") or r["scenario"].endswith(FRESH):
            continue
        kind, scenario, size, peer = r["kind"], r["scenario"], r["size"], r["peer"]
        base = "BytesIO" if kind == "bufferio" else "bytearray"
        goal = 0.5 if (kind, size, peer) == ("receive", 16 << 20, "remap") else 1.0
        name = "take_bytes" if peer == "remap take_bytes" else {
            "bufferio": "BufferIO", "create": "Buffer(n)"}.get(kind, "Buffer")
        cells = []
        for label in labels:
            records = runs[label]
            cells.append(cell(ratio(records, kind, scenario, size, peer, base), goal))
            cells.append(cell(ratio(records, kind, scenario + FRESH, size, peer, base), goal)
                         if kind in FRESH_KINDS else "")
        lines.append(f"| {scenario} | {size_name(size)} | {name} / {base} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(arguments):
    """Print the table for LABEL=FILE arguments."""
    runs = {}
    for argument in arguments:
        label, _, path = argument.partition("=")
        with open(path, encoding="utf-8") as file:
            runs[label] = json.load(file)["records"]
    print(table(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
