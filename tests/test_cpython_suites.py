"""CPython's own bytearray and BytesIO tests, run on remap.Buffer and remap.BufferIO.

The running interpreter's test package is the definition of the behaviour remap promises; it is
imported, never copied. The expected failures are the tests no extension type can pass.
"""

import os
import subprocess
import sys
import unittest

import pytest

import remap

try:
    from test import test_bytes as cpython_bytes
    try:
        from test.test_io import test_memoryio as cpython_memoryio  # 3.15 moved it
    except ImportError:
        from test import test_memoryio as cpython_memoryio
except ImportError as error:
    if os.environ.get("REMAP_CPYTHON_SUITES") == "required":
        raise
    pytest.skip(f"this Python has no test package ({error}): install it (Debian: "
                f"libpython3.X-testsuite) or use a python.org or pyenv build",
                allow_module_level=True)


class TestBufferAsByteArray(cpython_bytes.ByteArrayTest):
    type2test = remap.Buffer

    @unittest.expectedFailure  # ord() accepts only str, bytes and bytearray
    def test_ord(self):
        super().test_ord()

    @unittest.expectedFailure  # its subprocess names the type by __name__, undefined there
    def test_check_encoding_errors(self):
        super().test_check_encoding_errors()


class TestBufferAsString(cpython_bytes.ByteArrayAsStringTest):
    type2test = remap.Buffer


class BufferSubclass(remap.Buffer):
    pass


class BufferSubclassWithSlots(remap.Buffer):
    __slots__ = ("__dict__", "x", "y")


class TestBufferSubclass(cpython_bytes.ByteArraySubclassTest):
    basetype = remap.Buffer
    type2test = BufferSubclass


class TestBufferSubclassWithSlots(cpython_bytes.ByteArraySubclassWithSlotsTest):
    basetype = remap.Buffer
    type2test = BufferSubclassWithSlots


class TestBufferIOAsBytesIO(cpython_memoryio.CBytesIOTest):
    ioclass = remap.BufferIO


MAILBOX_WITH_BUFFERIO = """
import io, sys, types, unittest, remap
from test import test_mailbox
import mailbox
shim = types.ModuleType("io")
shim.__dict__.update(io.__dict__)
shim.BytesIO = remap.BufferIO  # for the suite and for mailbox itself
test_mailbox.io = mailbox.io = shim
result = unittest.main(module=test_mailbox, exit=False, argv=["test_mailbox"], verbosity=0).result
print(len(result.failures), len(result.errors), result.testsRun > 300)
"""


def test_cpython_mailbox_suite_with_bufferio_in_place_of_bytesio(tmp_path):
    """mailbox unwraps streams by their .buffer, as io names a text stream's binary one: a
    BufferIO has none (its Buffer is as_buffer()), so mailbox takes it as a BytesIO."""
    proc = subprocess.run([sys.executable, "-c", MAILBOX_WITH_BUFFERIO], capture_output=True,
                          text=True, timeout=300, check=False, cwd=tmp_path)
    assert proc.stdout.splitlines()[-1:] == ["0 0 True"], proc.stdout[-2000:] + proc.stderr[-3000:]
