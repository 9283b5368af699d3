# Buffer: bytearray's API on BufferCore. What its one-line methods run on the bytes (counting,
# affixes, comparison, repetition, repr) is in buffer_bytes.pxi; its iterator, borrowed text
# methods and slot patch in buffer_parts.pxi; the kept small buffers in kept.pxi.

# hex()'s default: no separator (None is not one: bytearray.hex(None) raises TypeError).
cdef object NO_SEPARATOR = object()


@cython.no_gc  # it adds no object field (subclasses get GC)
cdef class Buffer(BufferCore):
    """A growable, mutable byte buffer whose memory comes from mmap and grows with mremap.

    Buffer() is empty; Buffer(n) is n zero bytes; Buffer(bytes_like), Buffer(iterable_of_ints)
    and Buffer(str, encoding[, errors]) copy, as bytearray does. Keyword-only: capacity reserves
    room up front, hugepages=False keeps transparent huge pages off, and max_size reserves address
    space so the buffer grows in place, never moving, up to max_size bytes.
    """

    @cython.critical_section
    def __init__(self, source=None, encoding=None, errors=None, *, capacity=0,
                 bint hugepages=True, max_size=None, bint secret=False, bint strict=True,
                 bint secretmem=False):
        cdef Storage storage = NO_STORAGE
        cdef Py_ssize_t most = 0
        if (secret or secretmem) and max_size is not None:
            raise ValueError("a secret buffer cannot take max_size: it grows by moving")
        if secret or secretmem:
            storage = SecretStorage.allocate(PAGE, strict, secretmem)
        elif max_size is not None:
            most = size_arg(max_size, "max_size")
            storage = ReservedStorage.allocate(most, hugepages)
        self._start_over(storage, most)
        self.hugepages = hugepages
        if capacity != 0:
            self._reserve(size_arg(capacity, "capacity"))
        if source is not None or encoding is not None or errors is not None:
            self._init_from(source, encoding, errors)

    cdef inline bint _start_small(self, Py_ssize_t n) except -1:
        """Take heap storage of exactly n bytes (the bytes to be written by the caller), if this
        is a new buffer and n is small; False, changing nothing, otherwise."""
        if self.storage is not NO_STORAGE or n >= MAP_MIN:
            return False
        cdef Storage storage = take_kept_region(n)
        self._adopt(anonymous_storage(n, self.hugepages) if storage is None else storage, 0)
        self._mark_dirty(n)
        self._set_len(n)
        return True

    cdef int _init_from(self, source, encoding, errors) except -1:
        """Fill a new buffer from a constructor argument, as bytearray's constructor does."""
        cdef Py_ssize_t n
        if isinstance(source, str):
            if encoding is None:
                raise TypeError("string argument without an encoding")
            self._extend(source.encode(encoding, "strict" if errors is None else errors))
        elif encoding is not None or errors is not None:
            raise TypeError(("encoding" if encoding is not None else "errors")
                            + " without a string argument")
        elif (n := exact_small_int(source, MAP_MIN)) >= 0 and self._start_small(n):
            zero_bytes(self.storage, self.data, n)  # Buffer(n), the common case, without the growth path
        elif type(source) is bytes and self._start_small(PyBytes_GET_SIZE(source)):
            copy_bytes(self.storage, self.data, None, PyBytes_AS_STRING(source), self.length)
        elif (count := as_count(source)) is not None:
            self._set_length(size_arg(count, "size"))
        else:
            self._extend(source)
        return 0

    # -- the public face: size and storage --

    def __len__(self):
        self._sync_open()
        return self.length

    @property
    def capacity(self):
        """Bytes the buffer can hold before it needs a system call or a copy."""
        self._sync_open()
        return self.capacity_

    @property
    def max_size(self):
        """The most bytes this buffer may hold: its reservation, or None when it has none."""
        self._sync_open()
        return None if self.max_size_ >= MAX_BYTES else self.max_size_

    @property
    def address(self):
        """The first live byte's address as an int (it changes when the mapping moves); 0 when none."""
        return 0 if self.data == NULL or self.data == EMPTY else <size_t>self.data

    @property
    def protection(self):
        """For a secret buffer, what the kernel granted: {"locked", "no_dump", "wipe_on_fork",
        "guard_pages", "secretmem": bool} (and "unavailable": why, if strict=False took less);
        None for other buffers."""
        self._sync_open()
        return self.storage.protection()

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
        self._sync_open()
        return self.storage.mapped

    @cython.critical_section
    def resize(self, size, /):
        """Set the length to size bytes, like realloc: the first min(len, size) stay, new bytes are 0.

        Raises BufferError if exports are alive and it would have to move or shrink.
        """
        cdef Py_ssize_t n = PyLong_AsSsize_t(PyNumber_Index(size))  # bytearray.resize's errors
        if n < 0:
            raise ValueError(f"Can only resize to positive sizes, got {n}")
        n = size_arg(n, "size")
        self._sync_writable()
        self._set_length(n)

    @cython.critical_section
    def take_bytes(self, n=None, /):
        """Remove the first n bytes (default: all; negative: all but the last -n) and return them.

        O(n): the bytes after them do not move. IndexError if n is out of range, BufferError
        while exports are alive, TypeError unless n is an int or None (as bytearray's, 3.15).
        """
        cdef Py_ssize_t count
        if n is not None and not PyIndex_Check(n):
            raise TypeError("n must be an integer or None")
        count = -1 if n is None else PyNumber_AsSsize_t(n, <PyObject *>IndexError)
        self._sync_writable()
        if n is None:
            count = self.length
        elif count < 0:
            count += self.length
        if not 0 <= count <= self.length:
            raise IndexError(f"can't take {count} bytes outside size {self.length}")
        if self.exports_:
            raise self._pinned(f"take {count} bytes from it")
        taken = bytes_from(self.storage, self.data, count)
        self._consume(count)
        return taken

    @cython.critical_section
    def writable(self, n=0, /):
        """A writable memoryview of n bytes past the end (0: all the spare capacity), growing the
        capacity first; write into it, then commit(k). It pins the buffer while it lives."""
        cdef Py_ssize_t wanted = size_arg(n, "n")
        cdef SpareView spare = SpareView.__new__(SpareView)  # may run a collection: first
        self._sync_writable()
        if wanted > self.max_size_ - self.length:
            raise MemoryError(f"{wanted} more bytes do not fit in this buffer's max_size")
        return self._writable(spare, wanted)

    @cython.critical_section
    def commit(self, n, /):
        """Make the first n bytes of what writable() handed out part of the buffer."""
        cdef Py_ssize_t count = size_arg(n, "n")
        self._sync_writable()
        self._commit(count)

    @cython.critical_section
    def reserve(self, size):
        """Make capacity at least size bytes; the length stays."""
        cdef Py_ssize_t n = size_arg(size, "size")
        self._sync_writable()
        self._reserve(n)

    @cython.critical_section
    def shrink_to_fit(self):
        """Give back the room past the length (a small buffer moves to the heap)."""
        self._sync_writable()
        if self.head and not self.exports_:
            self._compact()
        self._reshape(self.length)

    @cython.critical_section
    def close(self):
        """Free the memory; idempotent. Raises BufferError while exports are alive."""
        self._wait_idle()
        if self.data == NULL:
            return
        if self.exports_:
            raise self._pinned("close it")
        self._free()
        self.data = NULL

    def __enter__(self):
        self._sync_open()
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

    # -- bytes in, bytes out --

    @cython.critical_section
    def append(self, item, /):
        """Append one byte, an int in range(0, 256)."""
        cdef char byte = <char>byte_arg(item)
        self._sync_writable()
        self._append_bytes(&byte, 1, None)

    @cython.critical_section
    def extend(self, iterable_of_ints, /):
        """Append a bytes-like object (one memcpy) or the ints an iterable yields."""
        self._sync_writable()
        self._extend(iterable_of_ints)

    @cython.critical_section
    def write_at(self, offset, data, /):
        """Write a bytes-like object at offset, like pwrite: a gap past the end reads as zeros.

        Returns the number of bytes written.
        """
        cdef Py_ssize_t at = size_arg(offset, "offset")
        if not PyObject_CheckBuffer(data):
            raise TypeError(f"a bytes-like object is required, not '{type_name(data)}'")
        return self._overwrite_from(at, data)

    @cython.critical_section
    def __iadd__(self, other):
        self._sync_writable()
        if not self._append_bytes_like(other):
            raise TypeError(f"can't concat {type_name(other)} to remap.Buffer")
        return self

    def __bytes__(self):
        # 3.15 only (buffer_parts.pxi removes it before): there bytes() would copy the buffer
        # export through a PyBytesWriter, whose small inline buffer keeps a copy of a secret
        # nobody can wipe; bytes() of a Buffer is one copy, made here.
        self._sync_open()
        return bytes_from(self.storage, self.data, self.length)

    @cython.critical_section
    def __getitem__(self, index):
        cdef Py_ssize_t i, start, stop, step, count
        if isinstance(index, slice):
            PySlice_Unpack(index, &start, &stop, &step)
            self._sync_open()
            count = PySlice_AdjustIndices(self.length, &start, &stop, step)
            if step == 1:
                return self._derived(self.data + start, count, self.storage)
            return gather(self, start, step, count)
        i = self._checked_index(PyNumber_AsSsize_t(index, <PyObject *>IndexError))
        return <unsigned char>self.data[i]

    @cython.critical_section
    def __setitem__(self, index, value):
        cdef Py_ssize_t start, stop, step, count
        cdef char byte
        self._sync_writable()
        if not isinstance(index, slice):
            start = PyNumber_AsSsize_t(index, <PyObject *>IndexError)
            byte = <char>byte_arg(value)
            self._sync_writable()  # __index__ may have closed it, or opened it again read-only
            self.data[self._checked_index(start)] = byte
            return
        PySlice_Unpack(index, &start, &stop, &step)
        source = assignable(value)
        if step != 1:  # take the bytes first: an exporter's callback may resize us
            source = bytes(memoryview(source))
        self._sync_writable()
        count = PySlice_AdjustIndices(self.length, &start, &stop, step)
        if step == 1:
            self._replace_from(start, max(start, stop), source)
            return
        scatter(self, start, step, count, source)

    @cython.critical_section
    def __delitem__(self, index):
        cdef Py_ssize_t start, stop, step, count
        self._sync_writable()
        if not isinstance(index, slice):
            start = PyNumber_AsSsize_t(index, <PyObject *>IndexError)
            self._sync_writable()  # __index__ may have closed it, or opened it again read-only
            start = self._checked_index(start)
            self._replace(start, start + 1, NULL, 0, None)
            return
        PySlice_Unpack(index, &start, &stop, &step)
        self._sync_writable()
        count = PySlice_AdjustIndices(self.length, &start, &stop, step)
        if step == 1:
            self._replace(start, max(start, stop), NULL, 0, None)
        else:
            self._delete_extended(start, step, count)

    @cython.critical_section
    def insert(self, index, item, /):
        """Insert one byte before index."""
        cdef Py_ssize_t i = PyNumber_AsSsize_t(index, <PyObject *>OverflowError)
        cdef char byte = <char>byte_arg(item)
        self._sync_writable()
        if i < 0:
            i = max(i + self.length, 0)
        i = min(i, self.length)
        self._replace(i, i, &byte, 1, None)

    @cython.critical_section
    def pop(self, index=-1, /):
        """Remove and return the byte at index (default: the last)."""
        cdef Py_ssize_t i = PyNumber_AsSsize_t(index, <PyObject *>IndexError)
        self._sync_writable()
        if self.length == 0:
            raise IndexError("pop from empty remap.Buffer")
        i = self._checked_index(i)
        cdef unsigned char value = self.data[i]
        self._replace(i, i + 1, NULL, 0, None)
        return value

    @cython.critical_section
    def remove(self, value, /):
        """Remove the first occurrence of a byte; ValueError if there is none."""
        cdef char byte = <char>byte_arg(value)
        self._sync_writable()
        cdef const char *found = <const char *>memchr(self.data, byte, self.length)
        if found == NULL:
            raise ValueError("value not found in remap.Buffer")
        self._replace(found - self.data, found - self.data + 1, NULL, 0, None)

    @cython.critical_section
    def reverse(self):
        """Reverse the bytes in place."""
        cdef Py_ssize_t i
        cdef char byte
        self._sync_writable()
        for i in range(self.length // 2):
            byte = self.data[i]
            self.data[i] = self.data[self.length - 1 - i]
            self.data[self.length - 1 - i] = byte

    @cython.critical_section
    def clear(self):
        """Remove every byte."""
        self._sync_writable()
        self._set_length(0)

    @cython.critical_section
    def copy(self):
        """A new Buffer with the same bytes."""
        self._sync_open()
        return self._derived(self.data, self.length, self.storage)

    def __copy__(self):
        return self.copy() if type(self) is Buffer else copy_by_reduce(self, None)

    def __deepcopy__(self, memo):
        return self.copy() if type(self) is Buffer else copy_by_reduce(self, memo)

    def __reduce_ex__(self, protocol):
        """type(self)(the bytes), with a subclass's attributes as state, as bytearray pickles."""
        self._sync_open()
        state = None if type(self) is Buffer else self.__getstate__()
        return type(self), (PickleBuffer(self) if protocol >= 5 else bytes(self),), state

    def __alloc__(self):
        """The bytes allocated: the capacity."""
        self._sync_open()
        return self.capacity_

    def __sizeof__(self):
        return object.__sizeof__(self) + (0 if self.storage.mapped else self.storage.size)

    # -- searching, in C --

    def find(self, sub, start=None, end=None, /):
        """The lowest index of sub (bytes-like or int) in [start:end], or -1."""
        return self._find(sub, start, end, False)

    def rfind(self, sub, start=None, end=None, /):
        """The highest index of sub (bytes-like or int) in [start:end], or -1."""
        return self._find(sub, start, end, True)

    def index(self, sub, start=None, end=None, /):
        """Like find, but raises ValueError when sub is absent."""
        cdef Py_ssize_t i = self._find(sub, start, end, False)
        if i < 0:
            raise ValueError("subsection not found")
        return i

    def rindex(self, sub, start=None, end=None, /):
        """Like rfind, but raises ValueError when sub is absent."""
        cdef Py_ssize_t i = self._find(sub, start, end, True)
        if i < 0:
            raise ValueError("subsection not found")
        return i

    def count(self, sub, start=None, end=None, /):
        """The number of non-overlapping occurrences of sub in [start:end]."""
        return count_in(self, sub, start, end)

    def __contains__(self, sub):
        return self._find(sub, None, None, False) >= 0

    def startswith(self, prefix, start=None, end=None, /):
        """True if [start:end] begins with prefix (bytes-like, or a tuple of them)."""
        return affix_matches(self, prefix, start, end, False)

    def endswith(self, suffix, start=None, end=None, /):
        """True if [start:end] ends with suffix (bytes-like, or a tuple of them)."""
        return affix_matches(self, suffix, start, end, True)

    # -- arithmetic --

    def __add__(self, other):
        if not PyObject_CheckBuffer(other):
            return NotImplemented
        result = self.copy()
        result += other
        return result

    def __mul__(self, times):
        result = self.copy()
        result *= times
        return result

    def __rmul__(self, times):
        return self * times

    @cython.critical_section
    def __imul__(self, times):
        repeat_in_place(self, PyNumber_AsSsize_t(times, <PyObject *>OverflowError))
        return self

    def __mod__(self, values):
        if self.storage.secret:  # piece by piece: no copy of the secret left anywhere
            return format_secret(self, values)
        return Buffer(bytes(self) % values)

    def __iter__(self):
        return ByteIterator(self)

    @classmethod
    def fromhex(cls, string, /):
        """A Buffer from a string of hexadecimal digits (whitespace allowed between bytes)."""
        return cls(bytes.fromhex(string))

    maketrans = staticmethod(bytes.maketrans)

    cdef Buffer _derived(self, const char *src, Py_ssize_t n, Storage source):
        """A new Buffer of n bytes from src (zeros if NULL), as protected as this one's bytes
        (a slice, copy or sum of a secret buffer is secret too)."""
        if not self.storage.secret:  # the common case, without a virtual call
            return Buffer.from_memory(src, n, source)
        self.exports_ += 1  # a pin: making the copy's storage can run a collection
        try:
            sibling = self.storage.sibling()
            result = Buffer.__new__(Buffer)
            (<Buffer>result)._start_over(sibling, 0)
            if src == NULL:
                (<Buffer>result)._set_length(n)
            else:
                (<Buffer>result)._append_bytes(src, n, source)
            return result
        finally:
            self.exports_ -= 1

    @staticmethod
    cdef Buffer from_memory(const char *src, Py_ssize_t n, Storage source):
        """A new Buffer holding a copy of n bytes at src, or n zero bytes if src is NULL."""
        cdef Buffer result = take_kept(n)
        if result is None:
            result = Buffer.__new__(Buffer)
            if not result._start_small(n):  # large: the growth path (fresh mappings read as zeros)
                if src == NULL:
                    result._set_length(n)
                else:
                    result._append_bytes(src, n, source)
                return result
        if src == NULL:
            zero_bytes(result.storage, result.data, n)
        else:
            copy_bytes(result.storage, result.data, source, src, n)
        return result

    def __richcmp__(self, other, int op):
        return compare(self, other, op)

    __hash__ = None

    def hex(self, sep=NO_SEPARATOR, bytes_per_sep=1):
        """The bytes as hexadecimal digits, with sep between every bytes_per_sep bytes if given."""
        with memoryview(self) as view:
            return view.hex() if sep is NO_SEPARATOR else view.hex(sep, bytes_per_sep)

    def __repr__(self):
        return describe(self)
