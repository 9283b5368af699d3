"""Buffer itself: construction, resizing, exports and the one rule, lifetime, bytes in and out, errors.

What each storage kind does is tested in test_storage_<kind>.py."""

import array
import ctypes
import os

import numpy as np
import pytest

import remap
from conftest import is_mapped, kernel_placement

MiB = 1 << 20
GiB = 1 << 30
HUGE = 2 * MiB


def exported_pointer(obj):
    """The buf pointer a PyBUF_SIMPLE export of obj hands out."""

    class PyBuffer(ctypes.Structure):
        _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.py_object), ("len", ctypes.c_ssize_t),
                    ("rest", ctypes.c_char * 64)]

    view = PyBuffer()
    get = ctypes.pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
    release = ctypes.pythonapi.PyBuffer_Release
    release.argtypes = [ctypes.POINTER(PyBuffer)]
    assert get(obj, ctypes.byref(view), 0) == 0
    pointer = view.buf
    release(ctypes.byref(view))
    return pointer


# -- construction, like bytearray's --

@pytest.mark.parametrize("make_args", [
    lambda: (), lambda: (0,), lambda: (5,), lambda: (b"hello",), lambda: (bytearray(b"xy"),),
    lambda: (memoryview(b"abcdef")[::2],), lambda: (array.array("H", [1, 2]),),
    lambda: ([1, 2, 255],), lambda: (range(10),), lambda: (iter([3, 4]),),
    lambda: ("héllo", "utf-8"), lambda: ("abc", "ascii", "strict"), lambda: (True,),
    lambda: ((x for x in b"gen"),), lambda: (np.arange(4, dtype="u1"),),
])
def test_constructor_matches_bytearray(make_args):
    assert bytes(remap.Buffer(*make_args())) == bytes(bytearray(*make_args()))


@pytest.mark.parametrize("args, error", [
    (("abc",), TypeError), ((b"abc", "utf-8"), TypeError), ((None, "utf-8"), TypeError),
    ((1.5,), TypeError), ((object(),), TypeError), (([256],), ValueError), (([-1],), ValueError),
    ((["a"],), TypeError), ((-1,), ValueError), (("é", "ascii"), UnicodeEncodeError),
])
def test_constructor_errors_match_bytearray(args, error):
    with pytest.raises(error):
        bytearray(*args)
    with pytest.raises(error):
        remap.Buffer(*args)


def test_constructor_options():
    buf = remap.Buffer(b"x", capacity=MiB)
    assert buf == b"x" and buf.capacity >= MiB and buf.mapped
    assert remap.Buffer(max_size=10 * MiB).max_size == 10 * MiB
    assert remap.Buffer().max_size is None
    with pytest.raises(TypeError):
        remap.Buffer(capacity=None)
    with pytest.raises(ValueError):
        remap.Buffer(capacity=-1)
    with pytest.raises(MemoryError):
        remap.Buffer(b"abc", max_size=2)


def test_module_constants():
    assert remap.PAGESIZE == __import__("mmap").PAGESIZE
    assert isinstance(remap.HAVE_MREMAP, bool)


# -- size, capacity and resize --

def test_resize_is_realloc_like():
    buf = remap.Buffer(b"abcdef")
    buf.resize(3)
    assert buf == b"abc"
    buf.resize(6)
    assert buf == b"abc\0\0\0"
    buf.resize(0)
    assert buf == b"" and len(buf) == 0


@pytest.mark.parametrize("size", [100, 64 << 10, 3 * MiB])
@pytest.mark.parametrize("max_size", [None, 64 * MiB])
def test_shrink_then_grow_reads_zeros(size, max_size):
    buf = remap.Buffer(max_size=max_size)
    buf.extend(b"\xff" * size)
    buf.resize(size - 10)
    buf.resize(size)
    assert bytes(buf[size - 10:]) == bytes(10)
    buf.resize(1)
    buf.resize(size)
    assert bytes(buf) == b"\xff" + bytes(size - 1)


def test_reserve_and_shrink_to_fit():
    buf = remap.Buffer(b"abc")
    buf.reserve(10 * MiB)
    assert buf.capacity >= 10 * MiB and len(buf) == 3 and buf == b"abc"
    buf.reserve(5)
    assert buf.capacity >= 10 * MiB
    buf.shrink_to_fit()
    assert buf.capacity == 3 and not buf.mapped and buf == b"abc"


def test_append_growth_is_geometric():
    buf = remap.Buffer()
    capacities = set()
    for _ in range(1 << 20):
        buf.append(7)
        capacities.add(buf.capacity)
    assert len(capacities) < 60
    assert bytes(buf) == b"\x07" * (1 << 20)


