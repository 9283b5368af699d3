"""View: an (offset, length) window into a Buffer that stays right however often the buffer moves."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

if TYPE_CHECKING:
    from numpy.typing import DTypeLike, NDArray

    from remap._core import Buffer


class View:
    """A window of a Buffer kept as (offset, length), resolved against the buffer at every access.

    length=None means "to the end", re-evaluated each time, so the view follows appends. A view
    holds no export except inside ``with view as memoryview:``. Raises IndexError when its range
    no longer lies inside the buffer, ValueError when the buffer is closed.
    """

    __slots__ = ("_pins", "buffer", "length", "offset")
    buffer: Buffer
    offset: int
    length: int | None
    _pins: list[memoryview]

    def __init__(self, buffer: Buffer, offset: SupportsIndex = 0,
                 length: SupportsIndex | None = None) -> None:
        offset = operator.index(offset)
        if offset < 0:
            raise ValueError(f"offset must not be negative, got {offset}")
        size = None if length is None else operator.index(length)
        if size is not None and size < 0:
            raise ValueError(f"length must not be negative, got {size}")
        self.buffer, self.offset, self.length, self._pins = buffer, offset, size, []

    def span(self) -> tuple[int, int]:
        """(start, stop) in the buffer now; IndexError if that range is no longer inside it."""
        return self._span(len(self.buffer))

    def _span(self, size: int) -> tuple[int, int]:
        """span() in a buffer of size bytes."""
        stop = size if self.length is None else self.offset + self.length
        if self.offset > size or stop > size:
            end = "" if self.length is None else stop
            raise IndexError(f"view [{self.offset}:{end}] lies outside the buffer [0:{size}]")
        return self.offset, stop

    def _pin(self) -> memoryview:
        """A memoryview of the whole buffer, taken before the range is resolved against it: its
        making can run a collection (and any __del__), which may resize or replace the bytes;
        once it lives they stay where they are."""
        return memoryview(self.buffer)

    def __len__(self) -> int:
        start, stop = self.span()
        return stop - start

    def _buffer_range(self, key: SupportsIndex | slice, size: int) -> int | slice:
        """The buffer slice (or int index) that key, an index or slice of the view, refers to, in
        a buffer of size bytes."""
        start, stop = self._span(size)
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

    @overload
    def __getitem__(self, key: SupportsIndex) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...

    def __getitem__(self, key: SupportsIndex | slice) -> int | bytes:
        with self._pin() as whole:
            where = self._buffer_range(key, len(whole))
            if isinstance(where, int):
                return int(whole[where])
            return whole[where].tobytes()

    def __setitem__(self, key: SupportsIndex | slice, value: Any) -> None:
        with self._pin() as whole:
            where = self._buffer_range(key, len(whole))
            if isinstance(where, int):
                byte = operator.index(value)
                if not 0 <= byte < 256:
                    raise ValueError("byte must be in range(0, 256)")
                self._store(whole, where, byte)
                return
            with memoryview(value) as data, whole[where] as target:
                if target.nbytes != data.nbytes:
                    raise ValueError(f"a view's slice keeps its length: cannot assign "
                                     f"{data.nbytes} bytes to {target.nbytes}")
                self._store(target, slice(None), data.cast("B"))

    def _store(self, target: memoryview, where: int | slice, value: Any) -> None:
        """target[where] = value, with the buffer's own error for read-only bytes."""
        if target.readonly:
            raise TypeError(f"this {type(self.buffer).__name__} is read-only")
        target[where] = value

    def tobytes(self) -> bytes:
        """The view's bytes, copied."""
        return self[:]

    __bytes__ = tobytes

    def __eq__(self, other: object) -> bool:
        try:
            with memoryview(other) as data:  # type: ignore[arg-type]  # TypeError is the check
                return self.tobytes() == data
        except TypeError:
            return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like bytearray

    def view(self, offset: SupportsIndex = 0, length: SupportsIndex | None = None) -> View:
        """A view of length bytes (None: to this view's end) from offset within this view."""
        start = operator.index(offset)
        if length is None and self.length is not None:
            length = self.length - start
        return View(self.buffer, self.offset + start, length)

    def asarray(self, dtype: DTypeLike = "u1") -> NDArray[Any]:
        """A zero-copy numpy array of the view's bytes; it pins the buffer while it lives."""
        from remap._numpy import array_of

        with self._pin() as whole:
            return array_of(self.buffer, dtype, *self._span(len(whole)))

    def __enter__(self) -> memoryview:
        """Pin the buffer and return a memoryview of exactly the view's range."""
        with self._pin() as whole:
            start, stop = self._span(len(whole))
            pinned = whole[start:stop]
        self._pins.append(pinned)
        return pinned

    def __exit__(self, *exc_info: object) -> None:
        self._pins.pop().release()

    def __repr__(self) -> str:
        length = "to the end" if self.length is None else self.length
        return f"<remap.View offset={self.offset} length={length} of {self.buffer!r}>"
