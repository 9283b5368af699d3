# The storage interface: a region of bytes, one small implementation per kind of memory.
# BufferCore decides what may move; a storage only says what it can do.

PAGESIZE = sysconf(_SC_PAGESIZE)
HAVE_MREMAP = bool(REMAP_HAVE_MREMAP)
cdef Py_ssize_t PAGE = PAGESIZE
# Large regions get 2 MiB units, so the kernel aligns them and moves them at PMD level.
cdef Py_ssize_t HUGE = 2 << 20
# What an empty region's base is: never NULL, and nothing can be read through it.
cdef char EMPTY[1]


@cython.freelist(32)  # reused by HeapStorage, which adds no fields: a small Buffer's region is cheap
@cython.internal
cdef class Storage:
    """A region of bytes: where it is, how big, how it grows, gives pages back and is freed."""

    cdef char *base            # the first byte; never NULL
    cdef Py_ssize_t size       # bytes usable from base
    cdef Py_ssize_t dirty      # bytes [dirty, size) are known to be zero
    cdef Py_ssize_t release_at # consumed bytes from base before give_back can free any
    cdef bint mapped           # a mapping of its own (not heap memory)
    cdef bint visible          # others see the bytes (a file, peers): base stays put, length is published
    cdef bint peers            # other processes change the length and the size: sync before access
    cdef bint readonly         # the bytes cannot be written
    cdef bint secret           # zero every byte let go of; show none of them in repr
    cdef uint64_t serial       # this region's number: none other in the process has it
    cdef int busy              # GIL-free sections at work on the bytes now (_unlocked.pxi)
    cdef unsigned int busy_epoch  # the fork epoch they were marked in (older: left by a fork)

    def __cinit__(self):
        self.serial = new_serial()

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        """The size this kind gives a region asked to hold n bytes."""
        return n

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        """Resize to size bytes without moving base; False if this kind cannot."""
        return size == self.size

    cdef int resize_moving(self, Py_ssize_t size) except -1:
        """Resize to size bytes, keeping the bytes; base may change."""
        raise MemoryError(f"a {self.kind()} region cannot move to grow to {size} bytes")

    cdef Storage successor(self, Py_ssize_t size, bint hugepages):
        """A new region of the kind that suits size bytes better than this one, or None."""
        return None

    cdef Py_ssize_t give_back(self, Py_ssize_t consumed) noexcept:
        """Free whole units of the first consumed bytes; return how far base moved forward."""
        return 0

    cdef void release(self) noexcept:
        """Free the region (or hand it to the mapping cache); idempotent. Every kind's one way."""

    def __dealloc__(self):
        self.release()  # a region no Buffer released: the kind frees it its one way

    cdef Py_ssize_t room_ahead(self, Py_ssize_t needed, Py_ssize_t wanted) noexcept:
        """How much of the wanted capacity (>= needed) to take when needed bytes must fit."""
        return wanted

    cdef int write(self, Py_ssize_t offset, const char *src, Py_ssize_t n,
                   Storage source) except -1:
        """Copy n bytes from src (source's) to offset bytes from base (a file may write them itself)."""
        copy_bytes(self, self.base + offset, source, src, n)
        return 0

    cdef void publish(self, Py_ssize_t length) noexcept:
        """Tell the backing the buffer's length is now length (visible kinds)."""

    cdef Storage sibling(self):
        """An empty region as protected as this one, for a buffer derived from it; None: any."""
        return None

    cdef dict protection(self):
        """What protects the bytes (secret kinds), or None."""
        return None

    cdef Py_ssize_t peer_length(self) except -1:
        """The length other processes last published, checked against the backing (peers kinds)."""
        return 0

    cdef str kind(self):
        return "empty"


@cython.final
@cython.internal
cdef class EmptyStorage(Storage):
    """No bytes at all: what a new, emptied or closed Buffer holds (one shared instance)."""

    cdef Storage successor(self, Py_ssize_t size, bint hugepages):
        return anonymous_storage(size, hugepages) if size else None


cdef uint64_t LAST_SERIAL = 0


cdef inline uint64_t new_serial() noexcept:
    """A number no region of this process had before (what BufferCore tells regions apart by)."""
    global LAST_SERIAL
    LAST_SERIAL += 1
    return LAST_SERIAL


cdef EmptyStorage NO_STORAGE = EmptyStorage.__new__(EmptyStorage)
NO_STORAGE.base, NO_STORAGE.release_at = EMPTY, PY_SSIZE_T_MAX


cdef int check_memory(Py_ssize_t needed) except -1:
    """MemoryError, before anything is allocated, if needed bytes are more than the memory and
    swap free here (or the room left in this process's memory cgroup): for memory that is
    allocated at once (shared memory, secrets), such a size could only end in the OOM killer.
    Read in C: no Python code runs inside the growths that ask."""
    cdef long long free = remap_memory_available()
    if free < 0:
        raise_errno(errno, "reading /proc/meminfo failed")
    if needed > free:
        raise MemoryError(f"{needed} bytes are more than the {free} bytes of memory free here")
    return 0


cdef Storage anonymous_storage(Py_ssize_t size, bint hugepages):
    """New private memory for size bytes: none, heap below MAP_MIN, else a mapping."""
    if size == 0:
        return NO_STORAGE
    if size < MAP_MIN:
        return HeapStorage.allocate(size)
    return MappedStorage.allocate(size, hugepages)

