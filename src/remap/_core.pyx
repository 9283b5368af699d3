"""The compiled core of remap: Buffer, a growable byte buffer on mmap and mremap."""

cimport cython
from cpython.buffer cimport (
    PyBUF_FORMAT, PyBUF_ND, PyBUF_SIMPLE, PyBUF_STRIDES, PyBuffer_Release,
    PyObject_CheckBuffer, PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.number cimport PyNumber_Index
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport PyObject
from cpython.object cimport Py_EQ, Py_GE, Py_GT, Py_LE, Py_LT, Py_NE
from libc.errno cimport ENOMEM, errno
from libc.string cimport memcmp, memcpy, memset
from posix.unistd cimport _SC_PAGESIZE, sysconf

from remap._mman cimport (
    MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_FAILED,
    MAP_NORESERVE, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE,
    REMAP_HAVE_MREMAP, madvise, mmap, mprotect, munmap, remap_resize,
)

import os

cdef extern from "Python.h":
    const Py_ssize_t PY_SSIZE_T_MAX
    Py_ssize_t PyNumber_AsSsize_t(object o, PyObject *exc) except? -1
    bint PyIndex_Check(object o)
    int PySlice_Unpack(object s, Py_ssize_t *start, Py_ssize_t *stop, Py_ssize_t *step) except -1
    Py_ssize_t PySlice_AdjustIndices(Py_ssize_t length, Py_ssize_t *start, Py_ssize_t *stop,
                                     Py_ssize_t step)

PAGESIZE = sysconf(_SC_PAGESIZE)
HAVE_MREMAP = bool(REMAP_HAVE_MREMAP)

cdef Py_ssize_t PAGE = PAGESIZE
# Large buffers get 2 MiB units, so the kernel aligns them and moves them at PMD level.
cdef Py_ssize_t HUGE = 2 << 20
# Below this a copy costs less than a mapping (one VMA of vm.max_map_count, ~10 us per move).
MAP_THRESHOLD = 128 << 10
cdef Py_ssize_t MAP_MIN = MAP_THRESHOLD
# No mapping can be this large; keeping sizes below it keeps the arithmetic from overflowing.
cdef Py_ssize_t MAX_BYTES = PY_SSIZE_T_MAX >> 2
# What an empty Buffer exports: never NULL, and nothing can be read through it.
cdef char EMPTY[1]
cdef char *BYTE_FORMAT = "B"

cdef enum Storage:
    NONE = 0      # no storage of its own: data is EMPTY
    HEAP = 1      # a PyMem block, for buffers below MAP_MIN
    MAPPED = 2    # a private anonymous mapping, resized with mremap
    RESERVED = 3  # a max_size reservation: PROT_NONE, committed with mprotect as it grows


cdef inline Py_ssize_t round_up(Py_ssize_t n, Py_ssize_t unit) noexcept nogil:
    return (n + unit - 1) & ~(unit - 1)


cdef Py_ssize_t size_arg(object size, str what) except -1:
    """A size argument as a Py_ssize_t; ValueError if negative, MemoryError if no mapping can hold it."""
    cdef Py_ssize_t n = PyNumber_AsSsize_t(size, NULL)
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


cdef int raise_errno(str what) except -1:
    """Raise for the errno a system call just set: MemoryError for ENOMEM, else OSError."""
    cdef int err = errno
    if err == ENOMEM:
        raise MemoryError(f"{what}: {os.strerror(err)}")
    raise OSError(err, f"{what}: {os.strerror(err)}")


cdef str type_name(object value):
    return type(value).__name__


cdef object iterate(object source, str action):
    """iter(source), with bytearray's message when source is not iterable."""
    try:
        return iter(source)
    except TypeError:
        raise TypeError(f"can't {action} {type_name(source)}") from None


cdef char *map_anonymous(Py_ssize_t size, int prot) except NULL:
    """A fresh private anonymous mapping of size bytes."""
    cdef int flags = MAP_PRIVATE | MAP_ANONYMOUS
    if prot == PROT_NONE:
        flags |= MAP_NORESERVE
    cdef void *p = mmap(NULL, size, prot, flags, -1, 0)
    if p == MAP_FAILED:
        raise_errno(f"mmap of {size} bytes failed")
    return <char *>p


@cython.final
cdef class Buffer:
    """A growable, mutable byte buffer whose memory comes from mmap and grows with mremap.

    Buffer() is empty; Buffer(n) is n zero bytes; Buffer(bytes_like), Buffer(iterable_of_ints)
    and Buffer(str, encoding[, errors]) copy, as bytearray does. Keyword-only: capacity reserves
    room up front, hugepages=False keeps transparent huge pages off, and max_size reserves address
    space so the buffer grows in place, never moving, up to max_size bytes.
    """

    cdef char *data            # the first byte; NULL once closed, never NULL while open
    cdef Py_ssize_t length     # bytes in use
    cdef Py_ssize_t capacity_  # bytes writable without a system call
    cdef Py_ssize_t dirty      # bytes [dirty, capacity_) are known to be zero
    cdef Py_ssize_t reserved   # address space of a RESERVED buffer, else 0
    cdef Py_ssize_t max_size_  # the most bytes this buffer may hold
    cdef Py_ssize_t exports_   # live buffer exports
    cdef Storage storage
    cdef bint hugepages

    def __cinit__(self, source=None, encoding=None, errors=None, *, capacity=0,
                  bint hugepages=True, max_size=None):
        self.data = EMPTY
        self.hugepages = hugepages
        self.max_size_ = MAX_BYTES
        if max_size is not None:
            self._reserve_address_space(size_arg(max_size, "max_size"))
        if capacity != 0:
            self.reserve(capacity)
        if source is not None or encoding is not None or errors is not None:
            self._init_from(source, encoding, errors)

    def __dealloc__(self):
        self._release_storage()

    cdef int _init_from(self, source, encoding, errors) except -1:
        """Fill a new buffer from a constructor argument, as bytearray's constructor does."""
        if isinstance(source, str):
            if encoding is None:
                raise TypeError("string argument without an encoding")
            self.extend(source.encode(encoding, "strict" if errors is None else errors))
        elif encoding is not None or errors is not None:
            raise TypeError(("encoding" if encoding is not None else "errors")
                            + " without a string argument")
        elif (count := as_count(source)) is not None:
            self._set_length(size_arg(count, "size"))
        else:
            self.extend(source)
        return 0

    # -- storage: the only code that allocates, moves or frees the bytes --

    cdef int _reserve_address_space(self, Py_ssize_t max_size) except -1:
        """Reserve max_size bytes of address space (PROT_NONE) to grow into without moving."""
        cdef Py_ssize_t size = round_up(max(max_size, 1), HUGE if max_size >= HUGE else PAGE)
        self.data = map_anonymous(size, PROT_NONE)
        self.storage, self.reserved, self.max_size_ = RESERVED, size, max_size
        self._advise(size)
        return 0

    cdef Py_ssize_t _storage_size(self, Py_ssize_t n) noexcept:
        """What capacity the storage for n bytes has: exact on the heap, whole pages mapped."""
        if n == 0:
            return 0
        if n < MAP_MIN and self.storage != RESERVED:
            return n
        if n < HUGE:
            return round_up(n, PAGE)
        if self.storage == RESERVED:
            return min(round_up(n, HUGE), self.reserved)
        return round_up(n, HUGE)

    cdef inline int _room(self, Py_ssize_t needed) except -1:
        """Make capacity at least needed bytes, growing geometrically."""
        if needed > self.capacity_:
            self._grow(needed)
        return 0

    cdef int _grow(self, Py_ssize_t needed) except -1:
        """Grow capacity to at least needed, by half again what it was where that is possible."""
        if needed > self.max_size_:
            raise MemoryError(f"{needed} bytes is more than this buffer's max_size={self.max_size_}"
                              if self.storage == RESERVED else
                              f"{needed} bytes is larger than any mapping can be")
        cdef Py_ssize_t target = min(max(needed, self.capacity_ + (self.capacity_ >> 1)),
                                     self.max_size_)
        try:
            self._set_capacity(self._storage_size(target))
        except MemoryError:
            if target == needed:
                raise
            self._set_capacity(self._storage_size(needed))
        return 0

    cdef int _set_capacity(self, Py_ssize_t capacity) except -1:
        """Give the storage room for exactly capacity (>= length) bytes, keeping the bytes."""
        if capacity == self.capacity_:
            return 0
        if self.storage == RESERVED:
            return self._commit(capacity)
        if self.storage == MAPPED and capacity >= MAP_MIN:
            return self._remap(capacity)
        return self._move_to(capacity)

    cdef int _remap(self, Py_ssize_t capacity) except -1:
        """Resize the mapping: in place if the kernel can, else moved if nothing pins it."""
        cdef void *p = remap_resize(self.data, self.capacity_, capacity, 0)
        if p == MAP_FAILED:
            if self.exports_:
                raise self._pinned(f"move it to grow to {capacity} bytes")
            p = remap_resize(self.data, self.capacity_, capacity, 1)
            if p == MAP_FAILED:
                raise_errno(f"mremap from {self.capacity_} to {capacity} bytes failed")
        self.data = <char *>p
        self.capacity_ = capacity
        self.dirty = min(self.dirty, capacity)
        self._advise(capacity)
        return 0

    cdef int _commit(self, Py_ssize_t capacity) except -1:
        """Make the first capacity bytes of the reservation writable and free the rest."""
        cdef Py_ssize_t old = self.capacity_
        if capacity > old and mprotect(self.data + old, capacity - old, PROT_READ | PROT_WRITE):
            raise_errno(f"mprotect of {capacity - old} bytes failed")
        if capacity < old:
            madvise(self.data + capacity, old - capacity, MADV_DONTNEED)
            mprotect(self.data + capacity, old - capacity, PROT_NONE)
            self.dirty = min(self.dirty, capacity)
        self.capacity_ = capacity
        return 0

    cdef int _move_to(self, Py_ssize_t capacity) except -1:
        """Copy the bytes into new storage of the kind that suits capacity, then free the old."""
        cdef char *fresh
        if self.exports_ and self.capacity_:
            raise self._pinned(f"move it to {capacity} bytes of new storage")
        if self.storage == HEAP and 0 < capacity < MAP_MIN:
            fresh = <char *>PyMem_Realloc(self.data, capacity)
            if fresh == NULL:
                raise MemoryError(f"cannot allocate {capacity} bytes")
            self.data, self.capacity_, self.dirty = fresh, capacity, capacity
            return 0
        if capacity == 0:
            fresh = EMPTY
        elif capacity < MAP_MIN:
            fresh = <char *>PyMem_Malloc(capacity)
            if fresh == NULL:
                raise MemoryError(f"cannot allocate {capacity} bytes")
        else:
            fresh = map_anonymous(capacity, PROT_READ | PROT_WRITE)
        memcpy(fresh, self.data, self.length)
        self._release_storage()
        self.data, self.capacity_ = fresh, capacity
        self.storage = NONE if capacity == 0 else HEAP if capacity < MAP_MIN else MAPPED
        self.dirty = self.length if self.storage == MAPPED else capacity
        self._advise(capacity)
        return 0

    cdef void _advise(self, Py_ssize_t size) noexcept:
        """Ask for transparent huge pages on a large mapping, or ask for none."""
        if self.storage != NONE and self.storage != HEAP and (size >= HUGE or not self.hugepages):
            madvise(self.data, size, MADV_HUGEPAGE if self.hugepages else MADV_NOHUGEPAGE)

    cdef void _release_storage(self) noexcept:
        """Free the storage; data is left dangling for the caller to replace."""
        if self.storage == HEAP:
            PyMem_Free(self.data)
        elif self.storage == MAPPED:
            munmap(self.data, self.capacity_)
        elif self.storage == RESERVED:
            munmap(self.data, self.reserved)
        self.storage = NONE

    cdef object _pinned(self, str action):
        return BufferError(f"cannot {action}: {self.exports_} buffer export(s) alive "
                           f"(memoryview, numpy array, ...); release them first")

    cdef inline int _check_open(self) except -1:
        if self.data == NULL:
            raise ValueError("operation on a closed remap.Buffer")
        return 0

    # -- length --

    cdef int _set_length(self, Py_ssize_t n) except -1:
        """Set the length; new bytes read as zero, and a shrink gives back unused room."""
        if n > self.length:
            self._room(n)
            if self.dirty > self.length:
                memset(self.data + self.length, 0, min(n, self.dirty) - self.length)
            self.dirty = max(self.dirty, n)
        elif n < self.length:
            if self.exports_:
                raise self._pinned(f"shrink it from {self.length} to {n} bytes")
            if n <= self.capacity_ >> 1 and self.storage != RESERVED:
                self.length = n
                self._set_capacity(self._storage_size(n))
        self.length = n
        return 0

    cdef int _append_bytes(self, const char *src, Py_ssize_t n) except -1:
        """Copy n bytes from src (which must not point into this buffer) to the end."""
        cdef Py_ssize_t end = self.length + n
        if end > self.capacity_:
            self._grow(end)
        memcpy(self.data + self.length, src, n)
        self.length = end
        if end > self.dirty:
            self.dirty = end
        return 0

    cdef int _extend_buffer(self, object source) except -1:
        """Append the bytes of a bytes-like object (one memcpy, a copy first if it aliases us)."""
        cdef Py_buffer view
        try:
            PyObject_GetBuffer(source, &view, PyBUF_SIMPLE)
        except BufferError:
            source = memoryview(source).tobytes()
            PyObject_GetBuffer(source, &view, PyBUF_SIMPLE)
        try:
            self._check_open()
            if not self.data <= <char *>view.buf < self.data + self.capacity_:
                return self._append_bytes(<char *>view.buf, view.len)
            source = PyBytes_FromStringAndSize(<char *>view.buf, view.len)  # it aliases us
        finally:
            PyBuffer_Release(&view)
        return self._append_bytes(PyBytes_AS_STRING(source), PyBytes_GET_SIZE(source))

    # -- the public face: size and storage --

    def __len__(self):
        self._check_open()
        return self.length

    @property
    def capacity(self):
        """Bytes the buffer can hold before it needs a system call or a copy."""
        self._check_open()
        return self.capacity_

    @property
    def max_size(self):
        """The most bytes this buffer may hold: its reservation, or None when it has none."""
        self._check_open()
        return self.max_size_ if self.storage == RESERVED else None

    @property
    def address(self):
        """The current base address as an int (it changes when the mapping moves); 0 when none."""
        return 0 if self.data == NULL or self.data == EMPTY else <size_t>self.data

    @property
    def exports(self):
        """The number of live buffer exports (memoryviews, numpy arrays, ...)."""
        return self.exports_

    @property
    def closed(self):
        """True once close() has run."""
        return self.data == NULL

    @property
    def mapped(self):
        """True when the bytes live in a mapping of their own, False for small heap buffers."""
        self._check_open()
        return self.storage == MAPPED or self.storage == RESERVED

    @cython.critical_section
    def resize(self, size):
        """Set the length to size bytes, like realloc: the first min(len, size) stay, new bytes are 0.

        Raises BufferError if exports are alive and it would have to move or shrink.
        """
        cdef Py_ssize_t n = size_arg(size, "size")
        self._check_open()
        self._set_length(n)

    @cython.critical_section
    def reserve(self, size):
        """Make capacity at least size bytes; the length stays."""
        cdef Py_ssize_t n = size_arg(size, "size")
        self._check_open()
        if n > self.max_size_:
            raise MemoryError(f"{n} bytes is more than this buffer's max_size={self.max_size_}")
        if n > self.capacity_:
            self._set_capacity(self._storage_size(n))

    @cython.critical_section
    def shrink_to_fit(self):
        """Give back the room past the length (a small buffer moves to the heap)."""
        self._check_open()
        self._set_capacity(self._storage_size(self.length))

    @cython.critical_section
    def close(self):
        """Free the memory; idempotent. Raises BufferError while exports are alive."""
        if self.data == NULL:
            return
        if self.exports_:
            raise self._pinned("close it")
        self._release_storage()
        self.data = NULL
        self.length = self.capacity_ = self.dirty = self.reserved = 0

    def __enter__(self):
        self._check_open()
        return self

    # -- the Python layer's entry points: views and arrays keep offsets, never addresses --

    def view(self, offset=0, length=None):
        """A remap.View of length bytes from offset (None: to the end), valid across moves."""
        from remap._view import View
        return View(self, offset, length)

    def pinned(self):
        """A context manager whose memoryview of the whole buffer pins it for the block."""
        from remap._view import View
        return View(self)

    def asarray(self, dtype="u1", offset=0, count=-1):
        """A zero-copy numpy array of count items (-1: all) from byte offset.

        The array pins the buffer while it lives (growth must then happen in place), except
        that a max_size buffer keeps growing inside its reservation. Raises ValueError for a
        misaligned offset or a byte count that is not a multiple of the itemsize.
        """
        from remap._numpy import asarray
        return asarray(self, dtype, offset, count)

    def __exit__(self, *exc_info):
        self.close()

    # -- the buffer protocol --

    @cython.critical_section
    def __getbuffer__(self, Py_buffer *buffer, int flags):
        self._check_open()
        buffer.buf = self.data
        buffer.obj = self
        buffer.len = self.length
        buffer.readonly = 0
        buffer.itemsize = 1
        buffer.format = BYTE_FORMAT if flags & PyBUF_FORMAT else NULL
        buffer.ndim = 1
        buffer.shape = &buffer.len if (flags & PyBUF_ND) == PyBUF_ND else NULL
        buffer.strides = &buffer.itemsize if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else NULL
        buffer.suboffsets = NULL
        buffer.internal = NULL
        self.exports_ += 1

    @cython.critical_section
    def __releasebuffer__(self, Py_buffer *buffer):
        self.exports_ -= 1

    # -- bytes in, bytes out --

    @cython.critical_section
    def append(self, item):
        """Append one byte, an int in range(0, 256)."""
        cdef char byte = <char>byte_arg(item)
        self._check_open()
        self._append_bytes(&byte, 1)

    @cython.critical_section
    def extend(self, iterable_of_ints):
        """Append a bytes-like object (one memcpy) or the ints an iterable yields."""
        source = iterable_of_ints
        self._check_open()
        if type(source) is bytes:
            self._append_bytes(PyBytes_AS_STRING(source), PyBytes_GET_SIZE(source))
        elif PyObject_CheckBuffer(source):
            self._extend_buffer(source)
        else:
            self._extend_buffer(bytearray(iterate(source, "extend remap.Buffer with")))

    @cython.critical_section
    def __iadd__(self, other):
        self._check_open()
        if type(other) is bytes:
            self._append_bytes(PyBytes_AS_STRING(other), PyBytes_GET_SIZE(other))
        elif PyObject_CheckBuffer(other):
            self._extend_buffer(other)
        else:
            raise TypeError(f"can't concat {type_name(other)} to remap.Buffer")
        return self

    def __bytes__(self):
        self._check_open()
        return PyBytes_FromStringAndSize(self.data, self.length)

    @cython.critical_section
    def __getitem__(self, index):
        cdef Py_ssize_t i, start, stop, step, count
        if isinstance(index, slice):
            PySlice_Unpack(index, &start, &stop, &step)
            self._check_open()
            count = PySlice_AdjustIndices(self.length, &start, &stop, step)
            if step == 1:
                return Buffer.from_memory(self.data + start, count)
            result = Buffer.from_memory(NULL, count)
            for i in range(count):
                (<Buffer>result).data[i] = self.data[start + i * step]
            return result
        i = PyNumber_AsSsize_t(index, <PyObject *>IndexError)
        self._check_open()
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("remap.Buffer index out of range")
        return <unsigned char>self.data[i]

    @cython.critical_section
    def __setitem__(self, index, value):
        cdef Py_ssize_t i = PyNumber_AsSsize_t(index, <PyObject *>IndexError)
        cdef char byte = <char>byte_arg(value)
        self._check_open()
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("remap.Buffer assignment index out of range")
        self.data[i] = byte

    @staticmethod
    cdef Buffer from_memory(const char *src, Py_ssize_t n):
        """A new Buffer holding a copy of n bytes at src, or n zero bytes if src is NULL."""
        cdef Buffer result = Buffer.__new__(Buffer)
        if src == NULL:
            result._set_length(n)
        else:
            result._append_bytes(src, n)
        return result

    def __richcmp__(self, other, int op):
        cdef Py_buffer view
        cdef int order
        if not PyObject_CheckBuffer(other):
            return NotImplemented
        PyObject_GetBuffer(other, &view, PyBUF_SIMPLE)
        try:
            self._check_open()
            order = memcmp(self.data, view.buf, min(self.length, view.len))
            if order == 0:
                order = (self.length > view.len) - (self.length < view.len)
        finally:
            PyBuffer_Release(&view)
        return {Py_LT: order < 0, Py_LE: order <= 0, Py_EQ: order == 0,
                Py_NE: order != 0, Py_GT: order > 0, Py_GE: order >= 0}[op]

    __hash__ = None

    def __repr__(self):
        if self.data == NULL:
            return "<closed remap.Buffer>"
        head = PyBytes_FromStringAndSize(self.data, min(self.length, 64))
        more = f" + {self.length - 64} more bytes" if self.length > 64 else ""
        kind = ("heap", "heap", "mapped", f"reserved max_size={self.max_size_}")[self.storage]
        pins = f", exports={self.exports_}" if self.exports_ else ""
        return f"remap.Buffer({head!r}{more}, capacity={self.capacity_}, {kind}{pins})"
