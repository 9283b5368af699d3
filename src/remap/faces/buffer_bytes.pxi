# What Buffer's one-line methods run on its bytes, in C: extended slices, counting, affixes,
# comparison, repetition in place, and the repr.


cdef Buffer gather(Buffer buf, Py_ssize_t start, Py_ssize_t step, Py_ssize_t count):
    """buf[start::step], count bytes, as a new Buffer."""
    cdef Buffer result = buf._derived(NULL, count, None)
    cdef Py_ssize_t i
    for i in range(count):
        result.data[i] = buf.data[start + i * step]
    return result


cdef int scatter(Buffer buf, Py_ssize_t start, Py_ssize_t step, Py_ssize_t count,
                 bytes data) except -1:
    """buf[start::step] = data (count bytes of it; none deletes the slice, as bytearray's does)."""
    cdef const char *src = data
    cdef Py_ssize_t i
    if len(data) == 0:
        buf._delete_extended(start, step, count)
        return 0
    if len(data) != count:
        raise ValueError(f"attempt to assign bytes of size {len(data)} "
                         f"to extended slice of size {count}")
    for i in range(count):
        buf.data[start + i * step] = src[i]
    return 0


cdef Py_ssize_t count_in(Buffer buf, object sub, object start, object end) except -1:
    """The number of non-overlapping occurrences of sub in buf[start:end]."""
    cdef Py_ssize_t lo, hi, total = 0
    cdef const char *found
    cdef bytes needle = needle_bytes(sub)
    cdef Py_ssize_t n = len(needle)
    buf._range(start, end, &lo, &hi)
    if hi - lo < n:
        return 0
    if n == 0:
        return hi - lo + 1
    while True:
        found = <const char *>memmem(buf.data + lo, hi - lo, <const char *>needle, n)
        if found == NULL:
            return total
        total += 1
        lo = found - buf.data + n


cdef bint affix_matches(Buffer buf, object affix, object start, object end, bint at_end) except -1:
    """True if the bytes-like affix (or one of a tuple of them) starts or ends buf[start:end]."""
    cdef Py_ssize_t lo, hi
    choices = affix if isinstance(affix, tuple) else (affix,)
    name = "endswith" if at_end else "startswith"
    for choice in choices:
        if not PyObject_CheckBuffer(choice):
            raise TypeError(f"{name} first arg must be bytes or a tuple of bytes, "
                            f"not {type_name(choice)}")
        text = memoryview(choice).tobytes()
        buf._range(start, end, &lo, &hi)
        if lo <= buf.length and hi - lo >= len(text) and memcmp(
                buf.data + (hi - len(text) if at_end else lo), <const char *>text, len(text)) == 0:
            return True
    return False


cdef object compare(Buffer buf, object other, int op):
    """buf's bytes against a bytes-like other's, for the comparison op (NotImplemented if other
    is not bytes-like)."""
    cdef Py_buffer view
    cdef int order
    if not PyObject_CheckBuffer(other):
        return NotImplemented
    PyObject_GetBuffer(other, &view, PyBUF_SIMPLE)
    try:
        buf._sync_open()
        order = memcmp(buf.data, view.buf, min(buf.length, view.len))
        if order == 0:
            order = (buf.length > view.len) - (buf.length < view.len)
    finally:
        PyBuffer_Release(&view)
    return {Py_LT: order < 0, Py_LE: order <= 0, Py_EQ: order == 0,
            Py_NE: order != 0, Py_GT: order > 0, Py_GE: order >= 0}[op]


cdef int repeat_in_place(Buffer buf, Py_ssize_t n) except -1:
    """buf *= n: its bytes n times over (none if n <= 0), each copy doubling what is there."""
    cdef Py_ssize_t unit = buf.length, done
    buf._sync_writable()
    if n <= 0 or unit == 0:
        buf._set_length(0)
        return 0
    if n > MAX_BYTES // unit:
        raise MemoryError(f"{unit} bytes repeated {n} times is larger than any mapping can be")
    buf._room(unit * n)
    done = unit
    while done < unit * n:  # doubling: each memcpy copies what is there already
        memcpy(buf.data + done, buf.data, min(done, unit * n - done))
        done += min(done, unit * n - done)
    buf._set_len(unit * n)
    buf._mark_dirty(buf.length)
    return 0


cdef str describe(Buffer buf):
    """repr(buf): up to 64 of its bytes (none of a secret), its capacity, kind and exports."""
    name = "remap.Buffer" if type(buf) is Buffer else type(buf).__name__
    if buf.data == NULL:
        return f"<closed {name}>"
    head = PyBytes_FromStringAndSize(buf.data, min(buf.length, 64)) if not \
        buf.storage.secret else f"<{buf.length} secret bytes>"
    more = f" + {buf.length - 64} more bytes" if buf.length > 64 and not \
        buf.storage.secret else ""
    kind = buf.storage.kind() + (f" max_size={buf.max_size_}" if buf.max_size is not None else "")
    pins = f", exports={buf.exports_}" if buf.exports_ else ""
    shown = head if buf.storage.secret else repr(head)
    return f"{name}({shown}{more}, capacity={buf.capacity_}, {kind}{pins})"
