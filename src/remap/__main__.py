"""python -m remap: grow a Buffer to 1 GiB next to a bytearray and print what each step cost."""

import sys
import time

from remap import PAGESIZE, Buffer

MiB = 1 << 20


def touch(buffer, start, end):
    """Write one byte in every page of buffer[start:end], so later moves carry real pages."""
    with memoryview(buffer) as view:
        view[start:end:PAGESIZE] = b"\1" * len(range(start, end, PAGESIZE))


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
        touch(buf, old_size, size)
        print(f"{size // MiB:>7} MiB {remap_seconds * 1e3:>11.3f} ms {moved:>6} "
              f"{array_seconds * 1e3:>12.3f} ms {array_seconds / remap_seconds:>7.0f}x")
        size *= 2
    print("Buffer.resize moves page tables with mremap; bytearray copies and zero-fills.")


def main(argv):
    """Run the command named in argv (default: demo)."""
    command = argv[0] if argv else "demo"
    if command != "demo":
        sys.exit(f"usage: python -m remap [demo]  (unknown command {command!r})")
    demo()


if __name__ == "__main__":
    main(sys.argv[1:])
