"""BufferIO: io.BytesIO's behaviour on a Buffer, so a growing file never copies what it holds."""

import io
import operator

from remap._core import Buffer, Cursor


class BufferIO(io.BufferedIOBase):
    """A binary file in memory, like io.BytesIO, whose bytes live in a remap.Buffer.

    BufferIO(initial_bytes) copies them into a new Buffer; BufferIO(buffer) works on that Buffer
    in place and leaves it open on close().
    """

    def __init__(self, initial_bytes=b""):
        super().__init__()
        self._owns = not isinstance(initial_bytes, Buffer)
        self.buffer = Buffer(initial_bytes) if self._owns else initial_bytes
        self._cursor = Cursor(self.buffer)
        self.write = self._cursor.write  # the hot path, in C: one call per small write

    def _open_buffer(self):
        """The buffer, after checking the file is open."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        return self.buffer

    def readable(self):
        self._open_buffer()
        return True

    writable = seekable = readable

    def read(self, size=-1):
        """Up to size bytes from the position (all that remain if size is None or negative)."""
        buffer = self._open_buffer()
        size = -1 if size is None else operator.index(size)
        start = min(self._cursor.position, len(buffer))
        stop = len(buffer) if size < 0 else min(len(buffer), start + size)
        self._cursor.position = max(self._cursor.position, stop)
        with memoryview(buffer) as view:
            return view[start:stop].tobytes()

    read1 = read

    def readinto(self, target):
        """Read into a writable bytes-like object; return how many bytes were read."""
        with memoryview(target) as view, view.cast("B") as out:
            data = self.read(out.nbytes)
            out[: len(data)] = data
        return len(data)

    readinto1 = readinto

    def readline(self, size=-1):
        """One line, up to and including b"\\n", at most size bytes if size is not negative."""
        buffer = self._open_buffer()
        size = -1 if size is None else operator.index(size)
        end = buffer.find(b"\n", self._cursor.position)
        stop = len(buffer) if end < 0 else end + 1
        if size >= 0:
            stop = min(stop, self._cursor.position + size)
        return self.read(max(stop - self._cursor.position, 0))

    def seek(self, offset, whence=io.SEEK_SET):
        """Move the position: from the start, the current position or the end."""
        buffer = self._open_buffer()
        offset = operator.index(offset)
        if whence == io.SEEK_SET:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            self._cursor.position = offset
        elif whence in (io.SEEK_CUR, io.SEEK_END):
            base = self._cursor.position if whence == io.SEEK_CUR else len(buffer)
            self._cursor.position = max(base + offset, 0)
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        return self._cursor.position

    def tell(self):
        self._open_buffer()
        return self._cursor.position

    def truncate(self, size=None):
        """Cut the file to size bytes (default: the position); the position stays."""
        buffer = self._open_buffer()
        size = self._cursor.position if size is None else operator.index(size)
        if size < 0:
            raise ValueError(f"negative size value {size}")
        if size < len(buffer):
            buffer.resize(size)
        return size

    def getvalue(self):
        """All the bytes, copied."""
        return bytes(self._open_buffer())

    def getbuffer(self):
        """A memoryview of the bytes; while it lives, writes that would move the buffer fail."""
        return memoryview(self._open_buffer())

    def close(self):
        """Close the file and free its buffer (one passed in stays open); BufferError if pinned."""
        if not self.closed and self._owns:
            self.buffer.close()
        self._cursor.closed = True
        super().close()
