"""remap: a growable byte buffer whose memory comes from mmap and grows with mremap."""

from typing import TYPE_CHECKING, Any

from remap._core import (
    HAVE_MREMAP, MAP_THRESHOLD, PAGESIZE, Buffer, FileBuffer, Ring, SharedBuffer, cache_info,
    configure_cache,
)
from remap._io import BufferIO
from remap._view import View

if TYPE_CHECKING:
    from remap import streams
    from remap._numpy import Array

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it from here

__all__ = ["HAVE_MREMAP", "MAP_THRESHOLD", "PAGESIZE", "Array", "Buffer", "BufferIO",
           "FileBuffer", "Ring", "SharedBuffer", "View", "__version__", "cache_info", "configure_cache",
           "streams"]


def __getattr__(name: str) -> Any:
    """remap.Array and remap.streams, imported on first use (numpy is optional, asyncio heavy)."""
    if name == "Array":
        from remap._numpy import Array

        return Array
    if name == "streams":
        import remap.streams

        return remap.streams
    raise AttributeError(f"module 'remap' has no attribute {name!r}")
