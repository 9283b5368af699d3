# File storage: a file mapped shared from its first byte, grown through its mapping.


cdef int open_for_mapping(object file, str mode, bint *writable) except -1:
    """An owned descriptor for file (a path, a file object or a descriptor), opened for mode."""
    if isinstance(file, (str, bytes, os.PathLike)):
        flags = {"r": os.O_RDONLY, "r+": os.O_RDWR, "w+": os.O_RDWR | os.O_CREAT | os.O_TRUNC,
                 "x+": os.O_RDWR | os.O_CREAT | os.O_EXCL}.get(mode)
        if flags is None:
            raise ValueError(f"mode must be 'r', 'r+', 'w+' or 'x+', not {mode!r}")
        writable[0] = mode != "r"
        return os.open(file, flags | os.O_CLOEXEC, 0o666)
    fd = file if PyIndex_Check(file) else file.fileno()
    cdef int access = descriptor_flags(PyObject_AsFileDescriptor(fd)) & O_ACCMODE
    if access == O_WRONLY:
        raise ValueError("a file opened write-only cannot be mapped: open it for reading too")
    writable[0] = access == O_RDWR
    return duplicate_fd(fd)


@cython.final
@cython.internal
cdef class FileStorage(FileBackedStorage):
    """A file mapped shared; the file is cut to the buffer's length when flushed or closed."""

    cdef Py_ssize_t length  # the buffer's length, as last published

    @staticmethod
    cdef FileStorage open(object file, str mode, Py_ssize_t max_size):
        """Open file (see open_for_mapping) and map all of it, in max_size bytes of address space
        if nonzero, reserved first: a reservation that fails leaves the file as it was."""
        cdef FileStorage storage = FileStorage.__new__(FileStorage)
        cdef bint writable = False
        if max_size:
            storage.reserve_space(0, max_size)
        cdef int fd = open_for_mapping(file, mode, &writable)
        storage.fd, storage.guarded, storage.peers = fd, True, True
        cdef Py_ssize_t size = file_size(fd)
        if max_size and size > max_size:
            raise ValueError(f"the file's {size} bytes are more than max_size={max_size}")
        storage.map_file(fd, 0, size, max_size, writable)
        storage.length, storage.dirty = size, size
        return storage

    cdef Py_ssize_t fit(self, Py_ssize_t n) noexcept:
        return round_up(n, PAGE)

    cdef void publish(self, Py_ssize_t length) noexcept:
        self.length = length

    cdef Py_ssize_t peer_length(self) except -1:
        """The buffer's own length: no one else changes it, but another process may cut the file."""
        if self.cut_short():
            raise ValueError("another process cut the file short under this FileBuffer: its bytes "
                             "past the cut read as zeros here; close it")
        return self.length

    cdef int cut(self) except -1:
        """Make the file exactly the buffer's length; the capacity shrinks to match."""
        if not self.readonly and self.size != self.length and not self.cut_short():
            if ftruncate(self.fd, self.length) != 0:
                raise_errno(errno, f"cutting the file to {self.length} bytes failed")
            self.size = self.allocated = self.length
        return 0

    cdef int sync(self, Py_ssize_t start, Py_ssize_t stop) except -1:
        """Write the dirty pages holding bytes [start, stop) to the file (msync)."""
        cdef Py_ssize_t first = start & ~(PAGE - 1)
        cdef int err = 0
        if stop <= start:
            return 0
        mark_busy(self, None)  # the disk's time: without the GIL, whatever the size
        with nogil:
            if msync(self.mapping + first, stop - first, MS_SYNC):
                err = errno
        mark_idle(self, None)
        if err:
            raise_errno(err, "msync failed")
        return 0

    cdef void release(self) noexcept:
        if self.fd >= 0:
            try:
                self.cut()
            except OSError:
                pass  # closing anyway; close() itself reports a failing cut
        FileBackedStorage.release(self)

    cdef str kind(self):
        return "file"
