"""asyncio streams that receive straight into a remap.Buffer: asyncio's API, no bytes per recv.

open_connection, start_server, open_unix_connection and start_unix_server take asyncio's
arguments and give asyncio's StreamWriter with a StreamReader whose buffer is a remap.Buffer. The
transport reads into the Buffer's spare capacity (asyncio.BufferedProtocol: get_buffer hands out
Buffer.writable(), buffer_updated commits what came), so no intermediate bytes object is made per
recv; messages leave from the front in O(message), however deep the backlog.
"""

from __future__ import annotations

import asyncio
import socket
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from remap._core import Buffer

__all__ = ["StreamReader", "StreamReaderProtocol", "open_connection", "open_unix_connection",
           "start_server", "start_unix_server"]

DEFAULT_LIMIT = 1 << 16  # asyncio's default line and buffer limit (64 KiB)
RECEIVE_SIZE = 256 << 10  # what one recv may bring at most, as asyncio's selector transport reads

ConnectedCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], "Awaitable[None] | None"]


class StreamReader(asyncio.StreamReader):
    """asyncio.StreamReader on a remap.Buffer: every method and behaviour of asyncio's own."""

    # asyncio.StreamReader's own state, which received() updates as its feed_data does (every
    # supported Python's test_streams runs on this class, so a change there shows at once)
    _buffer: Buffer
    _eof: bool
    _paused: bool
    _limit: int
    _transport: asyncio.Transport | None

    if TYPE_CHECKING:
        def _wakeup_waiter(self) -> None: ...

    def __init__(self, limit: int = DEFAULT_LIMIT, loop: asyncio.AbstractEventLoop | None = None):
        super().__init__(limit=limit, loop=loop)
        self._buffer = Buffer()  # bytearray's API, on mmap

    def spare(self, size: int) -> memoryview:
        """At least size bytes of the buffer's spare capacity, for the transport to receive into."""
        return self._buffer.writable(size)

    def received(self, count: int) -> None:
        """count bytes arrived in the spare bytes: as feed_data, without the bytes object."""
        assert not self._eof, "received after feed_eof"
        if not count:
            return
        self._buffer.commit(count)
        self._wakeup_waiter()
        if (self._transport is not None and not self._paused
                and len(self._buffer) > 2 * self._limit):
            try:
                self._transport.pause_reading()
            except NotImplementedError:  # the transport cannot pause: read on, as asyncio does
                self._transport = None
            else:
                self._paused = True


class StreamReaderProtocol(asyncio.StreamReaderProtocol, asyncio.BufferedProtocol):
    """asyncio's StreamReaderProtocol as a BufferedProtocol: the transport recv_into()s the
    reader's Buffer."""

    def __init__(self, stream_reader: StreamReader,
                 client_connected_cb: ConnectedCallback | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(stream_reader, client_connected_cb, loop)
        self._remap_reader = weakref.ref(stream_reader)

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the transport writes what it receives: the reader's spare bytes."""
        reader = self._remap_reader()
        if reader is None:  # the reader is gone: what comes is dropped, as asyncio's would be
            return memoryview(bytearray(RECEIVE_SIZE))
        return reader.spare(max(sizehint, RECEIVE_SIZE))

    def buffer_updated(self, nbytes: int) -> None:
        """nbytes arrived where get_buffer pointed."""
        reader = self._remap_reader()
        if reader is not None:
            reader.received(nbytes)


def _protocol(limit: int, loop: asyncio.AbstractEventLoop,
              client_connected_cb: ConnectedCallback) -> StreamReaderProtocol:
    """A server's protocol for one client, with its StreamReader (which it keeps alive)."""
    return StreamReaderProtocol(StreamReader(limit=limit, loop=loop), client_connected_cb, loop)


async def open_connection(host: str | None = None, port: int | str | None = None, *,
                          limit: int = DEFAULT_LIMIT,
                          **kwds: Any) -> tuple[StreamReader, asyncio.StreamWriter]:
    """asyncio.open_connection, with a StreamReader on a remap.Buffer."""
    loop = asyncio.get_running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = StreamReaderProtocol(reader, loop=loop)
    # typeshed's create_connection wants host and port; asyncio's own passes None on as well
    transport, _ = await loop.create_connection(lambda: protocol, host, port,  # type: ignore[arg-type]
                                                **kwds)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def start_server(client_connected_cb: ConnectedCallback, host: str | None = None,
                       port: int | str | None = None, *, limit: int = DEFAULT_LIMIT,
                       **kwds: Any) -> asyncio.Server:
    """asyncio.start_server: each client gets a StreamReader on a remap.Buffer."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _protocol(limit, loop, client_connected_cb), host,
                                    port, **kwds)  # type: ignore[arg-type]


async def open_unix_connection(path: str | None = None, *, limit: int = DEFAULT_LIMIT,
                               **kwds: Any) -> tuple[StreamReader, asyncio.StreamWriter]:
    """asyncio.open_unix_connection, with a StreamReader on a remap.Buffer."""
    loop = asyncio.get_running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def start_unix_server(client_connected_cb: ConnectedCallback, path: str | None = None, *,
                            limit: int = DEFAULT_LIMIT, **kwds: Any) -> asyncio.Server:
    """asyncio.start_unix_server: each client gets a StreamReader on a remap.Buffer."""
    loop = asyncio.get_running_loop()
    return await loop.create_unix_server(lambda: _protocol(limit, loop, client_connected_cb), path,
                                         **kwds)


if not hasattr(socket, "AF_UNIX"):  # pragma: no cover - Linux has it
    del open_unix_connection, start_unix_server