# -- exports: the one rule --

def test_buffer_protocol_is_writable_bytes():
    buf = remap.Buffer(b"abc")
    with memoryview(buf) as view:
        assert (view.format, view.itemsize, view.ndim, view.readonly) == ("B", 1, 1, False)
        assert view.c_contiguous and view.shape == (3,) and view.strides == (1,)
        view[0] = ord("x")
    assert buf == b"xbc"


def test_empty_buffer_never_exports_null():
    assert exported_pointer(remap.Buffer()) not in (0, None)
    buf = remap.Buffer(b"x")
    buf.resize(0)
    assert exported_pointer(buf) not in (0, None)


def test_numpy_sees_and_changes_the_live_bytes():
    buf = remap.Buffer(8 * 4)
    arr = np.frombuffer(buf, dtype="f8")
    arr[:] = [1.5, 2.5, 3.5, 4.5]
    assert np.frombuffer(bytes(buf), dtype="f8").tolist() == [1.5, 2.5, 3.5, 4.5]
    buf[0:1]  # a read does not disturb it
    assert buf.exports == 1
    assert np.shares_memory(arr, np.frombuffer(buf, dtype="u1"))
    del arr
    assert buf.exports == 0


def test_growth_that_must_move_is_refused_while_exported():
    buf = remap.Buffer(b"abc")
    view = memoryview(buf)
    with pytest.raises(BufferError, match="1 buffer export"):
        buf.resize(10 * MiB)
    assert buf == b"abc" and buf.exports == 1
    view.release()
    buf.resize(10 * MiB)
    assert buf[:3] == b"abc"


def test_growth_while_exported_is_in_place_or_refused():
    buf = remap.Buffer(4 * MiB)
    with memoryview(buf) as view:
        address = buf.address
        for size in (5 * MiB, 64 * MiB, 512 * MiB):
            try:
                buf.resize(size)
            except BufferError:
                assert len(buf) < size
            assert buf.address == address
            view[0] = 9
    assert buf[0] == 9


def test_growth_within_capacity_is_allowed_while_exported():
    buf = remap.Buffer(b"ab", capacity=100)
    with memoryview(buf):
        buf.extend(b"cd")
        buf.resize(50)
    assert buf[:4] == b"abcd"


def test_shrink_and_close_are_refused_while_exported():
    buf = remap.Buffer(b"abcdef")
    with memoryview(buf)[2:]:
        with pytest.raises(BufferError):
            buf.resize(1)
        with pytest.raises(BufferError):
            buf.close()
        with pytest.raises(BufferError):
            with buf:
                pass
    assert buf == b"abcdef" and not buf.closed
    buf.resize(1)
    assert buf == b"a"


def test_extend_with_itself_and_its_own_views():
    buf = remap.Buffer(b"abc")
    buf.extend(buf)
    with pytest.raises(BufferError):  # the argument pins it, as with bytearray
        buf += memoryview(buf)[:2]
    buf.reserve(100)
    buf += memoryview(buf)[:2]
    assert buf == b"abcabcab"
    big = remap.Buffer(b"xy" * 100_000)
    big.extend(big)
    assert bytes(big) == b"xy" * 200_000


# -- lifetime --

def test_close_is_idempotent_and_final():
    buf = remap.Buffer(b"abc")
    buf.close()
    buf.close()
    assert buf.closed and buf.address == 0 and buf.exports == 0
    assert repr(buf) == "<closed remap.Buffer>"
    for use in (len, bytes, memoryview, lambda b: b.resize(1), lambda b: b.append(1),
                lambda b: b.extend(b"x"), lambda b: b[0], lambda b: b.capacity,
                lambda b: b == b"", lambda b: b.reserve(1), lambda b: b.shrink_to_fit()):
        with pytest.raises(ValueError, match="closed"):
            use(buf)


def test_context_manager_closes():
    with remap.Buffer(10 * MiB) as buf:
        assert len(buf) == 10 * MiB
    assert buf.closed


def test_close_returns_the_mapping_beyond_the_cache():
    bufs = [remap.Buffer(MiB) for _ in range(50)]
    addresses = [buf.address for buf in bufs]
    assert all(is_mapped(address) for address in addresses)
    for buf in bufs:
        buf.close()
    kept = remap.cache_info()["entries"]
    assert 0 < kept <= remap.cache_info()["max_entries"]
    assert sum(is_mapped(address) for address in addresses) == kept
    old = remap.configure_cache(max_bytes=0)
    try:
        assert not any(is_mapped(address) for address in addresses)
        assert remap.cache_info()["entries"] == 0
    finally:
        remap.configure_cache(**old)


