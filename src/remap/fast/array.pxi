# Array's C path (the Python class is remap._numpy.Array): appending one native number.


@cython.final
cdef class NumberWriter:
    """Appends one native number at a time to a Buffer: the C hot path of Array.append.

    kind is numpy's "i", "u" or "f" and size the item size; a value it cannot store exactly
    (wrong type, out of range) goes to fallback, which decides as numpy would.
    """

    cdef readonly Buffer buffer
    cdef char kind
    cdef Py_ssize_t size
    cdef object fallback

    def __cinit__(self, Buffer buffer not None, str kind, Py_ssize_t size, fallback):
        if size not in {"i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (4, 8)}.get(kind, ()):
            raise ValueError(f"no native {kind}{size} numbers")
        self.buffer, self.kind, self.size, self.fallback = buffer, ord(kind), size, fallback

    def append(self, value, /):
        """Append value as one item, or hand it to the fallback."""
        cdef char item[8]
        if not self._pack(value, item):
            return self.fallback(value)
        with cython.critical_section(self.buffer):
            self.buffer._sync_writable()
            self.buffer._append_bytes(item, self.size, None)

    cdef bint _pack(self, object value, char *item) except -1:
        """Write value's bytes to item; False if it is not an exactly representable int or float."""
        cdef long long whole
        cdef uint64_t natural
        cdef double real
        cdef float single
        cdef int overflow = 0
        if self.kind == b"f":
            if type(value) is not float and type(value) is not int:
                return False
            real = PyFloat_AsDouble(value) if type(value) is float else PyLong_AsDouble(value)
            if self.size == 8:
                memcpy(item, &real, 8)
            elif -FLT_MAX <= real <= FLT_MAX or real != real:
                single = <float>real
                memcpy(item, &single, 4)
            else:
                return False  # numpy decides about overflow to inf
            return True
        if type(value) is not int:
            return False
        if self.kind == b"i":
            whole = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow or not fits_signed(whole, self.size):
                return False
            store_low_bytes(item, <uint64_t>whole, self.size)
            return True
        if value < 0 or value.bit_length() > 64:
            return False
        natural = PyLong_AsUnsignedLongLong(value)
        if not fits_unsigned(natural, self.size):
            return False
        store_low_bytes(item, natural, self.size)
        return True


cdef inline bint fits_signed(long long value, Py_ssize_t size) noexcept:
    return size == 8 or -(1LL << (8 * size - 1)) <= value < (1LL << (8 * size - 1))


cdef inline bint fits_unsigned(unsigned long long value, Py_ssize_t size) noexcept:
    return size == 8 or value < (1ULL << (8 * size))


cdef inline void store_low_bytes(char *item, uint64_t value, Py_ssize_t size) noexcept:
    """The low size bytes of value, in native byte order: a native integer of size bytes."""
    memcpy(item, (<char *>&value) + (8 - size if REMAP_BIG_ENDIAN else 0), size)
