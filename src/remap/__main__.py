"""python -m remap [bench|demo]: compare remap with its peers, or watch a Buffer grow to 1 GiB."""

import argparse
import sys
import time

from remap import Buffer
from remap._bench import bench, touch_pages

MiB = 1 << 20


def timed(action):
    """Seconds that action() took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def demo(limit=1 << 30):
    """Double a Buffer and a bytearray from 1 MiB to limit, printing each growth's time."""
    buf, array = Buffer(), bytearray()
    zeros = bytes(limit)
    print(f"{'size':>10} {'Buffer.resize':>14} {'moved':>6} {'bytearray grow':>15} {'ratio':>8}")
    size = MiB
    while size <= limit:
        old_size, address = len(buf), buf.address
        remap_seconds = timed(lambda: buf.resize(size))
        moved = "yes" if address and buf.address != address else "no"
        array_seconds = timed(lambda: array.extend(zeros[: size - len(array)]))
        touch_pages(buf, old_size, size)
        print(f"{size // MiB:>7} MiB {remap_seconds * 1e3:>11.3f} ms {moved:>6} "
              f"{array_seconds * 1e3:>12.3f} ms {array_seconds / remap_seconds:>7.0f}x")
        size *= 2
    print("Buffer.resize moves page tables with mremap; bytearray copies and zero-fills.")


def main(argv):
    """Run bench (the default) or demo."""
    parser = argparse.ArgumentParser(prog="python -m remap", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    bench_command = commands.add_parser("bench", help="compare remap with bytearray, BytesIO, mmap, "
                                                      "numpy, array and the raw kernel (~1 minute)")
    bench_command.add_argument("--full", action="store_true", help="every size, 5 repeats (slow)")
    bench_command.add_argument("--repeats", type=int, help="interleaved rounds per case")
    bench_command.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    bench_command.add_argument("--plot", metavar="FILE.png", help="draw time against size (matplotlib)")
    bench_command.add_argument("--only", metavar="KIND,...", type=lambda text: set(text.split(",")),
                               help="run only these kinds of case (fill, resize, create, slice, receive, "
                                    "churn, readinto, asyncio, shared, file, ring, threads, "
                                    "...)")
    commands.add_parser("demo", help="grow a Buffer to 1 GiB next to a bytearray")
    args = parser.parse_args(argv or ["bench"])
    if args.command == "demo":
        demo()
    else:
        bench(args.full, args.repeats, args.json, args.plot, args.only)


if __name__ == "__main__":
    main(sys.argv[1:])
