# SharedBuffer: a Buffer in shared memory (storage/shared.pxi) that several processes map at once.


cdef class SharedBuffer(Buffer):
    """A growable buffer in shared memory that several processes map at once.

    SharedBuffer(size=0, *, name=None, max_size=None) makes size zero bytes on a sealed memfd, or,
    with name, a POSIX shared-memory object that unrelated processes open by that name. Share it
    across fork(), by fileno() and pass_fds then SharedBuffer.attach(fd), by name, or by pickling
    it through multiprocessing (the descriptor travels, not the bytes). Growth by any process is
    seen by all at their next access; with max_size it happens in place and never moves. The
    bytes themselves are not synchronised: guard writers with a lock, as with SharedMemory.
    """

    cdef str name_  # kept past close(): unlink() works on a closed buffer, as SharedMemory's does

    def __init__(self, size=0, *, name=None, max_size=None):
        cdef Py_ssize_t n = size_arg(size, "size")
        cdef Py_ssize_t most = 0 if max_size is None else size_arg(max_size, "max_size")
        if most and n > most:
            raise ValueError(f"size={n} is more than max_size={most}")
        if self.exports_:  # before a new memfd or name is made for nothing
            raise self._pinned("initialize it again")
        self.name_ = None if name is None else posix_name(name)
        self._start_over(SharedStorage.create(n, self.name_, most), most)
        self._set_length(n)

    @classmethod
    def attach(cls, source):
        """Map a SharedBuffer another process made: from a descriptor (duplicated) or a name."""
        if isinstance(source, str):
            name = posix_name(source)
            return cls._adopt_descriptor(_posixshmem.shm_open(name, os.O_RDWR, 0o600), name)
        return cls._adopt_descriptor(duplicate_fd(source))

    @classmethod
    def _adopt_descriptor(cls, fd, name=None):
        """A SharedBuffer over fd, which it then owns (and closes, even if this fails)."""
        cdef SharedBuffer buf = cls.__new__(cls)
        cdef SharedStorage storage = SharedStorage.attach(fd, name)
        buf._start_over(storage, storage.header().max_size)
        buf.name_ = name
        buf._sync_open()
        return buf

    @property
    def name(self):
        """The shared-memory object's name, or None for a memfd (share those by descriptor)."""
        return self.name_

    def fileno(self):
        """The memory's file descriptor (for pass_fds; the buffer keeps owning it)."""
        return self._shared().fd

    def unlink(self):
        """Remove the name (the memory lives on while mapped), open or closed, as SharedMemory's
        unlink; nothing to do for a memfd."""
        if self.name_ is not None:
            _posixshmem.shm_unlink(self.name_)

    cdef SharedStorage _shared(self):
        self._sync_open()
        if not isinstance(self.storage, SharedStorage):
            raise ValueError("this SharedBuffer was initialized again as a private Buffer")
        return <SharedStorage>self.storage

    def __reduce_ex__(self, protocol):
        """By name, or by a descriptor that multiprocessing duplicates into the receiving process."""
        cdef SharedStorage storage = self._shared()
        if self.name_ is not None:
            return type(self).attach, (self.name_,)
        return reduce_by_descriptor(self, storage.fd)

    def __copy__(self):
        """A private Buffer with the same bytes."""
        return Buffer(self)

    def __deepcopy__(self, memo):
        return Buffer(self)


cdef str posix_name(str name):
    """A shared-memory name as shm_open takes it: one leading slash."""
    return name if name.startswith("/") else "/" + name
