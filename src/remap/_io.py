"""BufferIO: io.BytesIO's behaviour on a Buffer, so a growing file never copies what it holds."""

from __future__ import annotations

import io
import operator
from typing import TYPE_CHECKING, Any

from remap._core import Buffer, Cursor

if TYPE_CHECKING:
    from typing_extensions import Buffer as BytesLike


class BufferIO(io.BufferedIOBase):
    """A binary file in memory, like io.BytesIO, whose bytes live in a remap.Buffer.

    BufferIO(bytes) reads them without a copy until the first write, as BytesIO does; other
    bytes-like objects are copied into a new Buffer; BufferIO(buffer) works on that Buffer in
    place and leaves it open on close(). Its position and write live in C: Cursor
    (fast/buffer_io.pxi).
    """

    __slots__ = ("_cursor", "_owns")
    _cursor: Cursor
    _owns: bool

    def __init__(self, initial_bytes: BytesLike | None = None) -> None:
        """Start again from initial_bytes (None: empty), at position 0."""
        super().__init__()
        owns = not isinstance(initial_bytes, Buffer)
        if isinstance(initial_bytes, Buffer):
            cursor = Cursor(initial_bytes)
        elif initial_bytes is None or type(initial_bytes) is bytes:
            cursor = Cursor(Buffer(), initial_bytes)
        else:
            with memoryview(initial_bytes) as view:  # TypeError unless bytes-like
                cursor = Cursor(Buffer(view))
        if getattr(self, "_cursor", None) is not None:  # initialized again: drop the old bytes
            self._release()
        self._owns, self._cursor = owns, cursor
        if type(self).write is BufferIO.write:
            self.__dict__["write"] = self._cursor.write  # the hot path, in C: one call a write

    @property
    def buffer(self) -> Buffer:
        """The Buffer the bytes live in (shared bytes are copied into it first)."""
        self._cursor.unshare()
        return self._cursor.buffer

    def _source(self) -> Buffer | bytes:
        """The bytes to read from, after checking the file is open: shared bytes or the buffer."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        shared = self._cursor.shared
        return self._cursor.buffer if shared is None else shared

    def _release(self) -> None:
        """Drop the bytes: free an owned buffer (BufferError while exported), forget shared ones."""
        if self._owns:
            self._cursor.buffer.close()
        self._cursor.shared = None

    def readable(self) -> bool:
        self._source()
        return True

    writable = seekable = readable

    def write(self, data: BytesLike, /) -> int:
        """Write a bytes-like object at the position; return its size."""
        return self._cursor.write(data)

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to size bytes from the position (all that remain if size is None or negative)."""
        source = self._source()
        size = -1 if size is None else operator.index(size)
        start = min(self._cursor.position, len(source))
        stop = len(source) if size < 0 else min(len(source), start + size)
        self._cursor.position = max(self._cursor.position, stop)
        if type(source) is bytes:
            return source[start:stop]  # the bytes themselves when that is all of them
        with memoryview(source) as view:
            return view[start:stop].tobytes()

    read1 = read

    def readinto(self, target: BytesLike, /) -> int:
        """Read into a writable bytes-like object; return how many bytes were read."""
        with memoryview(target) as view, view.cast("B") as out:
            data = self.read(out.nbytes)
            out[: len(data)] = data
        return len(data)

    readinto1 = readinto

    def readline(self, size: int | None = -1, /) -> bytes:
        """One line, up to and including b"\\n", at most size bytes if size is not negative."""
        source = self._source()
        size = -1 if size is None else operator.index(size)
        end = source.find(b"\n", self._cursor.position)
        stop = len(source) if end < 0 else end + 1
        if size >= 0:
            stop = min(stop, self._cursor.position + size)
        return self.read(max(stop - self._cursor.position, 0))

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        """Move the position: from the start, the current position or the end."""
        source = self._source()
        offset = operator.index(offset)
        if whence == io.SEEK_SET:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            self._cursor.position = offset
        elif whence in (io.SEEK_CUR, io.SEEK_END):
            base = self._cursor.position if whence == io.SEEK_CUR else len(source)
            self._cursor.position = max(base + offset, 0)
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        return self._cursor.position

    def tell(self) -> int:
        self._source()
        return self._cursor.position

    def truncate(self, size: int | None = None, /) -> int:
        """Cut the file to size bytes (default: the position); the position stays."""
        source = self._source()
        size = self._cursor.position if size is None else operator.index(size)
        if size < 0:
            raise ValueError(f"negative size value {size}")
        if size < len(source):
            self.buffer.resize(size)
        return size

    def getvalue(self) -> bytes:
        """All the bytes (the shared bytes object itself, else a copy)."""
        return bytes(self._source())

    def getbuffer(self) -> memoryview:
        """A memoryview of the bytes; while it lives, writes that would move the buffer fail."""
        self._source()
        return memoryview(self.buffer)

    def close(self) -> None:
        """Close the file and free its buffer (one passed in stays open); BufferError if pinned."""
        cursor = getattr(self, "_cursor", None)  # None if __init__ never ran or failed
        if cursor is not None and not self.closed:
            self._release()
            cursor.closed = True
        super().close()

    def __del__(self) -> None:
        """Nothing to flush, and nothing to close: the bytes go with the last reference, which
        a write() running on a temporary BufferIO still holds (BufferIO().write(b"x") works)."""

    def __getstate__(self) -> tuple[bytes, int, dict[str, Any] | None]:
        """(the bytes, the position, the instance's attributes or None), as BytesIO pickles."""
        value = self.getvalue()
        attributes = {name: item for name, item in self.__dict__.items() if name != "write"}
        return value, self._cursor.position, attributes or None

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        """Restore what __getstate__ gave, checking it as BytesIO does."""
        if not isinstance(state, tuple) or len(state) < 3:
            raise TypeError(f"{type(self).__name__}.__setstate__ argument should be 3-tuple, "
                            f"got {type(state).__name__}")
        value, position, attributes = state[:3]
        if not isinstance(position, int):
            raise TypeError(f"second item of state must be an integer, not {type(position).__name__}")
        if position < 0:
            raise ValueError("position value cannot be negative")
        if attributes is not None and not isinstance(attributes, dict):
            raise TypeError(f"third item of state should be a dict, got a {type(attributes).__name__}")
        if getattr(self, "_cursor", None) is not None and self.closed:
            raise ValueError("I/O operation on closed file.")
        if isinstance(value, str):
            raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'")
        BufferIO.__init__(self, value if type(value) is bytes else bytes(memoryview(value)))
        self._cursor.position = position
        self.__dict__.update(attributes or {})
