"""View: an (offset, length) window into a Buffer that stays right however often the buffer moves."""

import operator


class View:
    """A window of a Buffer kept as (offset, length), resolved against the buffer at every access.

    length=None means "to the end", re-evaluated each time, so the view follows appends. A view
    holds no export except inside ``with view as memoryview:``. Raises IndexError when its range
    no longer lies inside the buffer, ValueError when the buffer is closed.
    """

    __slots__ = ("buffer", "offset", "length", "_pins")

    def __init__(self, buffer, offset=0, length=None):
        offset = operator.index(offset)
        if offset < 0:
            raise ValueError(f"offset must not be negative, got {offset}")
        if length is not None:
            length = operator.index(length)
            if length < 0:
                raise ValueError(f"length must not be negative, got {length}")
        self.buffer, self.offset, self.length, self._pins = buffer, offset, length, []

    def span(self):
        """(start, stop) in the buffer now; IndexError if that range is no longer inside it."""
        size = len(self.buffer)
        stop = size if self.length is None else self.offset + self.length
        if self.offset > size or stop > size:
            end = "" if self.length is None else stop
            raise IndexError(f"view [{self.offset}:{end}] lies outside the buffer [0:{size}]")
        return self.offset, stop

    def __len__(self):
        start, stop = self.span()
        return stop - start

    def _buffer_range(self, key):
        """The buffer slice (or int index) that key, an index or slice of the view, refers to."""
        start, stop = self.span()
        if isinstance(key, slice):
            first, last, step = key.indices(stop - start)
            last += start  # -1 means "before the buffer's first byte" to a backward slice
            return slice(start + first, last if last >= 0 else None, step)
        index = operator.index(key)
        if index < 0:
            index += stop - start
        if not 0 <= index < stop - start:
            raise IndexError(f"view index {key} out of range for a view of {stop - start} bytes")
        return start + index

    def __getitem__(self, key):
        where = self._buffer_range(key)
        if isinstance(where, int):
            return self.buffer[where]
        with memoryview(self.buffer) as whole:
            return whole[where].tobytes()

    def __setitem__(self, key, value):
        where = self._buffer_range(key)
        if isinstance(where, int):
            self.buffer[where] = value
            return
        with memoryview(value) as data, memoryview(self.buffer) as whole, whole[where] as target:
            if target.nbytes != data.nbytes:
                raise ValueError(f"a view's slice keeps its length: cannot assign {data.nbytes} "
                                 f"bytes to {target.nbytes}")
            target[:] = data.cast("B")

    def tobytes(self):
        """The view's bytes, copied."""
        return self[:]

    __bytes__ = tobytes

    def __eq__(self, other):
        try:
            with memoryview(other) as data:
                return self.tobytes() == data
        except TypeError:
            return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like bytearray

    def view(self, offset=0, length=None):
        """A view of length bytes (None: to this view's end) from offset within this view."""
        if length is None and self.length is not None:
            length = self.length - offset
        return View(self.buffer, self.offset + operator.index(offset), length)

    def asarray(self, dtype="u1"):
        """A zero-copy numpy array of the view's bytes; it pins the buffer while it lives."""
        from remap._numpy import array_of

        return array_of(self.buffer, dtype, *self.span())

    def __enter__(self):
        """Pin the buffer and return a memoryview of exactly the view's range."""
        start, stop = self.span()
        with memoryview(self.buffer) as whole:
            pinned = whole[start:stop]
        self._pins.append(pinned)
        return pinned

    def __exit__(self, *exc_info):
        self._pins.pop().release()

    def __repr__(self):
        length = "to the end" if self.length is None else self.length
        return f"<remap.View offset={self.offset} length={length} of {self.buffer!r}>"
