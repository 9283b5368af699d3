"""What fresh memory costs on this machine, in huge pages and in 4 KiB pages, and what that does
to a Buffer that grows into it.

    python scripts/host_huge_pages.py

First 256 MiB of anonymous memory touched, then freed, four rounds, with no pause between rounds
and with 3 s between them; then 256 MiB received in 1 MiB steps (grow, then write the new room,
as a `readinto` loop does) into a Buffer with and without huge pages and into a bytearray, 3 s
apart. On a VM whose guest reports free memory to its host (virtio-balloon free page reporting),
free 2 MiB blocks are discarded by the host a few seconds after they are freed, so a fresh huge
page faults on the host too; 4 KiB pages come from smaller free blocks, which are not reported.
On bare metal the pause changes nothing.
"""

import mmap
import statistics
import time

import remap

SIZE = 256 << 20
STEP = 1 << 20
ROUNDS = 4
PAUSE = 3


def touch(huge):
    """Seconds to touch every page of a fresh SIZE-byte anonymous mapping."""
    memory = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    memory.madvise(mmap.MADV_HUGEPAGE if huge else mmap.MADV_NOHUGEPAGE)
    start = time.perf_counter()
    for offset in range(0, SIZE, mmap.PAGESIZE):
        memory[offset] = 1
    seconds = time.perf_counter() - start
    memory.close()
    return seconds


def receive(buffer, grow):
    """Seconds to grow buffer to SIZE in STEP steps, writing each new STEP as it comes."""
    chunk = b"x" * STEP
    start = time.perf_counter()
    for end in range(STEP, SIZE + 1, STEP):
        grow(buffer, end)
        with memoryview(buffer) as view:
            view[end - STEP:end] = chunk
    return time.perf_counter() - start


def grow_bytearray(buffer, end):
    """bytearray's growth as the bench's peer does it before 3.14."""
    buffer += bytes(end - len(buffer))


def receivers():
    """(label, a fresh buffer, its growth) for each peer."""
    return [("Buffer, huge pages", lambda: remap.Buffer(), remap.Buffer.resize),
            ("Buffer(hugepages=False)", lambda: remap.Buffer(hugepages=False), remap.Buffer.resize),
            ("bytearray", bytearray, grow_bytearray)]


def main():
    """Print each round's time."""
    for pause in (0, PAUSE):
        for huge in (True, False):
            times = []
            for _ in range(ROUNDS):
                time.sleep(pause)
                times.append(touch(huge))
            pages = "huge pages" if huge else "4 KiB pages"
            print(f"touch, {pause} s between rounds, {pages}: "
                  + ", ".join(f"{t * 1e3:.0f} ms" for t in times))
    results = {label: [] for label, _, _ in receivers()}
    for _ in range(ROUNDS):
        for label, make, grow in receivers():
            time.sleep(PAUSE)
            results[label].append(receive(make(), grow))
    for label, times in results.items():
        print(f"receive 256 MiB in 1 MiB steps, {PAUSE} s between rounds, {label}: median "
              f"{statistics.median(times) * 1e3:.0f} ms ("
              + ", ".join(f"{t * 1e3:.0f}" for t in times) + ")")


if __name__ == "__main__":
    main()
