# Argument conversion and small helpers shared by the core's types.


cdef inline Py_ssize_t round_up(Py_ssize_t n, Py_ssize_t unit) noexcept nogil:
    return (n + unit - 1) & ~(unit - 1)


cdef Py_ssize_t size_arg(object size, str what) except -1:
    """A size argument as a Py_ssize_t: ValueError if negative, OverflowError past sys.maxsize,
    MemoryError if no mapping can hold it (as bytearray's constructor)."""
    cdef Py_ssize_t n = PyNumber_AsSsize_t(size, <PyObject *>OverflowError)
    if n < 0:
        raise ValueError(f"{what} must not be negative, got {size!r}")
    if n > MAX_BYTES:
        raise MemoryError(f"{what}={size!r} is larger than any mapping can be")
    return n


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


cdef int raise_errno(int err, str what) except -1:
    """Raise for an errno a system call set: MemoryError for ENOMEM, else OSError."""
    if err == ENOMEM:
        raise MemoryError(f"{what}: {os.strerror(err)}")
    raise OSError(err, f"{what}: {os.strerror(err)}")


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


cdef object as_buffers(object result):
    """A bytes method's result with each bytes in it made a Buffer, as bytearray's would be."""
    if type(result) is bytes:
        return Buffer(result)
    if type(result) is list or type(result) is tuple:
        return type(result)(as_buffers(item) for item in result)
    return result


@cython.final
@cython.internal
cdef class TextMethod:
    """A bytes method as a Buffer method: it runs on a copy of the bytes, Buffer arguments too."""

    cdef object method
    cdef readonly str __name__

    def __cinit__(self, str name):
        self.method = getattr(bytes, name)
        self.__name__ = name

    @property
    def __qualname__(self):
        return f"Buffer.{self.__name__}"

    @property
    def __doc__(self):
        return self.method.__doc__

    def __get__(self, instance, owner):
        return self if instance is None else PyMethod_New(self, instance)

    def __call__(self, buffer, *args, **kwargs):
        if not isinstance(buffer, Buffer):
            raise TypeError(f"descriptor '{self.__name__}' for 'remap.Buffer' objects doesn't "
                            f"apply to a '{type_name(buffer)}' object")
        args = [bytes(arg) if isinstance(arg, Buffer) else arg for arg in args]
        return as_buffers(self.method(bytes(buffer), *args, **kwargs))

    @property
    def __signature__(self):
        """bytes' signature for the method, for inspect and stubtest."""
        from inspect import signature
        return signature(self.method)


cdef object copy_by_reduce(object obj, object memo):
    """copy.copy(obj) (memo None) or copy.deepcopy(obj, memo) from its __reduce_ex__, as copy does."""
    from copy import deepcopy
    cls, args, state = obj.__reduce_ex__(4)
    result = cls(*args)
    if memo is not None:
        memo[id(obj)] = result
        state = deepcopy(state, memo)
    if state is None:
        return result
    if hasattr(result, "__setstate__"):
        result.__setstate__(state)
        return result
    attributes, slots = state if isinstance(state, tuple) else (state, None)
    result.__dict__.update(attributes or {})
    for name, value in (slots or {}).items():
        setattr(result, name, value)
    return result