# -- bytes in, bytes out --

def test_append_extend_iadd():
    buf = remap.Buffer()
    buf.append(1)
    buf.extend(b"\x02")
    buf.extend([3, 4])
    buf.extend(bytearray(b"\x05"))
    buf += b"\x06"
    buf += memoryview(b"\x07\x00")[::2]
    buf.extend(np.array([8], dtype="u1"))
    assert buf == bytes(range(1, 9))


@pytest.mark.parametrize("call, error", [
    (lambda b: b.append(256), ValueError), (lambda b: b.append(-1), ValueError),
    (lambda b: b.append("a"), TypeError), (lambda b: b.append(1.0), TypeError),
    (lambda b: b.extend(5), TypeError), (lambda b: b.extend("ab"), TypeError),
    (lambda b: b.extend([1, 300]), ValueError), (lambda b: b.__iadd__([1]), TypeError),
    (lambda b: b.resize(-1), ValueError), (lambda b: b.resize(2 ** 62), MemoryError),
    (lambda b: b.resize(2 ** 63), OverflowError), (lambda b: b.resize(-2 ** 63), ValueError),
    (lambda b: b.resize(1.0), TypeError), (lambda b: b.resize(None), TypeError),
    (lambda b: b.reserve(-1), ValueError), (lambda b: b.reserve(2 ** 64), OverflowError),
    (lambda b: b[3], IndexError), (lambda b: b[-4], IndexError), (lambda b: b[2 ** 70], IndexError),
    (lambda b: b["a"], TypeError), (lambda b: b.__setitem__(0, 256), ValueError),
    (lambda b: b.__setitem__(5, 1), IndexError), (lambda b: hash(b), TypeError),
])
def test_bad_input_raises_and_changes_nothing(call, error):
    buf = remap.Buffer(b"abc")
    with pytest.raises(error):
        call(buf)
    assert buf == b"abc" and buf.capacity >= 3


@kernel_placement
def test_a_size_no_mapping_can_have_is_a_memory_error():
    buf = remap.Buffer(b"abc")
    with pytest.raises(MemoryError):
        buf.resize(1 << 46)
    assert buf == b"abc"


def test_indexing_and_slicing():
    data = bytes(range(20))
    buf = remap.Buffer(data)
    assert [buf[i] for i in range(-20, 20)] == [data[i] for i in range(-20, 20)]
    for s in (slice(None), slice(3, 9), slice(-5, None), slice(None, None, -1), slice(1, 15, 3),
              slice(15, 1, -4), slice(30, 40)):
        assert bytes(buf[s]) == data[s] and isinstance(buf[s], remap.Buffer)
    buf[-1] = 99
    assert buf[19] == 99


def test_comparisons_follow_bytes():
    for a, b in [(b"abc", b"abd"), (b"ab", b"abc"), (b"", b""), (b"b", b"a"), (b"x", b"x")]:
        buf = remap.Buffer(a)
        for other in (b, bytearray(b), memoryview(b), remap.Buffer(b)):
            assert ((buf == other), (buf != other), (buf < other), (buf <= other),
                    (buf > other), (buf >= other)) == (a == b, a != b, a < b, a <= b, a > b, a >= b)
    assert remap.Buffer(b"a") != "a"
    with pytest.raises(TypeError):
        remap.Buffer(b"a") < "a"


def test_repr_is_short_and_useful():
    assert repr(remap.Buffer(b"hi")).startswith("remap.Buffer(b'hi'")
    text = repr(remap.Buffer(GiB))
    assert len(text) < 400 and "1073741760 more bytes" in text and "mapped" in text


def test_the_build_is_the_one_asked_for():
    assert remap.HAVE_MREMAP == (os.environ.get("REMAP_NO_MREMAP") != "1")


def test_write_at_is_like_pwrite():
    buf = remap.Buffer(b"abcdef")
    assert buf.write_at(2, b"XY") == 2 and buf == b"abXYef"
    assert buf.write_at(5, bytearray(b"123")) == 3 and buf == b"abXYe123"
    assert buf.write_at(10, memoryview(b"z")) == 1 and buf == b"abXYe123\0\0z"
    assert buf.write_at(20, b"") == 0 and len(buf) == 11
    assert buf.write_at(0, buf) == 11 and buf == b"abXYe123\0\0z"
    with pytest.raises(TypeError):
        buf.write_at(0, "text")
    with pytest.raises(ValueError):
        buf.write_at(-1, b"x")
    assert buf == b"abXYe123\0\0z"
