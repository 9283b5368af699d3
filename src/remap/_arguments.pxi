# Arguments as bytearray takes them: sizes, bytes, needles, slice values, iterables.

# No mapping can be this large; keeping sizes below it keeps the arithmetic from overflowing.
cdef Py_ssize_t MAX_BYTES = PY_SSIZE_T_MAX >> 2


cdef Py_ssize_t size_arg(object size, str what) except -1:
    """A size argument as a Py_ssize_t: ValueError if negative, OverflowError past sys.maxsize,
    MemoryError if no mapping can hold it (as bytearray's constructor)."""
    cdef Py_ssize_t n = PyNumber_AsSsize_t(size, <PyObject *>OverflowError)
    if n < 0:
        raise ValueError(f"{what} must not be negative, got {size!r}")
    if n > MAX_BYTES:
        raise MemoryError(f"{what}={size!r} is larger than any mapping can be")
    return n


cdef inline Py_ssize_t exact_small_int(object source, Py_ssize_t below) except -2:
    """source's value if it is an int (exactly) in range(0, below), else -1."""
    cdef Py_ssize_t n
    if not PyLong_CheckExact(source):
        return -1
    try:
        n = PyLong_AsSsize_t(source)
    except OverflowError:  # the caller's general path says so
        return -1
    return n if 0 <= n < below else -1


cdef object as_count(object source):
    """source as an int if it is one (bytearray tries that first), else None."""
    if not PyIndex_Check(source):
        return None
    try:
        return PyNumber_Index(source)
    except TypeError:  # __index__ refused, as a numpy array of many items does
        return None


cdef int byte_arg(object value) except -1:
    """An int in range(0, 256), as bytearray takes it."""
    cdef Py_ssize_t n = PyNumber_AsSsize_t(value, NULL)
    if not 0 <= n < 256:
        raise ValueError("byte must be in range(0, 256)")
    return <int>n


cdef str type_name(object value):
    return type(value).__name__


cdef bytes needle_bytes(object sub):
    """What find, count and `in` look for: an int in range(256) as one byte, or a bytes-like's bytes."""
    if type(sub) is bytes:
        return sub
    if PyIndex_Check(sub):
        return bytes((byte_arg(sub),))
    if PyObject_CheckBuffer(sub):
        return memoryview(sub).tobytes()
    raise TypeError(f"argument should be integer or bytes-like object, not '{type_name(sub)}'")


cdef object assignable(object value):
    """A slice assignment's value as a bytes-like object, as bytearray accepts it."""
    if PyObject_CheckBuffer(value):
        return value
    if PyIndex_Check(value) or isinstance(value, str) or value is None:
        raise TypeError("can assign only bytes, buffers, or iterables of ints in range(0, 256)")
    return bytearray(iterate(value, "assign"))


cdef object iterate(object source, str action):
    """iter(source), with bytearray's message when source is not iterable."""
    try:
        return iter(source)
    except TypeError:
        raise TypeError(f"can't {action} {type_name(source)}") from None
