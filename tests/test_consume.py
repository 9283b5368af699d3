"""The consumable head: taking bytes from the front costs what was taken, never the backlog."""

import operator

import pytest

import remap
from conftest import is_mapped, measures_resident_memory

KiB, MiB = 1 << 10, 1 << 20


def take_bytes(buf, n=None):
    """bytearray.take_bytes as Python 3.15 defines it, for interpreters that lack it."""
    if hasattr(buf, "take_bytes"):
        return buf.take_bytes(n)
    size = len(buf)
    if n is not None and not hasattr(n, "__index__"):
        raise TypeError("n must be an integer or None")
    count = size if n is None else n + size if n < 0 else n
    if not 0 <= count <= size:
        raise IndexError(f"can't take {count} bytes outside size {size}")
    taken = bytes(buf[:count])
    del buf[:count]
    return taken


def resize(buf, size):
    """bytearray.resize as Python 3.14 defines it, for interpreters that lack it."""
    if hasattr(buf, "resize"):
        return buf.resize(size)
    if operator.index(size) < 0:
        raise ValueError(f"Can only resize to positive sizes, got {size}")
    buf[size:] = b""
    buf.extend(bytes(size - len(buf)))
    return None


def failure(call):
    """The exception call() raises, as (type, message); None if it returns."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and words are what is compared
        return type(error), str(error)
    return None


NATIVE = [name for name in ("resize", "take_bytes") if hasattr(bytearray, name)]
ARGUMENTS = [None, 0, 1, 6, 7, -1, -6, -7, True, 2 ** 70, -2 ** 70, 1.0, "1", b"1"]


@pytest.mark.skipif(not NATIVE, reason="this Python's bytearray has neither resize nor take_bytes")
@pytest.mark.parametrize("argument", ARGUMENTS, ids=repr)
@pytest.mark.parametrize("method", NATIVE or ["none"])
def test_the_interpreters_own_bytearray_method_is_the_reference(method, argument):
    """Same result, same bytes after, same exception type and words as this Python's bytearray."""
    buf, reference = remap.Buffer(b"abcdef"), bytearray(b"abcdef")
    for _ in range(2):  # twice: the second call starts from what the first left
        results = [], []
        outcomes = [failure(lambda: results[i].append(getattr(obj, method)(argument)))
                    for i, obj in enumerate((buf, reference))]
        assert outcomes[0] == outcomes[1] and results[0] == results[1] and buf == reference


@pytest.mark.parametrize("n", [None, 0, 1, 3, 6, -1, -6, 7, -7, True])
def test_take_bytes_matches_the_3_15_semantics(n):
    buf, model = remap.Buffer(b"abcdef"), bytearray(b"abcdef")
    try:
        expected = take_bytes(model, n)
    except IndexError:
        with pytest.raises(IndexError):
            buf.take_bytes(n)
        assert buf == b"abcdef"
        return
    assert buf.take_bytes(n) == expected and type(expected) is bytes
    assert buf == model


@pytest.mark.parametrize("n, error", [(1.0, TypeError), ("1", TypeError), (2 ** 70, IndexError)])
def test_take_bytes_bad_arguments(n, error):
    buf = remap.Buffer(b"abc")
    with pytest.raises(error):
        buf.take_bytes(n)
    assert buf == b"abc"


def test_take_bytes_refuses_while_exported_and_changes_nothing():
    buf = remap.Buffer(b"abc")
    with memoryview(buf):
        for call in (lambda: buf.take_bytes(), lambda: buf.take_bytes(0),
                     lambda: buf.take_bytes(1), lambda: buf.__delitem__(slice(0, 1)),
                     lambda: buf.pop(0)):
            with pytest.raises(BufferError):
                call()
            assert buf == b"abc"
    assert buf.take_bytes() == b"abc" and buf == b""


def test_take_bytes_from_a_closed_buffer():
    buf = remap.Buffer(b"x")
    buf.close()
    with pytest.raises(ValueError):
        buf.take_bytes()


@pytest.mark.parametrize("size", [1000, 300 * KiB, 5 * MiB])
@pytest.mark.parametrize("remove", [
    lambda b, n: b.__delitem__(slice(0, n)), lambda b, n: b.__setitem__(slice(0, n), b""),
    lambda b, n: b.take_bytes(n), lambda b, n: [b.pop(0) for _ in range(min(n, 3))],
])
def test_removing_from_the_front_moves_no_bytes(size, remove):
    data = bytes(range(256)) * (size // 256)
    buf = remap.Buffer(data)
    address = buf.address
    remove(buf, size // 3)
    removed = len(data) - len(buf)
    assert buf == data[removed:]
    assert buf.address == address + removed  # the first live byte, not a moved copy


def test_replacing_a_prefix_with_fewer_bytes_consumes_the_rest():
    buf = remap.Buffer(b"0123456789" * 100)
    address = buf.address
    buf[:10] = b"ab"
    assert buf.address == address + 8 and buf[:4] == b"ab01"
    assert bytes(buf) == (b"ab" + (b"0123456789" * 100)[10:])


def test_a_mapped_receive_buffer_gives_consumed_pages_back():
    buf = remap.Buffer(bytes(range(256)) * (4 * MiB // 256))  # huge-page sized: 2 MiB units
    first = buf.address
    buf.take_bytes(3 * MiB)
    assert not is_mapped(first) and is_mapped(buf.address)
    assert buf[:4] == bytes(range(4)) and len(buf) == MiB


def test_a_heap_receive_buffer_stays_small_and_on_the_heap():
    buf, model = remap.Buffer(), bytearray()
    for i in range(20_000):
        chunk = bytes([i % 251]) * 100
        buf += chunk
        model += chunk
        if len(model) > 1000:
            assert buf.take_bytes(100) == take_bytes(model, 100)
    assert buf == model and not buf.mapped and buf.capacity < 8 * KiB


def test_emptying_by_consumption_starts_again_at_the_base():
    buf = remap.Buffer(b"x" * 5000)
    buf.take_bytes(4000)
    buf.take_bytes(1000)
    assert len(buf) == 0
    buf += b"abc"
    assert buf == b"abc"


@measures_resident_memory
def test_resident_memory_stays_near_the_backlog(child):
    """1 GiB through a 16 MiB backlog: RSS stays within 2x the backlog + 4 MiB."""
    out = child("""
        import remap
        def rss():
            return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) << 10
        MiB = 1 << 20
        buf, chunk = remap.Buffer(), bytes(range(256)) * 256  # 64 KiB
        buf += bytes(16 * MiB)
        before = rss()
        peak = 0
        for i in range(1 << 14):  # 1 GiB in 64 KiB chunks
            buf += chunk
            assert len(buf.take_bytes(64 << 10)) == 64 << 10
            if i % 256 == 0:
                peak = max(peak, rss() - before)
        assert len(buf) == 16 * MiB and buf[-4:] == bytes(range(252, 256))
        print(peak // MiB)
    """)
    assert int(out) <= 16 + 4 + 16
