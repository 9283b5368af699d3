"""remap.streams on every event loop it may meet: asyncio's own and uvloop's (a test extra).

uvloop's TCP and Unix transports call get_buffer/buffer_updated from C, with their own idea of
the size hint and of when a view is released; each case runs on both loops and must give what
asyncio's own streams give.
"""

import asyncio
import os

import pytest

import remap.streams

uvloop = pytest.importorskip("uvloop")

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
MiB = 1 << 20


def run(loop_name, coroutine_function, *args, **kwargs):
    """coroutine_function(*args, **kwargs) to completion on a new loop of the named kind."""
    loop = LOOPS[loop_name]()
    try:
        return loop.run_until_complete(asyncio.wait_for(coroutine_function(*args, **kwargs), 60))
    finally:
        loop.close()


async def serve_and_read(data, read, *, unix_path=None, limit=1 << 16):
    """Serve data to one client that reads it with read(reader); return what read returns."""

    async def serve(reader, writer):
        writer.write(data)
        await writer.drain()
        writer.close()

    if unix_path:
        server = await remap.streams.start_unix_server(serve, unix_path)
        reader, writer = await remap.streams.open_unix_connection(unix_path, limit=limit)
    else:
        server = await remap.streams.start_server(serve, "127.0.0.1", 0)
        address = server.sockets[0].getsockname()[:2]
        reader, writer = await remap.streams.open_connection(*address, limit=limit)
    try:
        return await read(reader)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


async def messages(reader, size, count):
    return [await reader.readexactly(size) for _ in range(count)]


@pytest.mark.parametrize("loop_name", list(LOOPS))
@pytest.mark.parametrize("size", [1, 1 << 10, 64 << 10, 3 * MiB])
def test_readexactly_over_tcp(loop_name, size):
    data = os.urandom(size) * 5
    got = run(loop_name, serve_and_read, data, lambda r: messages(r, size, 5))
    assert b"".join(got) == data and all(len(m) == size for m in got)


@pytest.mark.parametrize("loop_name", list(LOOPS))
def test_lines_separators_and_eof_over_a_unix_socket(loop_name, tmp_path):
    data = b"".join(b"line %d\n" % i for i in range(20000)) + b"a|b||tail"

    async def read(reader):
        lines = [await reader.readline() for _ in range(20000)]
        first = await reader.readuntil(b"|")
        second = await reader.readuntil(b"||")
        with pytest.raises(asyncio.IncompleteReadError) as error:
            await reader.readexactly(10)
        return lines, first, second, error.value.partial, reader.at_eof()

    lines, first, second, partial, at_eof = run(loop_name, serve_and_read, data, read,
                                                unix_path=str(tmp_path / "s.sock"))
    assert lines == [b"line %d\n" % i for i in range(20000)]
    assert (first, second, partial, at_eof) == (b"a|", b"b||", b"tail", True)


@pytest.mark.parametrize("loop_name", list(LOOPS))
def test_flow_control_pauses_and_resumes_with_a_small_limit(loop_name):
    data = os.urandom(8 * MiB)

    async def read(reader):
        await asyncio.sleep(0.05)  # let the transport fill the Buffer past 2 * limit and pause
        assert len(reader._buffer) <= 4 * 1024 + (1 << 20)  # paused near the mark, not 8 MiB
        return await reader.read()

    assert run(loop_name, serve_and_read, data, read, limit=1024) == data


@pytest.mark.parametrize("loop_name", list(LOOPS))
def test_read_view_hands_out_messages_without_a_copy(loop_name):
    data = os.urandom(4 * MiB)

    async def read(reader):
        seen = []
        for _ in range(4):
            async with reader.read_view(MiB) as view:
                assert view.readonly and len(view) == MiB
                seen.append(bytes(view))
        return b"".join(seen), await reader.read()

    assert run(loop_name, serve_and_read, data, read) == (data, b"")


def test_a_view_kept_past_the_read_does_not_pin_the_buffer():
    async def scenario():
        reader = remap.streams.StreamReader()
        protocol = remap.streams.StreamReaderProtocol(reader)
        kept = protocol.get_buffer(-1)  # as sslproto's frame keeps it, through a traceback
        kept[:5] = b"hello"
        protocol.buffer_updated(5)
        assert await reader.readexactly(5) == b"hello"  # a take: the Buffer is not pinned
        with pytest.raises(ValueError):
            kept[0]  # released: nothing can reach the Buffer's memory through it
        failed = protocol.get_buffer(-1)  # a read that fails: no buffer_updated follows
        await asyncio.sleep(0)  # the next turn of the loop releases it
        with pytest.raises(ValueError):
            failed[0]
        reader.feed_eof()
        return await reader.read()

    assert asyncio.run(scenario()) == b""
