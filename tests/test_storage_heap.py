"""Heap storage: buffers below MAP_THRESHOLD live in a PyMem block, not a mapping of their own."""

import gc

import pytest

import remap
from conftest import mapping_count


def test_small_buffers_live_on_the_heap_large_ones_in_mappings():
    assert not remap.Buffer(100).mapped
    assert not remap.Buffer(remap.MAP_THRESHOLD - 1).mapped
    assert remap.Buffer(remap.MAP_THRESHOLD).mapped


def test_hundred_thousand_small_buffers_cost_no_mappings():
    before = mapping_count()
    buffers = [remap.Buffer(100) for _ in range(100_000)]
    for i, buf in enumerate(buffers[::1000]):
        buf[0] = i % 256
    assert mapping_count() - before < 100
    assert all(len(b) == 100 for b in buffers)
    del buffers
    gc.collect()


# A dying small buffer is kept whole, object and region, for the next one (faces/kept.pxi): made
# from a previous buffer, it must show none of its bytes or state, whichever way it is reached.

STALE = b"\xa5" * 100


def drop_stale_buffers():
    """Leave stale bytes in every kept region: small buffers full of 0xA5, dropped."""
    for size in range(1, 120):
        remap.Buffer(STALE[:size] * 1)
        remap.Buffer(STALE * (size // 4 + 1))


def test_a_reused_region_shows_no_stale_byte_through_resize_or_spare_room():
    for size in range(0, 100, 7):
        drop_stale_buffers()
        grown = remap.Buffer(size)
        grown.resize(size + 40)
        assert grown == bytes(size + 40)
        drop_stale_buffers()
        spare = remap.Buffer(b"x" * size)
        with spare.writable(30) as room:
            assert bytes(room) == bytes(len(room))
        drop_stale_buffers()
        assert remap.Buffer(size) == bytes(size)
        assert bytes(remap.Buffer(STALE)[:size]) == STALE[:size]


def test_a_slice_of_a_reused_region_grows_with_zeros():
    drop_stale_buffers()
    piece = remap.Buffer(b"abc" * 30)[:10]
    piece.extend(bytes(0))
    piece[20:20] = b""
    piece.resize(64)
    assert piece == b"abcabcabca" + bytes(54)
    assert piece.capacity >= 64


def test_kept_regions_hold_a_bounded_amount_of_memory():
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for size in range(1, remap.MAP_THRESHOLD // 16, 97):
            remap.Buffer(size)
            remap.Buffer(b"y" * size)[: size // 2]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 8 * 8192 + 16384  # at most 8 regions under 8 KiB each, and some slack


def test_a_buffer_that_handed_out_writable_room_hands_its_region_on_cleanly():
    """The next buffer in the region sees its own bytes, and commit() refuses the old room."""
    for _ in range(1000):
        buf = remap.Buffer(b"z" * 50)
        room = buf.writable(10)
        room.release()
        buf.commit(3)
        del buf
        fresh = remap.Buffer(b"f" * 53)
        with pytest.raises(ValueError, match="commit"):
            fresh.commit(1)
        assert fresh == b"f" * 53
    gc.collect()
    assert remap.Buffer(50) == bytes(50)


def test_a_reused_region_is_as_exact_as_a_new_one():
    """A kept region larger than asked for is handed out at the size asked for: a small buffer's
    capacity is its length, and a growth reallocates (and can fail) as a new one's does."""
    drop_stale_buffers()
    for size in (1, 3, 50, 100):
        assert remap.Buffer(b"q" * size).capacity == size
        assert remap.Buffer(size).capacity == size


def test_a_kept_buffer_comes_back_as_a_new_one_in_every_respect():
    """Whatever a dying buffer went through (consumed from the front, grown, writable() room
    handed out, an export made and released, huge pages off), the one made from it is new."""

    class Sub(remap.Buffer):
        pass

    for size in (1, 10, 100, 1000):
        for _ in range(10):
            old = remap.Buffer(b"o" * (size + 50), hugepages=False)
            old.take_bytes(3)
            old.extend(b"o" * 7)
            old.writable(5).release()
            with memoryview(old):
                pass
            Sub(b"u" * size)  # a subclass's buffer is never kept
            del old
        piece = remap.Buffer(b"s" * size)[:]
        assert type(piece) is remap.Buffer
        assert (len(piece), piece.capacity, piece.exports, piece.closed, piece.max_size) == (
            size, size, 0, False, None)
        assert piece == b"s" * size
        with pytest.raises(ValueError, match="commit"):
            piece.commit(1)
        piece.resize(4 << 20)  # grows as a new one does: into a mapping, zeros past the bytes
        assert piece.mapped and piece[:size] == b"s" * size and not any(piece[size:])
