"""What real code does with a growable byte buffer, for the bench: receive, churn, readinto, asyncio."""

import asyncio
import io
import os
import tempfile

from remap._core import Buffer

KiB, MiB = 1 << 10, 1 << 20
MESSAGE = 1024        # a receive buffer takes messages of this size from its front
CHUNK = 4 * KiB       # and is fed this much at a time, as a socket read would


# -- a receive buffer: asyncio, h11, websockets and msgpack append at the end, consume the front --

def take_by_delete(buf, n):
    """What 3.11-3.14 code does: copy the message out, then delete it."""
    message = bytes(buf[:n])
    del buf[:n]
    return message


def take_bytes(buf, n):
    """Python 3.15's bytearray.take_bytes: one call."""
    return buf.take_bytes(n)


class BytesIOReceiver:
    """A receive buffer on io.BytesIO: write at the end, read from a position, compact when half read."""

    def __init__(self):
        self.file, self.read_at = io.BytesIO(), 0

    def __iadd__(self, data):
        self.file.seek(0, io.SEEK_END)
        self.file.write(data)
        return self

    def take(self, n):
        self.file.seek(self.read_at)
        message = self.file.read(n)
        self.read_at += len(message)
        if self.read_at > len(self.file.getbuffer()) // 2:
            self.file = io.BytesIO(self.file.getbuffer()[self.read_at:])
            self.read_at = 0
        return message


def receive(make, take, backlog, total):
    """Feed total bytes in CHUNKs through a buffer that holds backlog bytes, taking MESSAGEs."""
    buf, chunk = make(), bytes(range(256)) * (CHUNK // 256)
    buf += bytes(backlog)
    for _ in range(total // CHUNK):
        buf += chunk
        for _ in range(CHUNK // MESSAGE):
            take(buf, MESSAGE)
    return buf


RECEIVE = {"remap": (Buffer, take_by_delete), "bytearray": (bytearray, take_by_delete),
           "remap take_bytes": (Buffer, take_bytes),
           "BytesIO": (BytesIOReceiver, BytesIOReceiver.take)}


def receive_peer(name, backlog, total):
    make, take = RECEIVE[name]
    return receive(make, take, backlog, total)


# -- churn: servers make, fill and drop medium buffers all day --

def churn(make, append_name, size, chunk, count):
    """Make count buffers, fill each to size in chunk-byte appends, drop it."""
    data = b"c" * chunk
    for _ in range(count):
        buf = make()
        append = getattr(buf, append_name)
        for _ in range(size // chunk):
            append(data)
        del buf, append


CHURN = {"remap": (Buffer, "extend"), "bytearray": (bytearray, "extend"),
         "BytesIO": (io.BytesIO, "write")}


def churn_peer(name, size, chunk, count):
    make, append_name = CHURN[name]
    churn(make, append_name, size, chunk, count)


# -- readinto: grow by a step, read into the new room, trim to what came --

def grow_bytearray(buf, size):
    """bytearray.resize (3.14) where it exists, the peer's own idiom; before: extend with zeros
    or delete the tail."""
    if BYTEARRAY_RESIZE is not None:
        BYTEARRAY_RESIZE(buf, size)
    elif size > len(buf):
        buf += bytes(size - len(buf))
    else:
        del buf[size:]


BYTEARRAY_RESIZE = getattr(bytearray, "resize", None)


def read_into_bytearray(stream, step):
    """Read a whole stream into a bytearray, growing it step bytes at a time, then trimming."""
    buf, end = bytearray(), 0
    while True:
        grow_bytearray(buf, end + step)
        with memoryview(buf) as view:
            got = stream.readinto(view[end:end + step])
        end += got
        if got < step:
            grow_bytearray(buf, end)
            return buf


def read_into_buffer(stream, step):
    """Read a whole stream into a Buffer's spare bytes (writable), committing what came."""
    buf = Buffer()
    while True:
        with buf.writable(step) as spare:
            got = stream.readinto(spare)
        buf.commit(got)
        if got < step:
            return buf


READINTO = {"remap": read_into_buffer, "bytearray": read_into_bytearray}


def stream_file(size):
    """A temporary file of size bytes (in the page cache once written); the caller removes it."""
    handle, path = tempfile.mkstemp(prefix="remap-bench-")
    with os.fdopen(handle, "wb") as out:
        block = bytes(range(256)) * (MiB // 256)
        for _ in range(size // MiB):
            out.write(block)
    return path


def readinto_peer(name, path, step=MiB):
    with open(path, "rb", buffering=0) as stream:
        return READINTO[name](stream, step)


# -- asyncio.StreamReader, the standard library's own receive loop, on a Buffer --

def lines(size):
    """size bytes of MESSAGE-byte lines."""
    return (b"x" * (MESSAGE - 1) + b"\n") * (size // MESSAGE)


async def read_stream_reader(reader, backlog, total):
    """Keep backlog bytes queued; per CHUNK fed, readexactly, readuntil, readline, readexactly."""
    reader.feed_data(lines(backlog))
    chunk = lines(CHUNK)
    for _ in range(total // CHUNK):
        reader.feed_data(chunk)
        await reader.readexactly(MESSAGE)
        await reader.readuntil(b"\n")
        await reader.readline()
        await reader.readexactly(MESSAGE)


def stream_reader_peer(name, backlog, total):
    """asyncio.StreamReader with its internal bytearray swapped for a Buffer (remap) or not."""

    async def main():
        reader = asyncio.StreamReader(limit=2 * MESSAGE)
        if name == "remap":
            reader._buffer = Buffer()
        await read_stream_reader(reader, backlog, total)

    asyncio.run(main())


STREAM_READER = {"remap": "remap", "bytearray": "bytearray"}
