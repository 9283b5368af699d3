"""The receive shape: writable(n) hands out spare capacity as a pinned view, commit(k) keeps k of it."""

import socket

import pytest

import remap
from conftest import ClosesOnIndex

MiB = 1 << 20


def test_write_into_the_spare_bytes_then_commit_them():
    buf = remap.Buffer(b"abc")
    with buf.writable(10) as spare:
        assert len(spare) == 10 and not spare.readonly and buf.exports == 1
        spare[:4] = b"defg"
        buf.commit(4)  # while the view lives, as asyncio's transports do
        assert buf == b"abcdefg"
    assert buf.exports == 0 and buf == b"abcdefg"


def test_recv_into_a_buffer_from_a_socket():
    left, right = socket.socketpair()
    with left, right:
        buf = remap.Buffer()
        for chunk in (b"hello ", b"world" * 1000):
            left.sendall(chunk)
            got = 0
            while got < len(chunk):
                with buf.writable(64 << 10) as spare:
                    n = right.recv_into(spare)
                buf.commit(n)
                got += n
        assert buf == b"hello " + b"world" * 1000


def test_the_view_pins_the_buffer():
    buf = remap.Buffer(b"x" * 100)
    spare = buf.writable(100)
    address = buf.address
    for call in (lambda: buf.resize(10 * MiB), lambda: buf.close(), lambda: buf.clear(),
                 lambda: buf.take_bytes(1), lambda: buf.writable(10 * MiB)):
        with pytest.raises(BufferError):
            call()
        assert buf.address == address and buf == b"x" * 100
    spare.release()
    buf.resize(10 * MiB)


def test_commit_takes_only_what_writable_handed_out():
    buf = remap.Buffer(b"abc")
    with pytest.raises(ValueError, match="commit"):
        buf.commit(1)  # nothing handed out: the spare bytes were never written
    with buf.writable(5):
        pass
    with pytest.raises(ValueError, match="commit"):
        buf.commit(6)
    buf.commit(2)
    buf.commit(3)
    with pytest.raises(ValueError, match="commit"):
        buf.commit(1)
    assert buf == b"abc" + bytes(5)
    buf.commit(0)


def test_a_commit_after_the_bytes_moved_to_another_region_is_refused():
    buf = remap.Buffer(b"abc")
    with buf.writable(10):
        pass
    buf.reserve(1 << 20)  # a mapping of its own now: what writable() handed out is gone
    with pytest.raises(ValueError, match="commit"):
        buf.commit(1)
    for _ in range(20):  # a new region, perhaps at the old one's address (malloc reuses blocks)
        with buf.writable(4):
            pass
        buf.__init__(b"xyz")
        with pytest.raises(ValueError, match="commit"):
            buf.commit(1)
        assert buf == b"xyz"


def test_no_earlier_buffer_is_ever_seen_through_the_spare_bytes():
    for size in (5000, 200_000, 3 * MiB):
        remap.Buffer(b"\xa5" * size).close()  # a dirty region for the cache or malloc
        buf = remap.Buffer()
        with buf.writable(size) as spare:
            assert bytes(spare) == bytes(size)
        buf += b"\x5a" * 100
        del buf[:100]  # drained: the next spare bytes start at the base again
        with buf.writable(200) as spare:
            assert spare.tobytes().strip(b"\x5a\x00") == b""


def test_what_writable_handed_out_survives_giving_the_front_back():
    buf = remap.Buffer(8 << 20)  # a mapping: a consumed prefix of 2 MiB or more goes back
    with buf.writable(1 << 20) as spare:
        spare[:5] = b"hello"
    address = buf.address
    buf.take_bytes(6 << 20)
    assert buf.address == address + (6 << 20)  # the live bytes stayed where they were
    buf.commit(5)  # the spare bytes did too, though the storage's base moved past freed pages
    assert buf[-5:] == b"hello" and len(buf) == (2 << 20) + 5


def test_zero_asks_for_all_the_spare_capacity():
    buf = remap.Buffer(b"ab", capacity=1000)
    with buf.writable() as spare:
        assert len(spare) == buf.capacity - 2 >= 998


