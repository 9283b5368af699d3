# What Buffer needs outside its class: its iterator, the text methods it borrows from bytes,
# copying of subclasses, and the patch of slots Cython fills differently from bytearray.


@cython.final
@cython.internal
cdef class ByteIterator:
    """Iterates a Buffer's bytes as ints, re-reading its length at every step."""

    cdef Buffer buffer
    cdef Py_ssize_t position

    def __cinit__(self, Buffer buffer):
        self.buffer = buffer

    def __iter__(self):
        return self

    def __next__(self):
        if self.buffer is None or self.buffer.data == NULL or self.position >= self.buffer.length:
            self.buffer = None
            raise StopIteration
        self.position += 1
        return <unsigned char>self.buffer.data[self.position - 1]

    def __length_hint__(self):
        if self.buffer is None or self.buffer.data == NULL:
            return 0
        return max(self.buffer.length - self.position, 0)

    def __reduce__(self):
        """iter(buffer) at the position, as bytearray's iterator pickles; iter(()) once exhausted."""
        if self.buffer is None:
            return iter, ((),)
        return iter, (self.buffer,), self.position

    def __setstate__(self, position):
        self.position = max(PyNumber_AsSsize_t(position, NULL), 0)


cdef object as_buffers(object result, Buffer source):
    """A bytes method's result with each bytes in it made a Buffer, as bytearray's would be, as
    protected as source's bytes; a secret source's intermediate bytes are wiped."""
    if type(result) is bytes:
        made = source._derived(PyBytes_AS_STRING(result), PyBytes_GET_SIZE(result), None)
        if source.storage.secret:
            wipe_if_alone(result, 2)  # here and in the caller's list, tuple or variable
        return made
    if type(result) is list or type(result) is tuple:
        return type(result)([as_buffers(item, source) for item in result])
    return result


cdef void wipe_if_alone(bytes data, Py_ssize_t references) noexcept:
    """Zero a temporary bytes object's bytes if nothing but its known references hold it (never
    the interpreter's shared empty and one-byte objects)."""
    if PyBytes_GET_SIZE(data) > 1 and Py_REFCNT(data) <= references:
        remap_wipe(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


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
        data = bytes(buffer)
        try:
            return as_buffers(self.method(data, *args, **kwargs), buffer)
        finally:
            if (<Buffer>buffer).storage.secret:  # the hidden copy of a secret goes too
                wipe_if_alone(data, 1)

    @property
    def __signature__(self):
        """bytes' signature for the method, for inspect and stubtest."""
        from inspect import signature
        return signature(self.method)


# The rarely used text methods run on a copy, as bytes; results that bytearray would give as
# bytearray come back as Buffer. They go into Buffer's dict at import (the stub declares them).
cdef tuple TEXT_METHODS = (
    "capitalize", "center", "decode", "expandtabs", "isalnum", "isalpha", "isascii", "isdigit",
    "islower", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "replace", "rjust", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "strip", "swapcase", "title", "translate", "upper", "zfill")
(<dict>(<SlotTable *>Buffer).tp_dict).update({name: TextMethod(name) for name in TEXT_METHODS})
PyType_Modified(<PyTypeObject *>Buffer)


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


# Cython gives Buffer an sq_item and an sq_ass_item that pass the index on to __getitem__ and
# __setitem__, which wrap a negative index a second time; bytearray's treat it as out of range.
cdef object sequence_item(object self, Py_ssize_t i):
    """sq_item: the byte at i, which PySequence_GetItem has already wrapped."""
    if i < 0:
        raise IndexError("remap.Buffer index out of range")
    return self[i]


cdef int sequence_assign(object self, Py_ssize_t i, PyObject *value) except -1:
    """sq_ass_item: set (or, for NULL, delete) the byte at i, already wrapped."""
    if i < 0:
        raise IndexError("remap.Buffer index out of range")
    if value == NULL:
        del self[i]
    else:
        self[i] = <object>value
    return 0


(<SlotTable *>Buffer).tp_as_sequence.sq_item = sequence_item
(<SlotTable *>Buffer).tp_as_sequence.sq_ass_item = sequence_assign


# bytes(buf): before 3.15 bytes() copies straight out of a buffer export, with no method to call;
# 3.15 copies through a PyBytesWriter whose inline buffer would keep a copy of a secret nobody
# can wipe, so there Buffer.__bytes__ stays and makes the one copy itself.
if PY_VERSION_HEX < 0x030F0000:
    del (<dict>(<SlotTable *>Buffer).tp_dict)["__bytes__"]
    PyType_Modified(<PyTypeObject *>Buffer)
