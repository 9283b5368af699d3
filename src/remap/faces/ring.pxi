# Ring: a byte ring on mirror storage. Its readable bytes and its free space are each one
# contiguous range, always: no wrap-around logic for recv_into, numpy or struct.

cdef enum WhenFull:  # what a write that does not fit does
    RAISE    # raises BufferError
    PARTIAL  # writes what fits
    GROW     # grows the ring


cdef dict WHEN_FULL = {"raise": RAISE, "partial": PARTIAL, "grow": GROW}


@cython.final
@cython.internal
cdef class RingView:
    """One exported range of a Ring: the readable bytes (read-only) or the free space. It pins
    the ring from the moment the range is chosen (before the memoryview over it is allocated,
    which can run a collection) until that memoryview releases it."""

    cdef Ring ring  # the pinned ring, or None: not yet pinned, or released
    cdef char *start
    cdef Py_ssize_t length
    cdef bint free_space
    cdef bint exported  # it exports once: kept past its memoryview (mv.obj) it would go stale

    cdef void pin(self, Ring ring, Py_ssize_t at, Py_ssize_t length, bint free_space) noexcept:
        self.ring, self.length, self.free_space = ring, length, free_space
        self.start = ring.storage.base + at % ring.storage.size
        if free_space:
            ring.writing += 1
        else:
            ring.reading += 1

    cdef void unpin(self) noexcept:
        if self.ring is None:
            return
        if self.free_space:
            self.ring.writing -= 1
        else:
            self.ring.reading -= 1
        self.ring = None

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        if self.exported or self.ring is None:
            raise BufferError("a Ring view is exported once: call readable() or writable() again")
        if not self.free_space and flags & PyBUF_WRITABLE:
            raise BufferError("a Ring's readable bytes are read-only: write() or writable() them")
        PyBuffer_FillInfo(buffer, self, self.start, self.length, not self.free_space, flags)
        self.exported = True

    def __releasebuffer__(self, Py_buffer *buffer):
        self.unpin()

    def __dealloc__(self):
        self.unpin()  # never exported: its memoryview failed to be made


