"""What fresh memory costs on this machine: 256 MiB touched, then freed, four times, in huge
pages and in 4 KiB pages, with no pause between rounds and with 3 s between them.

    python scripts/host_huge_pages.py

On a VM whose guest reports free memory to its host (virtio-balloon free page reporting), free
2 MiB blocks are reported and discarded a few seconds after they are freed, so a fresh huge page
faults on the host too; 4 KiB pages come from smaller free blocks, which are not reported. On
bare metal both columns stay flat.
"""

import mmap
import time

SIZE = 256 << 20
ROUNDS = 4


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


def main():
    """Print each round's time for each page size and pause."""
    for pause in (0, 3):
        for huge in (True, False):
            times = []
            for _ in range(ROUNDS):
                time.sleep(pause)
                times.append(touch(huge))
            pages = "huge pages" if huge else "4 KiB pages"
            print(f"{pause} s between rounds, {pages}: "
                  + ", ".join(f"{t * 1e3:.0f} ms" for t in times))


if __name__ == "__main__":
    main()
