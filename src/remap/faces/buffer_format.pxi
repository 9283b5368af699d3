# A secret Buffer's % formatting, done piece by piece so that no copy of its bytes (or of a
# secret %b/%s argument's) is left in memory: bytes % would pass them through a bytes copy and
# its writer's buffers, which nobody can wipe. Literal runs go from the format straight into the
# result; each conversion is formatted alone, by bytes %, on the argument it takes.

cdef bytes SPEC_FLAGS = b"-+ #0"
cdef bytes SPEC_LENGTHS = b"hlL"


cdef Buffer format_secret(Buffer template, object values):
    """template % values, as bytes formats it, into a secret Buffer (template is pinned)."""
    template._sync_open()
    template.exports_ += 1  # pinned before anything is allocated: that can run a collection
    try:
        return format_pinned(template, FormatArguments(values), template._derived(NULL, 0, None))
    finally:
        template.exports_ -= 1


cdef Buffer format_pinned(Buffer template, FormatArguments arguments, Buffer result):
    """Format the pinned template into result, a new secret Buffer (closed if this fails)."""
    cdef Py_ssize_t at = 0, percent
    try:
        while at < template.length:
            found = <const char *>memchr(template.data + at, b"%", template.length - at)
            percent = template.length if found == NULL else found - template.data
            result._append_bytes(template.data + at, percent - at, template.storage)
            at = format_one(template, percent, arguments, result) if found != NULL else percent
        arguments.check_all_used()
        return result
    except BaseException:
        result.close()
        raise


cdef Py_ssize_t format_one(Buffer template, Py_ssize_t percent, FormatArguments arguments,
                           Buffer result) except -1:
    """Format the conversion at percent into result; return the offset after it."""
    cdef Py_ssize_t at = percent + 1, key_start = -1, key_end = -1, depth
    cdef Py_ssize_t stars = 0
    cdef const unsigned char *text = <const unsigned char *>template.data
    if at < template.length and text[at] == b"(":
        key_start, depth = at + 1, 1
        while depth:
            at += 1
            if at >= template.length:
                raise ValueError("incomplete format key")
            depth += (text[at] == b"(") - (text[at] == b")")
        key_end, at = at, at + 1
    while at < template.length and text[at] in SPEC_FLAGS:
        at += 1
    at, stars = spec_number(text, at, template.length, stars)
    if at < template.length and text[at] == b".":
        at, stars = spec_number(text, at + 1, template.length, stars)
    while at < template.length and text[at] in SPEC_LENGTHS:
        at += 1
    if at >= template.length:
        raise ValueError("incomplete format")
    cdef Py_ssize_t body = key_end + 1 if key_start >= 0 else percent + 1
    spec = b"%" + PyBytes_FromStringAndSize(template.data + body, at + 1 - body)
    if text[at] == b"%" and at == percent + 1:  # "%%" (with anything between, bytes takes a value)
        result._append_bytes(b"%", 1, None)
        return at + 1
    taken = [arguments.next() for _ in range(stars)]
    taken.append(arguments.keyed(template.data + key_start, key_end - key_start)
                 if key_start >= 0 else arguments.next())
    append_converted(result, spec, taken, body - 1)  # spec's i-th byte is body - 1 + i's
    return at + 1


cdef tuple spec_number(const unsigned char *text, Py_ssize_t at, Py_ssize_t end, Py_ssize_t stars):
    """Skip a width or precision (digits, or * taken from the arguments)."""
    if at < end and text[at] == b"*":
        return at + 1, stars + 1
    while at < end and b"0"[0] <= text[at] <= b"9"[0]:
        at += 1
    return at, stars


cdef int append_converted(Buffer result, bytes spec, list taken, Py_ssize_t origin) except -1:
    """Append one conversion's bytes: a secret %b or %s argument's padded here, with no copy;
    anything else formatted by bytes % (an error's index made the format's: origin + its own)."""
    value = taken[-1]
    if spec[-1:] in (b"b", b"s") and isinstance(value, Buffer) and (<Buffer>value).storage.secret:
        return append_padded(result, spec, taken, <Buffer>value)
    try:
        piece = spec % tuple(taken)
    except ValueError as error:  # its index is the conversion's own: make it the format's
        message = str(error)
        if " at index " in message:
            head, index = message.rsplit(" at index ", 1)
            message = f"{head} at index {origin + int(index)}"
        raise ValueError(message) from None
    result._append_bytes(PyBytes_AS_STRING(piece), PyBytes_GET_SIZE(piece), None)
    return 0


cdef int append_padded(Buffer result, bytes spec, list taken, Buffer value) except -1:
    """%b of a secret Buffer: its bytes, cut to the precision and padded to the width."""
    cdef Py_ssize_t width = 0, precision = -1, count, flags = 0
    body = spec[1:-1].rstrip(SPEC_LENGTHS)
    while flags < len(body) and body[flags] in SPEC_FLAGS:
        flags += 1
    numbers = iter(taken[:-1])
    width_text, dot, precision_text = body[flags:].partition(b".")
    if width_text:
        width = PyNumber_AsSsize_t(next(numbers) if width_text == b"*" else int(width_text), NULL)
    if dot:
        precision = PyNumber_AsSsize_t(next(numbers) if precision_text == b"*" else
                                       int(precision_text or b"0"), NULL)
    cdef bint left = b"-" in body[:flags] or width < 0
    value._sync_open()
    count = value.length if precision < 0 else min(precision, value.length)
    padding = b" " * max(abs(width) - count, 0)
    if not left:
        result._append_bytes(PyBytes_AS_STRING(padding), PyBytes_GET_SIZE(padding), None)
    value._sync_open()  # the padding's allocation may have run code
    value.exports_ += 1  # pinned while result grows
    try:
        result._append_bytes(value.data, min(count, value.length), value.storage)
    finally:
        value.exports_ -= 1
    if left:
        result._append_bytes(PyBytes_AS_STRING(padding), PyBytes_GET_SIZE(padding), None)
    return 0


@cython.final
@cython.internal
cdef class FormatArguments:
    """The values of a % format: a tuple's items in turn, or one value, maybe a mapping too."""

    cdef tuple items
    cdef Py_ssize_t used
    cdef object mapping

    def __cinit__(self, object values):
        if isinstance(values, tuple):
            self.items, self.mapping = values, None
        else:  # one value; a mapping's keys are looked up too (bytes' own rule)
            self.items = (values,)
            self.mapping = values if PyMapping_Check(values) and not isinstance(values, bytes) \
                else None

    cdef object next(self):
        if self.used >= len(self.items):
            raise TypeError("not enough arguments for format string")
        self.used += 1
        return self.items[self.used - 1]

    cdef object keyed(self, const char *key, Py_ssize_t n):
        if self.mapping is None:
            raise TypeError("format requires a mapping")
        return self.mapping[PyBytes_FromStringAndSize(key, n)]

    cdef int check_all_used(self) except -1:
        if self.used < len(self.items) and self.mapping is None:
            raise TypeError("not all arguments converted during bytes formatting")
        return 0
