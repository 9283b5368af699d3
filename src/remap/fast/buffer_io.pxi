# BufferIO's C paths (the Python class is remap._io.BufferIO): a position on a Buffer, and the write.


@cython.final
cdef class Cursor:
    """A file position on a Buffer, and the write that BufferIO's hot path runs in C.

    Until the first write, the bytes may be a shared bytes object (read without a copy), as
    io.BytesIO(bytes) shares its argument; unshare() copies them into the (empty) buffer.
    """

    cdef readonly Buffer buffer
    cdef Py_ssize_t position_
    cdef public bint closed
    cdef public bytes shared

    def __cinit__(self, Buffer buffer not None, bytes shared=None):
        self.buffer = buffer
        self.shared = shared or None

    @property
    def position(self):
        """The file position: where the next read or write starts (never negative)."""
        return self.position_

    @position.setter
    def position(self, value):
        cdef Py_ssize_t position = PyNumber_AsSsize_t(value, <PyObject *>OverflowError)
        if position < 0:
            raise ValueError(f"position must not be negative, got {position}")
        self.position_ = position

    def unshare(self):
        """Copy the shared bytes into the buffer and drop them."""
        if self.shared is not None:
            with cython.critical_section(self.buffer):
                self.buffer._sync_writable()
                self.buffer._extend(self.shared)
            self.shared = None

    def write(self, data, /):
        """Write a bytes-like object at the position and move past it; return its size."""
        cdef Py_ssize_t written
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if not PyObject_CheckBuffer(data):
            raise TypeError(f"a bytes-like object is required, not '{type_name(data)}'")
        if self.shared is not None:
            self.unshare()
        with cython.critical_section(self.buffer):
            written = self.buffer._overwrite_from(self.position_, data)
        self.position_ += written
        return written
