"""asyncio streams that receive straight into a remap.Buffer: asyncio's API, no bytes per recv.

open_connection, start_server, open_unix_connection and start_unix_server take asyncio's
arguments and give asyncio's StreamWriter with a StreamReader whose buffer is a remap.Buffer. The
transport reads into the Buffer's spare capacity (asyncio.BufferedProtocol: get_buffer hands out
Buffer.writable(), buffer_updated commits what came), so no intermediate bytes object is made per
recv; messages leave from the front in O(message), however deep the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
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

    _exception: BaseException | None

    if TYPE_CHECKING:
        def _wakeup_waiter(self) -> None: ...
        def _maybe_resume_transport(self) -> None: ...
        async def _wait_for_data(self, func_name: str) -> None: ...

    def __init__(self, limit: int = DEFAULT_LIMIT, loop: asyncio.AbstractEventLoop | None = None):
        super().__init__(limit=limit, loop=loop)
        self._buffer = Buffer()  # bytearray's API, on mmap
        self._views = 0  # read_view blocks open: the Buffer is pinned and must not move
        self._aside: memoryview | None = None  # where bytes went that the pinned Buffer had no room for
        self._held = bytearray()  # those bytes, until the last read_view block ends

    @contextlib.asynccontextmanager
    async def read_view(self, n: int) -> AsyncIterator[memoryview]:
        """The next n bytes as a read-only memoryview, without a copy, for an `async with`
        block; they are consumed when it ends. The view is valid inside the block only (the
        Buffer is pinned there; it is released on exit). IncompleteReadError at EOF, as
        readexactly."""
        if n < 0:
            raise ValueError("read_view size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        while len(self._buffer) < n:
            if self._eof:
                incomplete = bytes(self._buffer)
                self._buffer.clear()
                raise asyncio.IncompleteReadError(incomplete, n)
            await self._wait_for_data("read_view")
        view = memoryview(self._buffer).toreadonly()
        self._views += 1
        try:
            with view[:n] as message:
                yield message
        finally:
            view.release()
            self._views -= 1
            del self._buffer[:n]
            self._take_held()
            self._maybe_resume_transport()

    async def readexactly(self, n: int) -> bytes:
        """asyncio's readexactly, taking the message with one copy (Buffer.take_bytes, as 3.15's
        own reader does with bytearray.take_bytes) rather than a view, a copy and a deletion."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        while len(self._buffer) < n:
            if self._eof:
                raise asyncio.IncompleteReadError(self._buffer.take_bytes(), n)
            await self._wait_for_data("readexactly")
        data = self._buffer.take_bytes(n)
        self._maybe_resume_transport()
        return data

    async def readline(self) -> bytes:
        """asyncio's readline; a line already received is taken at once, with one copy."""
        line = self._take_through(b"\n")
        return await super().readline() if line is None else line

    async def readuntil(self, separator: Any = b"\n") -> bytes:
        """asyncio's readuntil; what already ends with a bytes separator is taken at once."""
        chunk = self._take_through(separator) if type(separator) is bytes else None
        return await super().readuntil(separator) if chunk is None else chunk

    def _take_through(self, separator: bytes) -> bytes | None:
        """The bytes up to and including separator, when they are here and asyncio's readuntil
        would return them now (no exception set, the separator found within the limit); else
        None, and asyncio's own code reads on."""
        size = len(separator)
        if self._exception is not None or not size:
            return None
        end = self._buffer.find(separator, 0, self._limit + size) + size
        if end < size:
            return None
        chunk = self._buffer.take_bytes(end)
        if self._paused:
            self._maybe_resume_transport()
        return chunk

    def _take_held(self) -> None:
        """Once no read_view pins the Buffer, append the bytes held aside and read on."""
        if self._views or not self._held:
            return
        self._buffer += self._held
        self._held.clear()
        self._wakeup_waiter()
        if self._transport is not None and self._paused and len(self._buffer) <= self._limit:
            self._paused = False
            self._transport.resume_reading()

    def spare(self, size: int) -> memoryview:
        """At least size bytes of the buffer's spare capacity, for the transport to receive into;
        while a read_view pins the Buffer, only the room it has, else a place aside (and the
        transport pauses until the view is done)."""
        if not self._views:
            return self._buffer.writable(size)
        room = self._buffer.capacity - len(self._buffer)
        if room > 0:
            return self._buffer.writable(min(room, size))
        if self._transport is not None and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        self._aside = memoryview(bytearray(size))
        return self._aside

    def received(self, count: int) -> None:
        """count bytes arrived in the spare bytes: as feed_data, without the bytes object."""
        assert not self._eof, "received after feed_eof"
        aside, self._aside = self._aside, None
        if aside is not None:  # the Buffer was pinned and full: hold them for later
            self._held += aside[:count]
            return
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
        self._spare: memoryview | None = None  # what get_buffer handed out, until it is released

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the transport writes what it receives: the reader's spare bytes."""
        self._release_spare()
        reader = self._remap_reader()
        if reader is None:  # the reader is gone: what comes is dropped, as asyncio's would be
            return memoryview(bytearray(RECEIVE_SIZE))
        self._spare = reader.spare(max(sizehint, RECEIVE_SIZE))
        asyncio.get_running_loop().call_soon(self._release_spare)  # a failed read: next turn
        return self._spare

    def buffer_updated(self, nbytes: int) -> None:
        """nbytes arrived where get_buffer pointed."""
        reader = self._remap_reader()
        if reader is not None:
            reader.received(nbytes)
        self._release_spare()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release_spare()
        super().connection_lost(exc)

    def _release_spare(self) -> None:
        """Release the view get_buffer handed out once the transport is done with it, so a frame
        that outlives the read (sslproto's, kept by a stored traceback) does not pin the Buffer:
        the view then reads as released. One the transport still exports stays until later."""
        spare, self._spare = self._spare, None
        if spare is not None:
            try:
                spare.release()
            except BufferError:  # the transport holds a buffer of it still (a C transport)
                self._spare = spare


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
