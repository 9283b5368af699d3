# Storage backed by a file descriptor (a memfd, a shared-memory object, a file): a shared
# mapping that grows with its file. The file is extended (its pages or disk blocks allocated)
# before any new byte becomes reachable, so a full disk or /dev/shm is an exception from the call
# that grows, never a SIGBUS on a later write.

# Appends this large go in with pwrite: no page fault per 4 KiB.
cdef Py_ssize_t WRITE_MIN = 16 << 10
# Growth allocates at most this much room ahead of what is asked for (it is real memory or disk).
cdef Py_ssize_t VISIBLE_SPARE = 64 << 20


cdef int allocate_file(Storage owner, int fd, Py_ssize_t start, Py_ssize_t end) except -1:
    """Allocate the file's bytes [start, end), growing it to end; OSError(ENOSPC) if it cannot.
    Large allocations run without the GIL (zeroing the pages takes ~80 ms a GiB), owner busy."""
    cdef int err
    if end <= start:
        return 0
    check_room(fd, end - start)
    if end - start < GIL_FREE_MIN:
        err = remap_allocate_file(fd, start, end)
    else:
        mark_busy(owner, None)
        with nogil:
            err = remap_allocate_file(fd, start, end)
        mark_idle(owner, None)
    if err:
        raise_errno(err, f"allocating {end - start} bytes of a file failed")
    return 0


cdef int check_room(int fd, Py_ssize_t needed) except -1:
    """Fail at once, before a byte is allocated, if needed more bytes cannot back fd's file: a
    full file system is OSError(ENOSPC); memory (a memfd) is MemoryError past what is free."""
    cdef long long free = remap_file_room(fd)
    if free == REMAP_UNSIZED:
        return check_memory(needed)
    if free < 0:
        raise_errno(errno, "fstatvfs failed")
    if needed > free:
        raise OSError(ENOSPC, f"{needed} bytes do not fit in the {free} bytes free on the "
                              f"file's file system")
    return 0


cdef Py_ssize_t file_size(int fd) except -1:
    """fd's file size (fstat)."""
    cdef long long size = remap_file_size(fd)
    if size < 0:
        raise_errno(errno, "fstat failed")
    return size


cdef int descriptor_flags(int fd) except -1:
    """fd's status flags (O_APPEND, the access mode: fcntl F_GETFL)."""
    cdef int flags = fcntl(fd, F_GETFL)
    if flags < 0:
        raise_errno(errno, f"fcntl(F_GETFL) of descriptor {fd} failed")
    return flags


cdef int duplicate_fd(object fd) except -1:
    """A close-on-exec duplicate of fd (a descriptor, or an object with fileno()) for us to own."""
    cdef int source = PyObject_AsFileDescriptor(fd)
    cdef int duplicate = fcntl(source, F_DUPFD_CLOEXEC, 0)
    if duplicate < 0:
        raise_errno(errno, f"duplicating descriptor {source} failed")
    return duplicate


def _rebuild_from_descriptor(cls, duplicate):
    """Unpickle a SharedBuffer or a shared Ring: adopt the descriptor multiprocessing passed."""
    return cls._adopt_descriptor(duplicate.detach())


cdef tuple reduce_by_descriptor(object shared, int fd):
    """__reduce_ex__ for memory shared by descriptor, while multiprocessing spawns a process: the
    descriptor travels with it. Anywhere else, as multiprocessing's locks do, RuntimeError: a
    descriptor pickled for no process would stay open, holding the memory, for good."""
    from multiprocessing.context import get_spawning_popen
    from multiprocessing.reduction import DupFd
    if get_spawning_popen() is None:
        raise RuntimeError(f"a {type(shared).__name__} on a memfd pickles only to start a "
                           f"multiprocessing process (as its argument or initializer); share it "
                           f"by inheritance, by fileno() and attach(fd), or give it a name")
    return _rebuild_from_descriptor, (type(shared), DupFd(fd))


