# Mirror storage: a memfd's pages mapped twice, back to back, inside one address-space
# reservation, so any size bytes from any offset are one contiguous range: a ring whose wrap
# is invisible. A shared ring has a header page (head and tail) before the pages.


cdef struct RingHeader:  # a shared ring's first page; every field is read and written atomically
    long long magic, version, size, head, tail

cdef long long RING_MAGIC = 0x31474e4970616d65  # b"emapRNG1", little-endian


@cython.final
@cython.internal
cdef class MirrorStorage(Storage):
    """size bytes of a memfd mapped at base and again at base + size (after a header page if shared).

    A Storage for its base and size (the ring's first byte, its pages following again at
    base + size; 0 bytes once released), its busy marks and its one way of freeing (release),
    but never a Buffer's: a ring grows by remapping and reordering its pages (grow).
    """

    cdef int fd
    cdef char *reservation       # the header page (shared) or the first mapping
    cdef Py_ssize_t origin       # file bytes before the ring's pages: PAGE if shared, else 0
    cdef RingHeader *header      # head and tail shared with another process, or NULL

    def __cinit__(self):
        self.fd = -1

    @staticmethod
    cdef MirrorStorage create(Py_ssize_t size, bint shared):
        cdef MirrorStorage storage = MirrorStorage.__new__(MirrorStorage)
        storage.fd = remap_memfd(b"remap.Ring", 0)
        if storage.fd < 0:
            raise_errno(errno, "memfd_create failed")
        storage.origin = PAGE if shared else 0
        allocate_file(storage, storage.fd, 0, storage.origin + size)
        # A shared ring's size is fixed for good: no peer can shrink or grow it under the other.
        # A private one only grows: nobody holding its descriptor can cut it short (SIGBUS).
        if fcntl(storage.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL | (
                F_SEAL_GROW if shared else 0)) != 0:
            raise_errno(errno, "sealing a ring's memfd failed")
        storage.map_twice(size)
        if shared:
            storage.header.size, storage.header.version = size, 1
            remap_store(&storage.header.magic, RING_MAGIC)
        return storage

    @staticmethod
    cdef MirrorStorage attach(int fd):
        """Map a shared ring another process made, from its (owned) descriptor."""
        cdef MirrorStorage storage = MirrorStorage.__new__(MirrorStorage)
        cdef RingHeader header
        storage.fd, storage.origin = fd, PAGE
        if remap_seals(fd) & (F_SEAL_SHRINK | F_SEAL_GROW) != F_SEAL_SHRINK | F_SEAL_GROW:
            raise ValueError("refusing to attach: not a shared remap.Ring sealed against resizing")
        cdef Py_ssize_t total = file_size(fd)
        if remap_read_exactly(fd, &header, sizeof(RingHeader), 0) != 0:
            raise ValueError(f"not a shared remap.Ring: {total} bytes, no header page")
        if header.magic != RING_MAGIC or header.version != 1:
            raise ValueError("not a shared remap.Ring (bad header magic)")
        if not 0 < header.size == total - PAGE or header.size % PAGE:
            raise ValueError(f"corrupt ring header: size {header.size} for a file of {total} bytes")
        storage.map_twice(header.size)
        return storage

    cdef int map_twice(self, Py_ssize_t size) except -1:
        """Reserve the address space, then map the pages twice into it (never a gap to lose)."""
        cdef char *reservation = map_anonymous(self.origin + 2 * size, PROT_NONE)
        cdef char *base = reservation + self.origin
        try:
            self.map_at(base, size, self.origin)
            self.map_at(base + size, size, self.origin)
            if self.origin:
                self.map_at(reservation, PAGE, 0)
        except BaseException:
            munmap(reservation, self.origin + 2 * size)
            raise
        self.reservation, self.base, self.size = reservation, base, size
        self.header = <RingHeader *>reservation if self.origin else NULL
        return 0

    cdef int map_at(self, char *start, Py_ssize_t length, Py_ssize_t offset) except -1:
        if mmap(start, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, self.fd,
                offset) == MAP_FAILED:
            raise_errno(errno, f"mapping {length} bytes of a ring failed")
        return 0

    cdef int grow(self, Py_ssize_t size, Py_ssize_t start, Py_ssize_t length) except -1:
        """Grow the ring to size bytes, keeping the length bytes from offset start in order.

        The pages stay where they are in the memfd; only a wrapped part is copied, once, to
        follow the rest. The new mapping is made before the old one goes.
        """
        cdef char *old = self.reservation
        cdef Py_ssize_t old_size = self.size
        cdef Py_ssize_t wrapped = max(start + length - old_size, 0)
        allocate_file(self, self.fd, self.origin + old_size, self.origin + size)
        self.map_twice(size)
        if wrapped:
            copy_bytes(self, self.base + old_size, None, self.base, wrapped)
        munmap(old, self.origin + 2 * old_size)
        return 0

    cdef void release(self) noexcept:
        if self.reservation != NULL:
            munmap(self.reservation, self.origin + 2 * self.size)
        if self.fd >= 0:
            close(self.fd)
        self.reservation, self.header, self.base, self.size, self.fd = NULL, NULL, EMPTY, 0, -1

