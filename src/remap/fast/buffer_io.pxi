# BufferIO's C paths (the Python class is remap._io.BufferIO): a position on a Buffer, the reads
# and the write, and the methods BufferIO takes from here.


@cython.final
cdef class Cursor:
    """A file position on a Buffer, and the write that BufferIO's hot path runs in C.

    Until the first write, the bytes may be a shared bytes object (read without a copy), as
    io.BytesIO(bytes) shares its argument; unshare() copies them into the (empty) buffer.
    """

    cdef readonly Buffer buffer
    cdef Py_ssize_t position_
    cdef public bint closed
    cdef bytes shared_bytes
    cdef const char *shared_data  # shared_bytes' own, kept beside it: a read takes one hop less
    cdef Py_ssize_t shared_length

    def __cinit__(self, Buffer buffer not None, bytes shared=None):
        self.buffer = buffer
        self._share(shared)

    @property
    def shared(self):
        """The bytes read in place of the buffer's until the first write, or None."""
        return self.shared_bytes

    @shared.setter
    def shared(self, bytes value):
        self._share(value)

    cdef inline void _share(self, bytes value):
        """Read value (bytes or None; empty bytes share nothing) in place of the buffer's."""
        self.shared_bytes = value or None
        value = self.shared_bytes
        self.shared_data = NULL if value is None else PyBytes_AS_STRING(value)
        self.shared_length = 0 if value is None else PyBytes_GET_SIZE(value)

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
        if self.shared_bytes is not None:
            with cython.critical_section(self.buffer):
                self.buffer._sync_writable()
                self.buffer._extend(self.shared_bytes)
            self._share(None)

    def write(self, data, /):
        """Write a bytes-like object at the position and move past it; return its size."""
        return self._write(data)

    cdef inline Py_ssize_t _write(self, object data) except -1:
        cdef Py_ssize_t written
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if not PyObject_CheckBuffer(data):
            raise TypeError(f"a bytes-like object is required, not '{type_name(data)}'")
        if self.shared_bytes is not None:
            self.unshare()
        with cython.critical_section(self.buffer):
            written = self.buffer._overwrite_from(self.position_, data)
        self.position_ += written
        return written

    # -- the read side: on the shared bytes or the buffer's, never an intermediate copy --

    cdef inline const char *_bytes(self, Py_ssize_t *length) except NULL:
        """The bytes to read and their length, after checking the file is open (may sync)."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if self.shared_data != NULL:
            length[0] = self.shared_length
            return self.shared_data
        self.buffer._sync_open()
        length[0] = self.buffer.length
        return self.buffer.data

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
        return PyBytes_FromStringAndSize(data + start, stop - start)

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
        return PyBytes_FromStringAndSize(line, n)

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
            memmove(view.buf, data + start, count)  # the target may be a view of these bytes
            self.position_ = max(self.position_, start + count)
            return count
        finally:
            PyBuffer_Release(&view)

    cdef inline Py_ssize_t _seek(self, Py_ssize_t offset, int whence) except -1:
        """Move the position: from the start, the current position or the end."""
        cdef Py_ssize_t length, base
        self._bytes(&length)
        if whence == 0:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            self.position_ = offset
            return offset
        if whence != 1 and whence != 2:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        base = self.position_ if whence == 1 else length
        if offset > 0 and base > PY_SSIZE_T_MAX - offset:
            raise OverflowError("new position too large")
        self.position_ = max(base + offset, 0)
        return self.position_

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
            self.unshare()
            with cython.critical_section(self.buffer):
                self.buffer._sync_writable()
                self.buffer._set_length(min(count, self.buffer.length))
        return count

    cdef object _getvalue(self):
        """All the bytes: the shared bytes object itself, else a copy."""
        cdef Py_ssize_t length
        cdef const char *data = self._bytes(&length)
        return self.shared_bytes if self.shared_bytes is not None else PyBytes_FromStringAndSize(data, length)


cdef object BUFFERIO = None       # remap._io.BufferIO, once it registered
cdef Py_ssize_t CURSOR_SLOT = 0    # where a BufferIO keeps its Cursor (its "_cursor" slot)


cdef inline PyObject *cursor_in_slot(object file) noexcept:
    """A BufferIO's Cursor, read from its slot, or NULL. file is a BufferIO (a subclass's too):
    what calls this is reached only through BufferIO's own method and getter descriptors, which
    check the type, and its type's tp_iternext."""
    cdef PyObject *cursor = (<PyObject **>(<char *><PyObject *>file + CURSOR_SLOT))[0]
    return cursor if cursor != NULL and type_of(cursor) == <PyTypeObject *>Cursor else NULL


cdef inline Cursor cursor_of(object file):
    """A BufferIO's Cursor; ValueError if it has none."""
    cdef PyObject *cursor = cursor_in_slot(file)
    return <Cursor>cursor if cursor != NULL else cursor_attribute(file)


cdef Cursor cursor_attribute(object file):
    """The slow way to a Cursor: the attribute; ValueError if there is none."""
    try:
        return file._cursor
    except AttributeError:
        raise ValueError("I/O operation on uninitialized object") from None


