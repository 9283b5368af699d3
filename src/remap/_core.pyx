"""The compiled core of remap: Buffer, a growable byte buffer on mmap and mremap."""

# The layers, bottom up. Each file names what it holds; docs/architecture.md walks through them.

cimport cython
from cpython.buffer cimport (
    PyBUF_FORMAT, PyBUF_ND, PyBUF_SIMPLE, PyBUF_STRIDES, PyBUF_WRITABLE, PyBuffer_FillInfo,
    PyBuffer_Release, PyObject_CheckBuffer, PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsSsize_t, PyLong_CheckExact
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.number cimport PyNumber_Index
from cpython.memoryview cimport PyMemoryView_GET_BUFFER
from cpython.object cimport Py_EQ, Py_GE, Py_GT, Py_LE, Py_LT, Py_NE, PyObject_TypeCheck, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_REFCNT, PyObject
from libc.errno cimport EAGAIN, EINTR, ENOMEM, ENOSPC, errno
from libc.float cimport FLT_MAX
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy, memmove, memset
from posix.unistd cimport _SC_PAGESIZE, close, pwrite, sysconf

# The kernel layer: every system call, the SIGBUS guard, shared atomics (C in _kernel.h).
from remap._kernel cimport *
# C-API and libc pieces Cython's own declarations lack.
from remap._cpython cimport *

import os
import resource
from collections.abc import MutableSequence

import _posixshmem
from _pickle import PickleBuffer

# Arguments as bytearray takes them.
include "_arguments.pxi"

# Storage kinds: a region of bytes each, behind one interface (storage/base.pxi).
include "storage/base.pxi"
# GIL-free sections: large copies and slow system calls release the GIL; their storages are busy.
include "_unlocked.pxi"
include "storage/heap.pxi"
include "storage/mapped.pxi"
include "storage/cache.pxi"
include "storage/reserved.pxi"
include "storage/file_backed.pxi"
include "storage/shared.pxi"
include "storage/file.pxi"
include "storage/secret.pxi"
include "storage/mirror.pxi"

# BufferCore: length, consumed head, exports, and the one rule (the only code that decides a move).
include "_buffer_core.pxi"

# Public faces: Buffer (bytearray's API; a secret's % formatting; small ones kept for reuse),
# SharedBuffer, FileBuffer, Ring.
include "faces/buffer.pxi"
include "faces/buffer_bytes.pxi"
include "faces/buffer_parts.pxi"
include "faces/buffer_format.pxi"
include "faces/kept.pxi"
include "faces/shared_buffer.pxi"
include "faces/file_buffer.pxi"
include "faces/ring.pxi"

# The Python layer's C paths: BufferIO (registered in remap._io) and Array's (remap._numpy).
include "fast/buffer_io.pxi"
include "fast/buffer_io_slots.pxi"
include "fast/array.pxi"

MutableSequence.register(Buffer)
