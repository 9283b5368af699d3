# BufferIO: io.BytesIO's behaviour on a Buffer, so a growing file never copies what it holds. A
# C type of its own on object (remap._io registers it as an io.BufferedIOBase, so isinstance
# with io's classes holds as for BytesIO): the file object holds the position, the shared bytes
# and the Buffer; every method runs in C. Not a subclass of io's _IOBase: that is a heap type
# from 3.12 on, and a static type built on it breaks CPython's invariants (its private methods
# look the io module up through the type, the collector visits a subclass's type twice).


@cython.auto_pickle(False)  # pickled as BytesIO is: __getstate__ and __setstate__
cdef class BufferIO:
    """BufferIO(initial_bytes=None)
--

A binary file in memory, like io.BytesIO, whose bytes live in a remap.Buffer.

    BufferIO(bytes) reads them without a copy until the first write, as BytesIO does; other
    bytes-like objects are copied into a new Buffer; BufferIO(buffer) works on that Buffer in
    place and leaves it open on close().
    """

    cdef dict __dict__
    cdef object __weakref__
    cdef Buffer buffer_           # the one passed in or copied into, else made by the first write
    cdef bint initialized         # __init__ ran: until then every method raises ValueError
    cdef Py_ssize_t position_
    cdef bint closed_
    cdef bint owns                # made for the file (not passed in): close() frees it
    cdef bytes shared_bytes
    cdef const char *shared_data  # shared_bytes' own, kept beside it: a read takes one hop less
    cdef Py_ssize_t shared_length

    def __init__(self, initial_bytes=None):
        """Start again from initial_bytes at position 0: bytes are shared until the first write,
        a Buffer is worked on in place (and stays open on close()), other bytes-like objects are
        copied into a new Buffer; None: empty."""
        self._start(initial_bytes)

    cdef int _start(self, object initial_bytes) except -1:
        """__init__'s work (init_file calls it straight for one positional argument or none)."""
        cdef Buffer buffer = None  # for bytes or None: made by the first write
        cdef bytes shared = None
        cdef bint owns = True
        if initial_bytes is None or type(initial_bytes) is bytes:
            shared = initial_bytes
        elif isinstance(initial_bytes, Buffer):
            buffer, owns = initial_bytes, False
        else:
            with memoryview(initial_bytes) as view:  # TypeError unless bytes-like
                buffer = Buffer(view)
        if self.initialized:  # again: drop the old bytes (BufferError while exported)
            self._release()
        self.buffer_, self.owns = buffer, owns
        self.initialized = True
        self._share(shared)
        self.position_ = 0
        self.closed_ = False
        return 0

    def close(self):
        """Close the file and free its buffer (one passed in stays open); BufferError if exported."""
        if self.initialized and not self.closed_:
            self._release()
            self.closed_ = True

    def as_buffer(self):
        """The remap.Buffer the bytes live in (shared bytes are copied into it first).

        Not a .buffer attribute: in io that names the binary stream under a text stream, and
        code that unwraps streams (getattr(f, "buffer", f)) must find none, as on a BytesIO.
        """
        if self.closed_:
            raise ValueError("I/O operation on closed file.")
        self._unshare()
        return self.buffer_

    def __next__(self):
        """The next line."""
        return self._next_line()

    # -- what io's IOBase gives every file --

    def __enter__(self):
        self._check_open()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __iter__(self):
        return self

    def flush(self):
        """Nothing to write out (ValueError if the file is closed)."""
        self._check_open()

    def isatty(self):
        """False: a file in memory is no terminal (ValueError if the file is closed)."""
        self._check_open()
        return False

    def fileno(self):
        """io.UnsupportedOperation: a file in memory has no descriptor."""
        from io import UnsupportedOperation
        raise UnsupportedOperation("fileno")

    def writelines(self, lines, /):
        """Write each bytes-like object lines yields, through write() (a subclass's, if it has one)."""
        self._check_open()
        for line in lines:
            self.write(line)

    def _checkClosed(self):
        """io's private check: ValueError if the file is closed."""
        self._check_open()

    def _checkReadable(self):
        """io's private check: True, or ValueError if the file is closed."""
        self._check_open()
        return True

    _checkWritable = _checkSeekable = _checkReadable

    cdef inline int _check_open(self) except -1:
        cdef Py_ssize_t length
        self._bytes(&length)
        return 0

    def detach(self):
        """io.UnsupportedOperation: a file in memory has no raw stream to hand back."""
        from io import UnsupportedOperation
        raise UnsupportedOperation("detach")

    def getbuffer(self):
        """A memoryview of the bytes; while it lives, writes that would move the buffer fail."""
        return memoryview(self.as_buffer())

    def __getstate__(self):
        """(the bytes, the position, the instance's attributes or None), as BytesIO pickles."""
        return self.getvalue(), self.tell(), dict(getattr(self, "__dict__")) or None

    def __setstate__(self, state):
        """Restore what __getstate__ gave, checking it as BytesIO does."""
        if not isinstance(state, tuple) or len(state) < 3:
            raise TypeError(f"{type(self).__name__}.__setstate__ argument should be 3-tuple, "
                            f"got {type(state).__name__}")
        value, position, attributes = state[:3]
        if not isinstance(position, int):
            raise TypeError(f"second item of state must be an integer, not {type(position).__name__}")
        if position < 0:
            raise ValueError("position value cannot be negative")
        if attributes is not None and not isinstance(attributes, dict):
            raise TypeError(f"third item of state should be a dict, got a {type(attributes).__name__}")
        if self.closed_:
            raise ValueError("I/O operation on closed file.")
        if isinstance(value, str):
            raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'")
        BufferIO.__init__(self, value if type(value) is bytes else bytes(memoryview(value)))
        self.position_ = position
        getattr(self, "__dict__").update(attributes or {})

    cdef int _release(self) except -1:
        """Drop the bytes: free an owned buffer (BufferError while exported), forget shared ones."""
        if self.owns and self.buffer_ is not None:
            self.buffer_.close()
        self._share(None)
        return 0

    cdef inline void _share(self, bytes value) noexcept:
        """Read value (bytes or None; empty bytes share nothing) in place of the buffer's."""
        if value is not None and PyBytes_GET_SIZE(value) == 0:
            value = None
        self.shared_bytes = value
        self.shared_data = NULL if value is None else PyBytes_AS_STRING(value)
        self.shared_length = 0 if value is None else PyBytes_GET_SIZE(value)

    cdef int _unshare(self) except -1:
        """Copy the shared bytes into the buffer, made now if there is none, and drop them
        (ValueError if uninitialized)."""
        if not self.initialized:
            raise ValueError("I/O operation on uninitialized object")
        if self.buffer_ is None:
            self.buffer_ = Buffer()
        if self.shared_bytes is not None:
            with cython.critical_section(self.buffer_):
                self.buffer_._sync_writable()
                self.buffer_._extend(self.shared_bytes)
            self._share(None)
        return 0

    cdef inline Py_ssize_t _write(self, object data) except -1:
        cdef Py_ssize_t written
        self._wait_idle()
        if self.closed_:
            raise ValueError("I/O operation on closed file.")
        if type(data) is not bytes and not PyObject_CheckBuffer(data):
            raise TypeError(f"a bytes-like object is required, not '{type_name(data)}'")
        if self.buffer_ is None or self.shared_bytes is not None:
            self._unshare()
        cdef Buffer buffer = self.buffer_
        with cython.critical_section(buffer):
            written = buffer._overwrite_from(self.position_, data)  # data's export may run code
        if self.buffer_ is buffer:  # not initialized again meanwhile
            self.position_ += written
        return written

    # -- the read side: on the shared bytes or the buffer's, never an intermediate copy --

    cdef inline void _wait_idle(self) noexcept:
        """Wait (the GIL released) while another thread's GIL-free section works on the buffer."""
        if self.buffer_ is not None and self.buffer_.storage.busy:
            self._wait_for_buffer()

    cdef void _wait_for_buffer(self) noexcept:
        cdef Buffer buffer = self.buffer_  # held: a thread may initialize the file again meanwhile
        while buffer is not None and buffer.storage.busy and waited_for(buffer.storage):
            buffer = self.buffer_

    cdef inline const char *_bytes(self, Py_ssize_t *length) except NULL:
        """The bytes to read and their length, after waiting for other threads' work on them and
        checking the file is open (may sync)."""
        self._wait_idle()
        if self.closed_:
            raise ValueError("I/O operation on closed file.")
        if self.shared_data != NULL:
            length[0] = self.shared_length
            return self.shared_data
        if self.buffer_ is None:  # no bytes yet
            if not self.initialized:
                raise ValueError("I/O operation on uninitialized object")
            length[0] = 0
            return EMPTY
        self.buffer_._sync_open()
        length[0] = self.buffer_.length
        return self.buffer_.data

    cdef inline const char *_window(self, Py_ssize_t wanted, Py_ssize_t *start,
                                    Py_ssize_t *stop, Py_ssize_t *length) except NULL:
        """The bytes, and the window [start, stop) of at most wanted (negative: all) of them
        from the position, clamped to their length."""
        cdef const char *data = self._bytes(length)
        start[0] = min(self.position_, length[0])
        stop[0] = length[0] if wanted < 0 or wanted >= length[0] - start[0] else start[0] + wanted
        return data

    cdef inline object _read(self, Py_ssize_t wanted):
        """Up to wanted bytes (all if negative) from the position, which moves past them."""
        cdef Py_ssize_t start, stop, length
        cdef const char *data = self._window(wanted, &start, &stop, &length)
        self.position_ = max(self.position_, stop)
        if start == 0 and stop == length and self.shared_bytes is not None:
            return self.shared_bytes  # BytesIO(bytes).read() is the bytes object itself
        return self._copy(data + start, stop - start)

    cdef inline object _readline(self, Py_ssize_t wanted):
        """One line from the position, up to and including b"\\n", at most wanted bytes if >= 0."""
        cdef Py_ssize_t length
        cdef const char *data = self._bytes(&length)
        cdef Py_ssize_t left = length - self.position_
        if left <= 0:  # at or past the end (a seek may go past it): nothing, position kept
            return PyBytes_FromStringAndSize(NULL, 0)
        return self._line(data, left if wanted < 0 or wanted > left else wanted)

    cdef inline object _next_line(self):
        """The next line, as iteration takes it: StopIteration at the end."""
        cdef Py_ssize_t length
        cdef const char *data = self._bytes(&length)
        if self.position_ >= length:
            raise StopIteration
        return self._line(data, length - self.position_)

    cdef inline object _line(self, const char *data, Py_ssize_t limit):
        """The line at the position, looked for in limit (> 0) bytes; the position moves past it."""
        cdef const char *line = data + self.position_
        cdef const char *found = <const char *>memchr(line, b"\n", limit)
        cdef Py_ssize_t n = limit if found == NULL else found - line + 1
        self.position_ += n
        return self._copy(line, n)

    cdef list _readlines(self, Py_ssize_t hint):
        """The lines from the position on, until their total size reaches hint (if > 0)."""
        cdef list lines = []
        cdef Py_ssize_t length, total = 0
        cdef const char *data = self._bytes(&length)  # no Python code runs below: it stays
        while self.position_ < length:
            line = self._line(data, length - self.position_)
            lines.append(line)
            total += PyBytes_GET_SIZE(line)
            if 0 < hint <= total:
                break
        return lines

    cdef Py_ssize_t _readinto(self, object target) except -1:
        """Copy bytes from the position into a writable bytes-like object; return how many."""
        cdef Py_buffer view
        cdef Py_ssize_t length, start, count
        cdef const char *data
        PyObject_GetBuffer(target, &view, PyBUF_WRITABLE)  # may run code: read after it
        try:
            data = self._bytes(&length)
            start = min(self.position_, length)
            count = min(view.len, length - start)
            self._move_into(&view, data + start, count)  # the target may be a view of these bytes
            self.position_ = max(self.position_, start + count)
            return count
        finally:
            PyBuffer_Release(&view)

    cdef inline Py_ssize_t _seek(self, Py_ssize_t offset, int whence) except -1:
        """Move the position: from the start, the current position or the end."""
        cdef Py_ssize_t length, base
        self._bytes(&length)
        if whence == 0:
            return self._seek_start(offset)
        if whence != 1 and whence != 2:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        base = self.position_ if whence == 1 else length
        if offset > 0 and base > PY_SSIZE_T_MAX - offset:
            raise OverflowError("new position too large")
        self.position_ = max(base + offset, 0)
        return self.position_

    cdef inline Py_ssize_t _seek_start(self, Py_ssize_t offset) except -1:
        """Move the position to offset from the start (ValueError if negative)."""
        if offset < 0:
            raise ValueError(f"negative seek value {offset}")
        self.position_ = offset
        return offset

    cdef Py_ssize_t _truncate(self, object size) except -1:
        """Cut the bytes to size (None: the position); the position stays."""
        cdef Py_ssize_t length
        cdef Py_ssize_t count = (-1 if size is None else  # __index__ may run code: before the read
                                 PyNumber_AsSsize_t(size, <PyObject *>OverflowError))
        self._bytes(&length)
        if size is None:
            count = self.position_
        if count < 0:
            raise ValueError(f"negative size value {count}")
        if count < length:
            self._unshare()
            with cython.critical_section(self.buffer_):
                self.buffer_._sync_writable()
                self.buffer_._set_length(min(count, self.buffer_.length))
        return count

    cdef object _getvalue(self):
        """All the bytes: the shared bytes object itself, else a copy."""
        cdef Py_ssize_t length
        cdef const char *data = self._bytes(&length)
        return self.shared_bytes if self.shared_bytes is not None else self._copy(data, length)

    # -- large copies: without the GIL from a buffer, whose storage is busy meanwhile; shared
    # bytes have no storage to make other threads wait on, so they copy as BytesIO does --

    cdef inline object _copy(self, const char *src, Py_ssize_t n):
        """n of the file's bytes at src as a new bytes object."""
        if n < GIL_FREE_MIN or self.shared_data != NULL or self.buffer_ is None:
            return PyBytes_FromStringAndSize(src, n)
        return self._copy_unlocked(src, n)

    cdef object _copy_unlocked(self, const char *src, Py_ssize_t n):
        """_copy from the buffer without the GIL, holding it (another thread may drop it)."""
        cdef Buffer buffer = self.buffer_
        return bytes_from(buffer.storage, src, n)

    cdef int _move_into(self, Py_buffer *target, const char *src, Py_ssize_t n) except -1:
        """memmove n of the file's bytes at src into a writable export."""
        cdef Buffer buffer = self.buffer_  # held, as _copy_unlocked holds it
        if self.shared_data != NULL or buffer is None:
            memmove(target.buf, src, n)
        else:
            move_bytes(exporting_storage(target), <char *>target.buf, buffer.storage, src, n)
        return 0