cdef inline Py_ssize_t ssize_of(object value) except? -1:
    """An index as a Py_ssize_t (OverflowError past it): an int's in line, else __index__'s."""
    return value if PyLong_CheckExact(value) else PyNumber_AsSsize_t(value, <PyObject *>OverflowError)


cdef inline Py_ssize_t wanted_size(object size) except? -2:
    """A read size as BytesIO takes it: None or an int; negative means all."""
    if size is None:
        return -1
    if not PyLong_CheckExact(size) and not PyIndex_Check(size):
        raise TypeError(f"argument should be integer or None, not '{type_name(size)}'")
    return ssize_of(size)


cdef inline Py_ssize_t size_argument(PyObject **args, Py_ssize_t nargs, const char *name) except? -2:
    """The one optional argument of read, readline and readlines as a size: -1 (all) if absent."""
    return -1 if nargs == 0 else wanted_size(argument(args, nargs, 0, 0, 1, name))


cdef inline object argument(PyObject **args, Py_ssize_t nargs, Py_ssize_t index,
                            Py_ssize_t least, Py_ssize_t most, const char *name):
    """Positional argument index of a METH_FASTCALL call (None if absent), once the count is
    checked against least and most."""
    if not least <= nargs <= most:
        raise count_error(nargs, least, most, name)
    return <object>args[index] if index < nargs else None


cdef object count_error(Py_ssize_t nargs, Py_ssize_t least, Py_ssize_t most, const char *name):
    """The TypeError for a call with the wrong number of arguments."""
    if least == most:
        return TypeError(f"{name.decode()}() takes exactly {most} argument ({nargs} given)")
    return TypeError(f"{name.decode()}() takes {least} to {most} positional arguments but "
                     f"{nargs} were given")


# BufferIO's methods: C functions that remap._io.BufferIO takes as method descriptors of its
# own (_register_bufferio), so a call costs what a call of BytesIO's does.

cdef object bufferio_read(object file, PyObject **args, Py_ssize_t nargs):
    cdef Py_ssize_t wanted = size_argument(args, nargs, b"read")
    cdef PyObject *cursor = cursor_in_slot(file)  # borrowed: no Python code runs from here on
    return (<Cursor>cursor)._read(wanted) if cursor != NULL else cursor_attribute(file)._read(wanted)


cdef object bufferio_readline(object file, PyObject **args, Py_ssize_t nargs):
    cdef Py_ssize_t wanted = size_argument(args, nargs, b"readline")
    cdef PyObject *cursor = cursor_in_slot(file)  # borrowed: no Python code runs from here on
    return ((<Cursor>cursor)._readline(wanted) if cursor != NULL else
            cursor_attribute(file)._readline(wanted))


cdef object bufferio_readlines(object file, PyObject **args, Py_ssize_t nargs):
    return cursor_of(file)._readlines(size_argument(args, nargs, b"readlines"))


cdef object bufferio_readinto(object file, PyObject **args, Py_ssize_t nargs):
    return cursor_of(file)._readinto(argument(args, nargs, 0, 1, 1, b"readinto"))


cdef object bufferio_seek(object file, PyObject **args, Py_ssize_t nargs):
    cdef Cursor cursor = cursor_of(file)
    cdef Py_ssize_t length
    position = argument(args, nargs, 0, 1, 2, b"seek")
    whence = argument(args, nargs, 1, 1, 2, b"seek")
    cursor._bytes(&length)  # a closed file says so before a bad argument does
    return cursor._seek(ssize_of(position), 0 if whence is None else whence)


cdef object bufferio_truncate(object file, PyObject **args, Py_ssize_t nargs):
    return cursor_of(file)._truncate(argument(args, nargs, 0, 0, 1, b"truncate"))


cdef object bufferio_write(object file, PyObject **args, Py_ssize_t nargs):
    return cursor_of(file)._write(argument(args, nargs, 0, 1, 1, b"write"))


cdef object bufferio_tell(object file, object unused):
    cdef Cursor cursor = cursor_of(file)
    cdef Py_ssize_t length
    cursor._bytes(&length)
    return cursor.position_


cdef object bufferio_can(object file, object unused):
    """readable, writable and seekable: True, once the file is known to be open."""
    cdef Py_ssize_t length
    cursor_of(file)._bytes(&length)
    return True


cdef object bufferio_getvalue(object file, object unused):
    return cursor_of(file)._getvalue()


cdef object bufferio_next(object file):
    """BufferIO's tp_iternext: the next line, or StopIteration at the end."""
    cdef PyObject *cursor = cursor_in_slot(file)  # borrowed: no Python code runs from here on
    return (<Cursor>cursor)._next_line() if cursor != NULL else cursor_attribute(file)._next_line()


cdef object bufferio_next_method(object file, object unused):
    return bufferio_next(file)


