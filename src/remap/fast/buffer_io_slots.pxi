# BufferIO's methods and slots (the class is in buffer_io.pxi): C functions behind method
# descriptors of its own, its arguments parsed as BytesIO's argument clinic does, and the slots
# that make a call, a new file and a freed one cost what BytesIO's do.


cdef inline Py_ssize_t ssize_of(object value) except? -1:
    """An index as a Py_ssize_t (OverflowError past it): an int's in line, else __index__'s."""
    return value if PyLong_CheckExact(value) else PyNumber_AsSsize_t(value, <PyObject *>OverflowError)


cdef inline Py_ssize_t wanted_size(object size) except? -2:
    """A read size as BytesIO takes it: None or an index; negative means all."""
    if PyLong_CheckExact(size):
        return size
    if size is None:
        return -1
    if not PyIndex_Check(size):
        raise TypeError(f"argument should be integer or None, not '{type_name(size)}'")
    return ssize_of(size)


cdef inline Py_ssize_t size_argument(PyObject **args, Py_ssize_t nargs, const char *name) except? -2:
    """The one optional argument of read, readline and readlines as a size: -1 (all) if absent."""
    if nargs == 0:
        return -1
    if nargs > 1:
        raise count_error(nargs, 0, 1, name)
    return wanted_size(<object>args[0])


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


# BufferIO's methods with arguments, or asked per read: C functions behind method descriptors
# of BufferIO's own (installed below), so a call costs what a call of BytesIO's does. The
# descriptors check that self is a BufferIO.

cdef object bufferio_read(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._read(size_argument(args, nargs, b"read"))


cdef object bufferio_readline(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._readline(size_argument(args, nargs, b"readline"))


cdef object bufferio_readlines(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._readlines(size_argument(args, nargs, b"readlines"))


cdef object bufferio_readinto(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._readinto(argument(args, nargs, 0, 1, 1, b"readinto"))


cdef object bufferio_seek(BufferIO file, PyObject **args, Py_ssize_t nargs):
    cdef Py_ssize_t length
    position = argument(args, nargs, 0, 1, 2, b"seek")
    whence = argument(args, nargs, 1, 1, 2, b"seek")
    file._bytes(&length)  # a closed file says so before a bad argument does
    if whence is None and PyLong_CheckExact(position):  # seek(n): no code ran since the check
        file._seek_start(position)
        return position  # the new position, as an int already made
    return file._seek(ssize_of(position), 0 if whence is None else whence)


cdef object bufferio_truncate(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._truncate(argument(args, nargs, 0, 0, 1, b"truncate"))


cdef object bufferio_write(BufferIO file, PyObject **args, Py_ssize_t nargs):
    return file._write(argument(args, nargs, 0, 1, 1, b"write"))


cdef object bufferio_tell(BufferIO file, object unused):
    cdef Py_ssize_t length
    file._bytes(&length)
    return file.position_


cdef object bufferio_can(BufferIO file, object unused):
    """readable, writable and seekable: True, once the file is known to be open."""
    cdef Py_ssize_t length
    file._bytes(&length)
    return True


cdef object bufferio_getvalue(BufferIO file, object unused):
    return file._getvalue()


cdef object bufferio_closed(BufferIO file, void *closure):
    """closed: asked on every line by BufferedReader and TextIOWrapper."""
    return file.closed_


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


cdef extern from "Python.h":
    cdef struct wrapperbase:  # a slot's entry in CPython's table of slots
        pass
    ctypedef struct SlotWrapper "PyWrapperDescrObject":
        wrapperbase *d_base
    object PyDescr_NewWrapper(PyTypeObject *cls, wrapperbase *base, void *wrapped)


cdef object slot_wrapper(object owner, str name, void *function):
    """A descriptor of BufferIO's for the slot named name, wrapping function, as PyType_Ready
    makes one: a subclass then takes function for that slot, not a lookup of name per call.
    owner is a type whose own name attribute is a slot wrapper for that slot."""
    inherited = getattr(owner, name)
    if type(inherited) is not type(object.__init__):
        raise TypeError(f"{name} is not a slot wrapper of {owner.__name__}")
    return PyDescr_NewWrapper(<PyTypeObject *>BufferIO,
                              (<SlotWrapper *><PyObject *>inherited).d_base, function)


cdef int install_c_paths() except -1:
    """Put the C methods, the closed getter and slot wrappers for iteration and initialization
    (Cython's __next__ method would send a subclass's iteration through a lookup per line,
    Cython's __init__ would parse its arguments the slow way) into BufferIO's dict."""
    cdef dict methods = <dict>(<SlotTable *>BufferIO).tp_dict
    for i in range(BUFFERIO_METHOD_COUNT):
        methods[BUFFERIO_METHODS[i].ml_name.decode()] = (
            PyDescr_NewMethod(<PyTypeObject *>BufferIO, &BUFFERIO_METHODS[i]))
    methods["closed"] = PyDescr_NewGetSet(<PyTypeObject *>BufferIO, &CLOSED_GETTER)
    methods["__next__"] = slot_wrapper(type(iter(())), "__next__",
                                       <void *>(<SlotTable *>BufferIO).tp_iternext)
    methods["__init__"] = slot_wrapper(object, "__init__", <void *>init_file)
    PyType_Modified(<PyTypeObject *>BufferIO)
    return 0



# BufferIO's tp_init: a new file of bytes or nothing starts without parsing arguments.
cdef extern from "Python.h":
    Py_ssize_t tuple_size "PyTuple_GET_SIZE"(PyObject *o)
    PyObject *tuple_item "PyTuple_GET_ITEM"(PyObject *o, Py_ssize_t index)  # borrowed
    PyTypeObject PyBytes_Type

cdef initproc CYTHON_INIT_FILE = (<SlotTable *>BufferIO).tp_init


cdef int init_file(PyObject *file, PyObject *args, PyObject *kwargs) except -1:
    """BufferIO's tp_init: a new file of bytes or nothing starts here, as BytesIO's does; one
    positional argument otherwise goes straight to _start, anything else through Cython's
    __init__ (keywords, errors)."""
    cdef Py_ssize_t count = tuple_size(args)
    if kwargs != NULL or count > 1:
        return CYTHON_INIT_FILE(file, args, kwargs)
    cdef PyObject *initial = tuple_item(args, 0) if count else <PyObject *>None
    cdef BufferIO new = <BufferIO>file
    if new.initialized or (initial != <PyObject *>None and type_of(initial) != &PyBytes_Type):
        return new._start(<object>initial)
    new.initialized = new.owns = True  # a file tp_new just made: the rest is as it left it
    new._share(<bytes>initial)
    return 0


(<SlotTable *>BufferIO).tp_init = init_file
install_c_paths()  # after the slots above: its wrappers name them