def test_bad_arguments_and_states():
    buf = remap.Buffer(b"abc")
    for bad, error in ((-1, ValueError), ("1", TypeError), (1 << 62, MemoryError)):
        with pytest.raises(error):
            buf.writable(bad)
    with pytest.raises(MemoryError, match="max_size"):
        remap.Buffer(max_size=100).writable(200)
    view = memoryview(buf.writable(3))
    with pytest.raises(BufferError):
        memoryview(view.obj)  # exported once
    view.release()
    buf.close()
    for call in (lambda: buf.writable(1), lambda: buf.commit(0)):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert remap.Buffer(b"abc").commit(ClosesOnIndex(remap.Buffer(b"z"))) is None


def test_a_read_only_file_buffer_hands_out_nothing(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"abc")
    with remap.FileBuffer(str(path), "r") as buf:
        with pytest.raises(TypeError, match="read-only"):
            buf.writable(1)


def test_a_shared_buffer_publishes_what_is_committed():
    shared = remap.SharedBuffer()
    other = remap.SharedBuffer.attach(shared.fileno())
    with shared.writable(5) as spare:
        spare[:] = b"hello"
    shared.commit(5)
    assert other == b"hello"


def test_read_view_hands_out_messages_without_a_copy_while_more_arrives():
    import asyncio

    import remap.streams

    async def exchange():
        async def serve(reader, writer):
            for i in range(8):
                writer.write(bytes([i]) * (1 << 20))
            await writer.drain()
            writer.close()

        server = await remap.streams.start_server(serve, "127.0.0.1", 0)
        reader, writer = await remap.streams.open_connection(*server.sockets[0].getsockname()[:2])
        seen = []
        for i in range(8):
            async with reader.read_view(1 << 20) as view:
                assert view.readonly and len(view) == 1 << 20
                await asyncio.sleep(0.01)  # more arrives while the Buffer is pinned
                seen.append(view[0] == i and view[-1] == i)
        assert await reader.read() == b""
        writer.close()
        server.close()
        await server.wait_closed()
        return seen

    assert asyncio.run(exchange()) == [True] * 8


def test_bytes_that_arrive_while_a_full_buffer_is_pinned_are_held_aside(monkeypatch):
    import asyncio

    import remap.streams

    aside = []
    spare = remap.streams.StreamReader.spare

    def counting(self, size):
        view = spare(self, size)
        aside.append(self._aside is not None)
        return view

    monkeypatch.setattr(remap.streams.StreamReader, "spare", counting)
    data = bytes(range(256)) * (32 << 10)  # 8 MiB

    async def exchange():
        async def serve(reader, writer):
            writer.write(data)
            await writer.drain()
            writer.close()

        server = await remap.streams.start_server(serve, "127.0.0.1", 0)
        address = server.sockets[0].getsockname()[:2]
        reader, writer = await remap.streams.open_connection(*address, limit=1 << 24)  # no pause
        async with reader.read_view(1024) as view:
            for _ in range(50):  # the Buffer fills up while pinned
                await asyncio.sleep(0.005)
            first = bytes(view)
        rest = await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return first + rest

    assert asyncio.run(exchange()) == data and any(aside)


def test_a_buffer_drained_from_the_front_keeps_room_for_what_comes_next():
    buf = remap.Buffer()
    buf += bytes(MiB)
    address = buf.address
    assert buf.take_bytes() == bytes(MiB)
    assert len(buf) == 0 and buf.capacity >= MiB and buf.address == address  # refilled in place
    buf += bytes(64 * MiB)
    buf.take_bytes(MiB)
    buf.take_bytes()
    assert len(buf) == 0 and MiB <= buf.capacity <= 4 * MiB  # a large one keeps 4 MiB at most
    buf += b"x"
    buf.clear()
    assert buf.capacity == 0  # clear() is a shrink, as bytearray's: it lets the memory go


def test_bytes_past_a_shrink_are_not_the_buffers_own_any_more():
    buf = remap.Buffer(100)  # heap storage: a shrink and a growth are reallocs, maybe in place
    with buf.writable(4000) as spare:
        spare[:] = b"\xff" * 4000  # handed out, never committed
    buf.shrink_to_fit()  # the block past 100 bytes goes back to the allocator
    others = [bytes([0xEE]) * 3000 for _ in range(20)]  # which gives it to others
    del others
    with buf.writable(4000) as spare:
        assert bytes(spare) == bytes(4000)  # what comes back is zeroed, not anyone's bytes
