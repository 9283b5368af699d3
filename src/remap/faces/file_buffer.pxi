# FileBuffer: a Buffer whose bytes are a file's (storage/file.pxi), grown through its mapping.


cdef class FileBuffer(Buffer):
    """A file you can grow through its mapping: the bytes are the file's, shared with it.

    FileBuffer(path, mode="r+", *, max_size=None): modes "r" (read-only: writes raise TypeError),
    "r+", "w+" (truncate or create) and "x+" (create, fail if it exists); or FileBuffer(file
    object or descriptor), duplicated. Growth allocates disk blocks first (a full disk is
    OSError(ENOSPC) from the call that grows). flush() writes dirty pages (msync); flush and
    close leave the file exactly len(buf) bytes long.
    """

    def __init__(self, file, mode="r+", *, max_size=None):
        cdef Py_ssize_t most = 0 if max_size is None else size_arg(max_size, "max_size")
        if self.exports_:  # before the file is opened (or created, or truncated) for nothing
            raise self._pinned("initialize it again")
        cdef FileStorage storage = FileStorage.open(file, mode, most)
        self._start_over(storage, most)
        self.length = storage.length

    cdef FileStorage _file(self):
        self._sync_open()
        if not isinstance(self.storage, FileStorage):
            raise ValueError("this FileBuffer was initialized again as a private Buffer")
        return <FileStorage>self.storage

    @cython.critical_section
    def flush(self, offset=0, size=None):
        """Write the dirty pages of [offset, offset + size) (default: all) and cut the file to len."""
        cdef Py_ssize_t start = size_arg(offset, "offset")  # may run __index__: before _file()
        cdef Py_ssize_t count = -1 if size is None else size_arg(size, "size")
        cdef FileStorage storage = self._file()
        self._check_room_unshown("cut the file to its length")
        cdef Py_ssize_t stop = self.length if count < 0 else start + count
        storage.sync(min(start, self.length), min(stop, self.length))
        storage.cut()
        self._adopt(storage, 0)

    def fileno(self):
        """The file's descriptor (the buffer keeps owning it)."""
        return self._file().fd

    @cython.critical_section
    def close(self):
        """Cut the file to len(buf) and unmap it; idempotent. BufferError while exports are alive."""
        cut_failed = None
        self._wait_idle()
        if self.data != NULL and not self.exports_ and isinstance(self.storage, FileStorage):
            try:
                (<FileStorage>self.storage).cut()
            except OSError as error:  # a sealed memfd, a read-only file system, ...
                cut_failed = error
        Buffer.close(self)  # the mapping and the descriptor go back whatever happened
        if cut_failed is not None:
            raise OSError(cut_failed.errno, f"closed, but the file could not be cut to its "
                                            f"length: {cut_failed.strerror}") from cut_failed

    def __reduce_ex__(self, protocol):
        raise TypeError("cannot pickle a FileBuffer: open the file again where it is needed")

    def __copy__(self):
        """A private Buffer with the same bytes."""
        return Buffer(self)

    def __deepcopy__(self, memo):
        return Buffer(self)
