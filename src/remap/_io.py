"""BufferIO, io.BytesIO's behaviour on a Buffer (fast/buffer_io.pxi), as one of io's own files."""

import io

from remap._core import BufferIO

# What io does for BytesIO: isinstance(file, io.BufferedIOBase) and io.IOBase hold for it.
io.BufferedIOBase.register(BufferIO)

__all__ = ["BufferIO"]
