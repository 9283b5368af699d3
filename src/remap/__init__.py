"""remap: a growable byte buffer whose memory comes from mmap and grows with mremap."""

from remap._core import HAVE_MREMAP, MAP_THRESHOLD, PAGESIZE, Buffer

__all__ = ["HAVE_MREMAP", "MAP_THRESHOLD", "PAGESIZE", "Buffer"]
