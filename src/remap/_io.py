"""BufferIO: io.BytesIO's behaviour on a Buffer, so a growing file never copies what it holds."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from remap._core import Buffer, Cursor, _register_bufferio

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

    @property
    def buffer(self) -> Buffer:
        """The Buffer the bytes live in (shared bytes are copied into it first)."""
        self._cursor.unshare()
        return self._cursor.buffer

    def _check_open(self) -> None:
        """ValueError if the file is closed."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _release(self) -> None:
        """Drop the bytes: free an owned buffer (BufferError while exported), forget shared ones."""
        if self._owns:
            self._cursor.buffer.close()
        self._cursor.shared = None

    # read, read1, readline, readlines, readinto, readinto1, __next__, seek, tell, truncate,
    # readable, writable, seekable, getvalue and write run in C (fast/buffer_io.pxi):
    # _register_bufferio, below, installs them as method descriptors of this class, called as
    # BytesIO's are. Their types: io's, and
    if TYPE_CHECKING:
        def getvalue(self) -> bytes: ...

    def getbuffer(self) -> memoryview:
        """A memoryview of the bytes; while it lives, writes that would move the buffer fail."""
        self._check_open()
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
        return value, self._cursor.position, dict(self.__dict__) or None

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


_register_bufferio(BufferIO)  # its C paths read the cursor slot; iteration runs in C
