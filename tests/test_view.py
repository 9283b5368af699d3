"""Tests of View and the context managers: offsets that survive moves, pins that end with the block."""

import pytest

import remap

MiB = 1 << 20


def moved_many_times(buf, view_bytes):
    """Grow buf until its mapping has moved at least five times; return how often it moved."""
    moves, address = 0, buf.address
    while moves < 5:
        buf.extend(bytes(buf.capacity - len(buf) + 1))
        moves += buf.address != address
        address = buf.address
        assert view_bytes()
    return moves


def test_view_reads_and_writes_its_range():
    buf = remap.Buffer(b"hello world")
    view = buf.view(6, 3)
    assert (len(view), bytes(view), view.tobytes(), view[0], view[-1]) == (3, b"wor", b"wor", 119, 114)
    assert view[1:] == b"or" and view[::2] == b"wr" and view[::-1] == b"row"
    assert view[1::-1] == b"ow" and view[:0:-1] == b"ro"
    assert (view.offset, view.length, view.buffer) == (6, 3, buf)
    view[0] = ord("W")
    view[1:3] = b"OR"
    assert buf == b"hello WORld" and view == b"WOR" and view != b"x"
    with pytest.raises(ValueError, match="keeps its length"):
        view[0:2] = b"abc"
    with pytest.raises(IndexError):
        view[3]
    assert buf == b"hello WORld"


def test_view_constructor_and_subviews():
    buf = remap.Buffer(b"0123456789")
    assert remap.View(buf, 2, 3) == b"234"
    assert buf.view(2).view(1, 2) == b"34" and buf.view(2, 5).view(1) == b"3456"
    for bad in (-1, 1.5, "a"):
        with pytest.raises((ValueError, TypeError)):
            buf.view(bad)
        with pytest.raises((ValueError, TypeError)):
            buf.view(0, bad)
    assert "offset=2" in repr(buf.view(2))


def test_view_to_the_end_follows_appends():
    buf = remap.Buffer(b"ab")
    tail = buf.view(1)
    buf += b"cd"
    assert tail == b"bcd" and len(tail) == 3


def test_views_survive_many_moves():
    buf = remap.Buffer(b"head" + bytes(remap.MAP_THRESHOLD))
    head, rest = buf.view(0, 4), buf.view(4)
    blocker = remap.Buffer(MiB)  # allocations between growths keep the kernel from growing in place
    assert moved_many_times(buf, lambda: head == b"head" and len(rest) == len(buf) - 4) >= 5
    head[0:4] = b"HEAD"
    assert buf[:4] == b"HEAD"
    blocker.close()


def test_view_outside_a_shrunk_buffer_raises_index_error():
    buf = remap.Buffer(b"0123456789")
    view = buf.view(4, 4)
    buf.resize(6)
    with pytest.raises(IndexError, match=r"view \[4:8\] lies outside the buffer \[0:6\]"):
        view[0]
    for use in (len, bytes, lambda v: v.__enter__(), lambda v: v == b""):
        with pytest.raises(IndexError):
            use(view)
    buf.resize(10)
    assert view == b"45\0\0"


def test_view_of_a_closed_buffer_raises_value_error():
    buf = remap.Buffer(b"abc")
    view = buf.view()
    buf.close()
    with pytest.raises(ValueError, match="closed"):
        bytes(view)


def test_with_view_pins_exactly_its_range_and_releases():
    buf = remap.Buffer(b"0123456789")
    view = buf.view(2, 3)
    with view as mv:
        assert mv.tobytes() == b"234" and buf.exports == 1
        mv[0] = ord("x")
        with pytest.raises(BufferError):
            buf.resize(10 * MiB)
    assert buf.exports == 0 and buf == b"01x3456789"
    buf.resize(10 * MiB)


def test_with_view_releases_when_the_block_raises():
    buf = remap.Buffer(b"abc")
    with pytest.raises(KeyError):
        with buf.view() as mv:
            mv[0] = ord("z")
            raise KeyError
    assert buf.exports == 0 and buf == b"zbc"
    buf.close()


def test_nested_pins():
    buf = remap.Buffer(b"abcdef")
    view = buf.view(1, 2)
    with view as outer, view as inner, buf.pinned() as whole:
        assert (outer.tobytes(), inner.tobytes(), whole.tobytes()) == (b"bc", b"bc", b"abcdef")
        assert buf.exports == 3
    assert buf.exports == 0


def test_pinned_buffer_cannot_be_closed_by_its_with_block():
    buf = remap.Buffer(b"data")
    with buf.pinned():
        with pytest.raises(BufferError, match="close"):
            with buf:
                pass
        assert buf == b"data"
    with buf:
        pass
    assert buf.closed