cdef object bufferio_closed(object file, void *closure):
    """BufferIO.closed: asked on every line by BufferedReader and TextIOWrapper, so in C."""
    cdef PyObject *cursor = cursor_in_slot(file)
    return cursor != NULL and (<Cursor>cursor).closed


# name, function, calling convention, docstring (with the signature inspect reads)
cdef enum:
    BUFFERIO_METHOD_COUNT = 14
cdef PyMethodDef BUFFERIO_METHODS[BUFFERIO_METHOD_COUNT]
BUFFERIO_METHODS[:] = [
    PyMethodDef(b"read", <void *>bufferio_read, METH_FASTCALL,
                b"read($self, size=-1, /)\n--\n\nUp to size bytes from the position (all that "
                b"remain if size is None or negative)."),
    PyMethodDef(b"read1", <void *>bufferio_read, METH_FASTCALL,
                b"read1($self, size=-1, /)\n--\n\nThe same as read."),
    PyMethodDef(b"readline", <void *>bufferio_readline, METH_FASTCALL,
                b"readline($self, size=-1, /)\n--\n\nOne line, up to and including a newline, at "
                b"most size bytes if size is not negative."),
    PyMethodDef(b"readlines", <void *>bufferio_readlines, METH_FASTCALL,
                b"readlines($self, hint=-1, /)\n--\n\nThe remaining lines, stopping once their "
                b"total size reaches hint (if positive)."),
    PyMethodDef(b"readinto", <void *>bufferio_readinto, METH_FASTCALL,
                b"readinto($self, buffer, /)\n--\n\nRead into a writable bytes-like object; "
                b"return how many bytes were read."),
    PyMethodDef(b"readinto1", <void *>bufferio_readinto, METH_FASTCALL,
                b"readinto1($self, buffer, /)\n--\n\nThe same as readinto."),
    PyMethodDef(b"seek", <void *>bufferio_seek, METH_FASTCALL,
                b"seek($self, offset, whence=0, /)\n--\n\nMove the position: from the start (0), "
                b"the current position (1) or the end (2)."),
    PyMethodDef(b"truncate", <void *>bufferio_truncate, METH_FASTCALL,
                b"truncate($self, size=None, /)\n--\n\nCut the file to size bytes (default: the "
                b"position); the position stays."),
    PyMethodDef(b"write", <void *>bufferio_write, METH_FASTCALL,
                b"write($self, b, /)\n--\n\nWrite a bytes-like object at the position; return "
                b"its size."),
    PyMethodDef(b"tell", <void *>bufferio_tell, METH_NOARGS,
                b"tell($self, /)\n--\n\nThe position."),
    PyMethodDef(b"readable", <void *>bufferio_can, METH_NOARGS,
                b"readable($self, /)\n--\n\nTrue (ValueError if the file is closed)."),
    PyMethodDef(b"writable", <void *>bufferio_can, METH_NOARGS,
                b"writable($self, /)\n--\n\nTrue (ValueError if the file is closed)."),
    PyMethodDef(b"seekable", <void *>bufferio_can, METH_NOARGS,
                b"seekable($self, /)\n--\n\nTrue (ValueError if the file is closed)."),
    PyMethodDef(b"getvalue", <void *>bufferio_getvalue, METH_NOARGS,
                b"getvalue($self, /)\n--\n\nAll the bytes (the shared bytes object itself, "
                b"else a copy)."),
]
cdef PyGetSetDef CLOSED_GETTER = PyGetSetDef(b"closed", <void *>bufferio_closed, NULL,
                                             b"True once the file is closed.", NULL)
cdef PyMethodDef NEXT_METHOD = PyMethodDef(b"__next__", <void *>bufferio_next_method,
                                           METH_NOARGS, b"__next__($self, /)\n--\n\nThe next line.")


def _register_bufferio(cls):
    """Give BufferIO its C methods (method descriptors of its own) and its C iteration."""
    global BUFFERIO, CURSOR_SLOT
    if BUFFERIO is not None:  # once: the slot offset the C paths read must never change
        raise RuntimeError("BufferIO's C methods are registered already")
    if not isinstance(cls, type):
        raise TypeError(f"expected a class, not {type_name(cls)}")
    member = cls.__dict__["_cursor"]
    if type(member).__name__ != "member_descriptor":
        raise TypeError("BufferIO must keep its cursor in a __slots__ entry named _cursor")
    CURSOR_SLOT = (<MemberDescriptor *>member).d_member.offset
    BUFFERIO = cls
    for i in range(BUFFERIO_METHOD_COUNT):
        setattr(cls, BUFFERIO_METHODS[i].ml_name.decode(),
                PyDescr_NewMethod(<PyTypeObject *>cls, &BUFFERIO_METHODS[i]))
    setattr(cls, "__next__", PyDescr_NewMethod(<PyTypeObject *>cls, &NEXT_METHOD))
    setattr(cls, "closed", PyDescr_NewGetSet(<PyTypeObject *>cls, &CLOSED_GETTER))
    (<IterableType *>cls).tp_iternext = <iternextfunc>bufferio_next  # after __next__ is set
