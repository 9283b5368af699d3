"""remap: a growable byte buffer whose memory comes from mmap and grows with mremap."""

from remap._core import HAVE_MREMAP, MAP_THRESHOLD, PAGESIZE, Buffer, cache_info, configure_cache
from remap._io import BufferIO
from remap._view import View

__all__ = ["HAVE_MREMAP", "MAP_THRESHOLD", "PAGESIZE", "Array", "Buffer", "BufferIO", "View",
           "cache_info", "configure_cache"]


def __getattr__(name):
    """remap.Array, imported on first use because numpy is an optional dependency."""
    if name == "Array":
        from remap._numpy import Array

        return Array
    raise AttributeError(f"module 'remap' has no attribute {name!r}")
