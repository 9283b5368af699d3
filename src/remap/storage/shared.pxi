# Shared memory that grows: a sealed memfd (or a named POSIX shared-memory object) whose first
# page is a header where every process that maps it finds the length and the size.


cdef struct Header:  # the first page's start; every field is read and written atomically
    long long magic, version, length, size, generation, dirty, max_size

cdef long long HEADER_MAGIC = 0x3142537061706572  # b"remapSB1", little-endian
cdef long long HEADER_VERSION = 1


cdef int open_memfd() except -1:
    """A new memfd, sealed so that no process can ever shrink it."""
    cdef int fd = remap_memfd(b"remap.SharedBuffer", F_SEAL_SHRINK | F_SEAL_SEAL)
    if fd < 0:
        raise_errno(errno, "memfd_create failed")
    return fd


cdef int check_unshrinkable(int fd) except -1:
    """ValueError unless fd is a memfd sealed against shrinking (then no peer can cause SIGBUS)."""
    if not remap_seals(fd) & F_SEAL_SHRINK:
        raise ValueError("refusing to attach: the descriptor is not a memfd sealed with "
                         "F_SEAL_SHRINK, so another process could shrink it under us (SIGBUS)")
    return 0


cdef Py_ssize_t read_header(int fd, Header *header) except -1:
    """Read the header without mapping anything; return the file's size. ValueError if it is
    not one."""
    cdef Py_ssize_t size = file_size(fd)
    if size < PAGE or remap_read_exactly(fd, header, sizeof(Header), 0) != 0:
        raise ValueError(f"not a remap.SharedBuffer: {size} bytes, no header page")
    if header.magic != HEADER_MAGIC or header.version != HEADER_VERSION:
        raise ValueError("not a remap.SharedBuffer (or another version): bad header magic")
    return size


@cython.final
@cython.internal
cdef class SharedStorage(FileBackedStorage):
    """Shared memory after a header page; its size only grows, and peers publish every change."""

    cdef Py_ssize_t known_size  # the largest size this process has seen in the header
    cdef readonly str name      # the POSIX shared-memory name, or None for a memfd

    @staticmethod
    cdef SharedStorage create(Py_ssize_t size, str name, Py_ssize_t max_size):
        """New shared memory for size bytes (in max_size bytes of address space if nonzero)."""
        cdef SharedStorage storage = SharedStorage.__new__(SharedStorage)
        cdef int fd = open_memfd() if name is None else _posixshmem.shm_open(
            name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        storage.fd, storage.name, storage.guarded = fd, name, name is not None
        try:
            allocate_file(storage, fd, 0, PAGE + size)
            storage.map_file(fd, PAGE, size, max_size, True)
        except BaseException:  # nothing of it may outlive the failure, its name least of all
            if name is not None:
                _posixshmem.shm_unlink(name)
            storage.release()
            raise
        cdef Header *header = storage.header()
        header.max_size, header.size, header.version = max_size, size, HEADER_VERSION
        header.generation = 1
        remap_store(&header.magic, HEADER_MAGIC)
        storage.known_size, storage.dirty, storage.peers = size, 0, True
        return storage

    @staticmethod
    cdef SharedStorage attach(int fd, str name):
        """Map shared memory another process made, from its (owned) descriptor."""
        cdef SharedStorage storage = SharedStorage.__new__(SharedStorage)
        storage.fd, storage.name, storage.guarded = fd, name, name is not None
        cdef Header header
        if name is None:
            check_unshrinkable(fd)
        cdef Py_ssize_t total = read_header(fd, &header)
        if not 0 <= header.length <= header.size <= total - PAGE or (
                header.max_size and not header.size <= header.max_size):
            raise ValueError(f"corrupt header: length {header.length}, size {header.size}, "
                             f"max_size {header.max_size}, for a file of {total} bytes")
        storage.map_file(fd, PAGE, header.size, header.max_size, True)
        storage.known_size = header.size
        storage.dirty = min(max(header.dirty, header.length), header.size)
        storage.peers = True
        return storage

    cdef inline Header *header(self) noexcept:
        """The header: the mapping's first page (it moves with the mapping)."""
        return <Header *>self.mapping

    cdef Py_ssize_t peer_length(self) except -1:
        """The length peers published; first, if one grew the memory, how far it may be mapped."""
        cdef long long length = remap_load(&self.header().length)
        cdef long long size = remap_load(&self.header().size)
        if self.cut_short():
            raise ValueError(f"another process cut the shared memory {self.name!r} short: its "
                             f"bytes past the cut read as zeros here; close it")
        if size != self.known_size:
            self.check_size(size)
        if not 0 <= length <= size:
            raise ValueError(f"corrupt shared header: length {length} outside the size {size} "
                             f"(another process wrote garbage into it)")
        self.dirty = max(self.dirty, min(remap_load(&self.header().dirty), size))
        return length

    cdef int check_size(self, long long size) except -1:
        """Accept a size a peer published if the memory really is that large (it cannot shrink)."""
        cdef Py_ssize_t total = file_size(self.fd)
        if not self.known_size < size <= total - PAGE or (
                self.reserved and PAGE + size > self.reserved):
            raise ValueError(f"corrupt shared header: size {size} (known {self.known_size}, file "
                             f"{total} bytes; another process wrote garbage into it)")
        self.known_size = size
        self.allocated = max(self.allocated, PAGE + size)  # a peer allocated it before publishing
        return 0

    cdef int grown(self, Py_ssize_t size) except -1:
        FileBackedStorage.grown(self, size)
        if size > self.known_size:
            self.known_size = size
            remap_store_max(&self.header().size, size)
            remap_add(&self.header().generation, 1)
        return 0

    cdef void publish(self, Py_ssize_t length) noexcept:
        remap_store_max(&self.header().dirty, length)
        remap_store(&self.header().length, length)

    cdef str kind(self):
        return "shared memfd" if self.name is None else f"shared {self.name!r}"
