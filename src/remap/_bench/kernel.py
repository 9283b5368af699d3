"""The raw kernel through ctypes, the ceiling every peer is measured against, and the machine's state."""

import ctypes
import glob
import mmap
import os
import platform

from remap._core import PAGESIZE

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = LIBC.mremap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
LIBC.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
LIBC.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MREMAP_MAYMOVE, MADV_HUGEPAGE = 1, 14


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


def warm_memory(size=3 * GiB):
    """Touch size bytes of huge-page memory once and free it: this VM's host backs memory lazily."""
    region = RawMapping(size)
    region.fill()
    region.close()


def environment():
    """What decides the result on this machine."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as thp:
            mode = thp.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        mode = "unknown"
    return {"kernel": platform.release(), "transparent_hugepage": mode, "pagesize": PAGESIZE,
            "glibc": "-".join(platform.libc_ver()), "python": platform.python_version(),
            "cpus": os.cpu_count(), "free_page_reporting": free_page_reporting(),
            "malloc": "glibc's defaults, as users have them (dynamic mmap threshold)"}


BALLOON_FEATURES = "/sys/bus/virtio/drivers/virtio_balloon/virtio*/features"
REPORTING_BIT = 5  # VIRTIO_BALLOON_F_REPORTING
REPORTING_ORDER = "/sys/module/page_reporting/parameters/page_reporting_order"


def free_page_reporting():
    """Whether a virtio balloon reports free memory to the host, which discards it (then a
    fresh huge page faults on the host too): "on (blocks of 2 MiB and up)" or "off"."""
    for path in glob.glob(BALLOON_FEATURES):
        try:
            with open(path, encoding="ascii") as features, \
                    open(REPORTING_ORDER, encoding="ascii") as order:
                if features.read()[REPORTING_BIT:REPORTING_BIT + 1] == "1":
                    block = PAGESIZE << int(order.read())
                    size = f"{block >> 20} MiB" if block >= 1 << 20 else f"{block >> 10} KiB"
                    return f"on (blocks of {size} and up)"
        except (OSError, ValueError):
            continue
    return "off"


def huge_page_faults():
    """(huge pages faulted in, faults that fell back to 4 KiB pages) so far, from /proc/vmstat."""
    try:
        with open("/proc/vmstat") as vmstat:
            counts = dict(line.split() for line in vmstat)
        return int(counts["thp_fault_alloc"]), int(counts["thp_fault_fallback"])
    except (OSError, KeyError, ValueError):
        return 0, 0