cdef class Ring:
    """A byte ring whose readable bytes and free space are always contiguous (a mirror mapping).

    Ring(capacity=PAGESIZE, *, when_full="raise"): capacity is rounded up to whole pages. A write
    that does not fit raises BufferError ("raise"), writes what fits ("partial"), or grows the
    ring ("grow"). n = sock.recv_into(ring.writable()); ring.commit(n) and
    np.frombuffer(ring.readable(), ...) need no wrap-around logic. Ring.shared(capacity) puts it
    in shared memory for one producer and one consumer in different processes.
    """

    cdef MirrorStorage storage
    cdef Py_ssize_t head_, tail_     # bytes ever read and written (a shared ring: in its header)
    cdef Py_ssize_t reading, writing  # live readable() and writable() views
    cdef WhenFull when_full

    def __init__(self, capacity=PAGESIZE, *, when_full="raise"):
        self._start(MirrorStorage.create(ring_size(capacity), False), when_full)

    @classmethod
    def shared(cls, capacity=PAGESIZE, *, when_full="raise"):
        """A Ring in shared memory: one producer and one consumer, each in its own process."""
        if when_full == "grow":
            raise ValueError("a shared Ring cannot grow: its size is sealed for its peer's safety")
        cdef Ring ring = cls.__new__(cls)
        ring._start(MirrorStorage.create(ring_size(capacity), True), when_full)
        return ring

    @classmethod
    def attach(cls, fd):
        """The shared Ring another process made, from its descriptor (duplicated)."""
        return cls._adopt_descriptor(duplicate_fd(fd))

    @classmethod
    def _adopt_descriptor(cls, fd):
        cdef Ring ring = cls.__new__(cls)
        ring._start(MirrorStorage.attach(fd), "raise")
        return ring

    cdef int _start(self, MirrorStorage storage, str when_full) except -1:
        """Hold storage, empty, in place of any earlier one; the checks come after storage was
        made (which may have run Python code), right before the old one goes."""
        mode = WHEN_FULL.get(when_full)
        if mode is None:
            storage.release()
            raise ValueError(f"when_full must be 'raise', 'partial' or 'grow', not {when_full!r}")
        self._wait_idle()
        if self.reading or self.writing:
            storage.release()
            raise BufferError("cannot initialize the ring again while views of it are alive")
        if self.storage is not None:
            self.storage.release()
        self.storage, self.when_full, self.head_, self.tail_ = storage, mode, 0, 0
        return 0

    # -- head and tail: plain fields, or a shared header's acquire/release words --

    cdef inline Py_ssize_t _head(self) noexcept:
        return remap_load(&self.storage.header.head) if self.storage.header else self.head_

    cdef inline Py_ssize_t _tail(self) noexcept:
        return remap_load(&self.storage.header.tail) if self.storage.header else self.tail_

    cdef inline void _set_head(self, Py_ssize_t head) noexcept:
        if self.storage.header:
            remap_store(&self.storage.header.head, head)
        else:
            self.head_ = head

    cdef inline void _set_tail(self, Py_ssize_t tail) noexcept:
        if self.storage.header:
            remap_store(&self.storage.header.tail, tail)
        else:
            self.tail_ = tail

    cdef int _wait_idle(self) except -1:
        """Wait (the GIL released) while another thread's GIL-free section works on the bytes."""
        while self.storage is not None and self.storage.busy and waited_for(self.storage):
            pass
        return 0

    cdef Py_ssize_t _used(self) except -1:
        """Readable bytes, after waiting for other threads and checking the ring is open (and a
        shared header is sane)."""
        if self.storage is not None and self.storage.busy:
            self._wait_idle()
        if self.storage is None or self.storage.size == 0:
            raise ValueError("operation on a closed remap.Ring")
        cdef Py_ssize_t head = self._head(), tail = self._tail()
        if not 0 <= tail - head <= self.storage.size:
            raise ValueError(f"corrupt shared ring header: head {head}, tail {tail} for "
                             f"{self.storage.size} bytes (another process wrote garbage into it)")
        return tail - head

    # -- size --

    @property
    def capacity(self):
        """Bytes the ring holds when full."""
        self._used()
        return self.storage.size

    def __len__(self):
        return self._used()

    def __bool__(self):
        return self._used() > 0

    @property
    def free(self):
        """Bytes that can be written before the ring is full."""
        return self.storage.size - self._used() if self.storage is not None else 0

    @property
    def closed(self):
        return self.storage is None or self.storage.size == 0

    # -- bytes in --

    @cython.critical_section
    def write(self, data, /):
        """Append a bytes-like object; return how many bytes went in (see when_full)."""
        cdef Py_buffer view
        cdef Py_ssize_t used, n
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            used, n = self._used(), view.len
            if self.writing:
                raise BufferError("cannot write() while a writable() view is alive: commit() it")
            if n > self.storage.size - used:
                if self.when_full == RAISE:
                    raise BufferError(f"the ring is full: {n} bytes do not fit in the "
                                      f"{self.storage.size - used} free")
                if self.when_full == PARTIAL:
                    n = self.storage.size - used
                else:
                    self._grow(used + n)
            copy_bytes(self.storage, self.storage.base + self._tail() % self.storage.size,
                       exporting_storage(&view), <const char *>view.buf, n)
            self._set_tail(self._tail() + n)
            return n
        finally:
            PyBuffer_Release(&view)

    @cython.critical_section
    def writable(self):
        """A memoryview of the free space, one contiguous range; write into it, then commit(n)."""
        cdef RingView view = RingView.__new__(RingView)  # may run a collection: before the checks
        cdef Py_ssize_t used = self._used()
        view.pin(self, self._tail(), self.storage.size - used, True)
        return memoryview(view)

    @cython.critical_section
    def commit(self, n, /):
        """Make n bytes written into writable() readable."""
        cdef Py_ssize_t count = size_arg(n, "n"), used = self._used()
        if count > self.storage.size - used:
            raise ValueError(f"cannot commit {count} bytes: only {self.storage.size - used} are free")
        self._set_tail(self._tail() + count)

    cdef int _grow(self, Py_ssize_t needed) except -1:
        """Room for needed bytes: at least double, the readable bytes kept in order."""
        if self.storage.header:
            raise BufferError("a shared Ring cannot grow")
        if self.reading or self.writing:
            raise BufferError(f"cannot grow the ring: {self.reading + self.writing} view(s) of "
                              f"it alive; release them first")
        cdef Py_ssize_t used = self._used(), start = self.head_ % self.storage.size
        self.storage.grow(round_up(max(needed, 2 * self.storage.size), PAGE), start, used)
        self.head_, self.tail_ = start, start + used
        return 0

    # -- bytes out --

    @cython.critical_section
    def readable(self):
        """A read-only memoryview of the readable bytes, one contiguous range."""
        cdef RingView view = RingView.__new__(RingView)  # may run a collection: before the checks
        cdef Py_ssize_t used = self._used()
        view.pin(self, self._head(), used, False)
        return memoryview(view)

    @cython.critical_section
    def peek(self, n=-1, /):
        """Up to n readable bytes (all if n is negative), left in the ring."""
        cdef Py_ssize_t wanted = -1 if n is None else PyNumber_AsSsize_t(n, NULL)  # may run code
        cdef Py_ssize_t used = self._used()
        cdef Py_ssize_t count = used if wanted < 0 else min(wanted, used)
        return bytes_from(self.storage, self.storage.base + self._head() % self.storage.size, count)

    @cython.critical_section
    def read(self, n=-1, /):
        """Up to n readable bytes (all if n is negative), taken out of the ring."""
        taken = self.peek(n)
        self.consume(len(taken))
        return taken

    @cython.critical_section
    def consume(self, n, /):
        """Drop the first n readable bytes."""
        cdef Py_ssize_t count = size_arg(n, "n"), used = self._used()
        if count > used:
            raise ValueError(f"cannot consume {count} bytes: only {used} are readable")
        if self.reading and count:
            raise BufferError(f"cannot consume while {self.reading} readable() view(s) are "
                              f"alive: the bytes they show would be overwritten")
        self._set_head(self._head() + count)

    # -- lifetime, sharing --

    @cython.critical_section
    def close(self):
        """Unmap the ring; idempotent. BufferError while views are alive."""
        self._wait_idle()
        if self.closed:
            return
        if self.reading or self.writing:
            raise BufferError("cannot close the ring while views of it are alive")
        self.storage.release()

    def __enter__(self):
        self._used()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def fileno(self):
        """The memfd's descriptor (for pass_fds; the ring keeps owning it)."""
        self._used()
        return self.storage.fd

    def __reduce_ex__(self, protocol):
        """A shared ring pickles by descriptor, through multiprocessing; a private one cannot."""
        self._used()
        if not self.storage.header:
            raise TypeError("only a Ring.shared() can be pickled (its descriptor travels)")
        return reduce_by_descriptor(self, self.storage.fd)

    def __repr__(self):
        if self.closed:
            return "<closed remap.Ring>"
        kind = "shared " if self.storage.header else ""
        return f"<remap.Ring {kind}{self._used()} of {self.storage.size} bytes readable>"


cdef Py_ssize_t ring_size(object capacity) except -1:
    """A ring's size: capacity rounded up to whole pages, at least one."""
    return round_up(max(size_arg(capacity, "capacity"), 1), PAGE)
