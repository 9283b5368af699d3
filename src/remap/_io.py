"""BufferIO: io.BytesIO's behaviour on a Buffer, so a growing file never copies what it holds."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from remap._core import FileCore, _take_c_paths

if TYPE_CHECKING:
    from typing_extensions import Buffer as BytesLike


class BufferIO(FileCore, io.BufferedIOBase):
    """A binary file in memory, like io.BytesIO, whose bytes live in a remap.Buffer.

    BufferIO(bytes) reads them without a copy until the first write, as BytesIO does; other
    bytes-like objects are copied into a new Buffer; BufferIO(buffer) works on that Buffer in
    place and leaves it open on close(). The position, every read and the write live in C:
    FileCore (fast/buffer_io.pxi), this class's base.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass reads and iterates through C descriptors and slots of its own too."""
        super().__init_subclass__(**kwargs)
        _take_c_paths(cls)

    if TYPE_CHECKING:
        def __init__(self, initial_bytes: BytesLike | None = None) -> None: ...
        def getvalue(self) -> bytes: ...

    def getbuffer(self) -> memoryview:
        """A memoryview of the bytes; while it lives, writes that would move the buffer fail."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        return memoryview(self.buffer)

    def __getstate__(self) -> tuple[bytes, int, dict[str, Any] | None]:
        """(the bytes, the position, the instance's attributes or None), as BytesIO pickles."""
        return self.getvalue(), self.tell(), dict(self.__dict__) or None

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
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if isinstance(value, str):
            raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'")
        FileCore.__init__(self, value if type(value) is bytes else bytes(memoryview(value)))
        self.seek(position)
        self.__dict__.update(attributes or {})


_take_c_paths(BufferIO)