@cython.internal
cdef class FileBackedStorage(Storage):
    """A shared mapping of a file from its first byte; the buffer's bytes start origin bytes in.

    With a reservation, the file is mapped over the start of reserved address space as it grows,
    so it never moves; without one, mremap grows it in place or moves it.
    """

    cdef int fd                # owned; -1 once released
    cdef char *mapping         # the file's first byte in memory
    cdef Py_ssize_t origin     # file bytes before base (a header page, or none)
    cdef Py_ssize_t span       # bytes mapped at mapping (whole pages)
    cdef Py_ssize_t reserved   # address space reserved at mapping, or 0
    cdef Py_ssize_t allocated  # file bytes known to be allocated (written, or fallocated here)
    cdef int prot
    cdef remap_guard_slot *guard  # the SIGBUS guard's slot for the mapping, or NULL
    cdef bint guarded          # another process can cut the file short: guard the mapping
    cdef bint appending        # the descriptor has O_APPEND, so pwrite would ignore offsets

    def __cinit__(self):
        self.fd, self.guard = -1, NULL

    cdef int map_file(self, int fd, Py_ssize_t origin, Py_ssize_t size, Py_ssize_t reserve,
                      bint writable) except -1:
        """Map the file's first origin + size bytes, inside reserve bytes of address space if set."""
        cdef Py_ssize_t total = round_up(max(origin + size, 1), PAGE)  # an empty file: one page
        self.fd, self.origin, self.span, self.allocated = fd, origin, 0, origin + size
        self.prot = PROT_READ | PROT_WRITE if writable else PROT_READ
        self.appending = descriptor_flags(fd) & O_APPEND != 0
        self.readonly, self.mapped, self.visible = not writable, True, True
        self.dirty, self.release_at = PY_SSIZE_T_MAX, PY_SSIZE_T_MAX  # kinds set dirty themselves
        if reserve:
            if self.mapping == NULL:
                self.reserve_space(origin, reserve)
            self.map_tail(total)
        else:
            self.mapping = <char *>mmap(NULL, total, self.prot, MAP_SHARED, fd, 0)
            if self.mapping == <char *>MAP_FAILED:
                self.mapping = NULL
                raise_errno(errno, f"mmap of {total} bytes of a file failed")
            self.span = total
        self.base, self.size = self.mapping + origin, size
        self.reguard()
        return 0

    cdef int reserve_space(self, Py_ssize_t origin, Py_ssize_t reserve) except -1:
        """Reserve the address space for origin + reserve bytes (map_file maps the file into it)."""
        self.reserved = round_up(origin + reserve, PAGE)
        self.mapping = map_anonymous(self.reserved, PROT_NONE)
        return 0

    cdef int reguard(self) except -1:
        """Point the SIGBUS guard at the mapping as it is now (if it needs one)."""
        if self.guarded and self.guard == NULL:
            self.guard = remap_guard_add(self.mapping, self.mapping + self.span, self.fd)
            if self.guard == NULL:
                raise MemoryError("no memory for the SIGBUS guard's table")
        elif self.guarded:
            remap_guard_set(self.guard, self.mapping, self.mapping + self.span)
        return 0

    cdef bint cut_short(self) noexcept:
        """True once another process cut the file under the mapping (its tail now reads zeros)."""
        return remap_guard_hit(self.guard)

    cdef int map_tail(self, Py_ssize_t total) except -1:
        """Map the file up to total bytes over the reservation, after what is mapped already."""
        cdef void *tail = mmap(self.mapping + self.span, total - self.span, self.prot,
                               MAP_SHARED | MAP_FIXED, self.fd, self.span)
        if tail == MAP_FAILED:
            raise_errno(errno, f"mmap of {total - self.span} more bytes of a file failed")
        self.span = total
        return 0

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        return round_up(self.origin + n, PAGE) - self.origin

    cdef bint resize_in_place(self, Py_ssize_t size) except -1:
        """Grow the file and map it without moving; shrinking keeps it (the file never shrinks here)."""
        cdef Py_ssize_t total = round_up(self.origin + size, PAGE)
        cdef void *grown
        if size <= self.size:
            return True
        if self.reserved and total > self.reserved:
            return False
        self.allocate(size)
        if total > self.span and self.reserved:
            self.map_tail(total)
        elif total > self.span:
            grown = remap_grow_shared(self.mapping, self.span, total, REMAP_IN_PLACE, self.fd,
                                      self.prot)
            if grown == MAP_FAILED:
                return False
            self.span = total
        self.grown(size)
        return True

    cdef int resize_moving(self, Py_ssize_t size) except -1:
        """Grow the file and map it wherever the kernel likes."""
        cdef Py_ssize_t total = round_up(self.origin + size, PAGE)
        if self.reserved:
            raise MemoryError(f"{size} bytes do not fit in this buffer's max_size")
        self.allocate(size)
        remap_guard_remove(self.guard)  # the range may move: never guard what is no longer ours
        self.guard = NULL
        cdef char *moved = <char *>remap_grow_shared(self.mapping, self.span, total,
                                                     REMAP_MAY_MOVE, self.fd, self.prot)
        if moved == <char *>MAP_FAILED:
            err = errno
            self.reguard()
            raise_errno(err, f"mremap of a file mapping to {total} bytes failed")
        self.mapping, self.span, self.base = moved, total, moved + self.origin
        self.grown(size)
        return 0

    cdef int allocate(self, Py_ssize_t size) except -1:
        """Allocate the file up to size bytes after the origin (only what is not known to be)."""
        allocate_file(self, self.fd, self.allocated, self.origin + size)
        self.allocated = max(self.allocated, self.origin + size)
        return 0

    cdef Py_ssize_t room_ahead(self, Py_ssize_t needed, Py_ssize_t wanted) noexcept:
        """Room here is allocated memory or disk: at most VISIBLE_SPARE bytes ahead."""
        return min(wanted, needed + VISIBLE_SPARE)

    cdef int write(self, Py_ssize_t offset, const char *src, Py_ssize_t n,
                   Storage source) except -1:
        """Large writes go in with pwrite: the page cache takes them without faulting our mapping
        (not with O_APPEND, where pwrite would append wherever the file ends)."""
        cdef int err
        if n < WRITE_MIN or self.appending:
            copy_bytes(self, self.base + offset, source, src, n)
            return 0
        if n < GIL_FREE_MIN:
            err = remap_write_all(self.fd, src, n, self.origin + offset)
        else:
            mark_busy(self, source)
            with nogil:
                err = remap_write_all(self.fd, src, n, self.origin + offset)
            mark_idle(self, source)
        if err:
            raise_errno(err, f"pwrite of {n} bytes failed")
        return 0

    cdef int grown(self, Py_ssize_t size) except -1:
        """The file now holds size bytes after the origin; the guard covers all of it."""
        self.size = size
        return self.reguard()

    cdef void release(self) noexcept:
        """Unmap and close the file; idempotent."""
        remap_guard_remove(self.guard)
        self.guard = NULL
        if self.mapping != NULL:
            unmap(self, self.mapping, self.reserved or self.span)
        if self.fd >= 0:
            close(self.fd)
        self.mapping, self.fd, self.base, self.size, self.span = NULL, -1, EMPTY, 0, 0
