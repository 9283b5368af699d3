"""remap's public API as typed code uses it: `mypy --strict tests/typing` must pass.

A `# type: ignore[code]` marks a call the stubs must reject: under --strict an ignore that is not
needed is itself an error, so a stub that grew too lenient fails the check.
"""

import asyncio
import copy
import io
import os
import pickle
import tempfile
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

import remap


class Frame(remap.Buffer):
    """A subclass with its own constructor, as frameworks write them (copy and pickle call it
    with the bytes alone, as they do a bytearray subclass's)."""

    def __init__(self, payload: bytes = b"", frame_id: int = 0) -> None:
        super().__init__(payload, capacity=64)
        self.frame_id = frame_id


def frames(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Newline-delimited frames from a stream of chunks, consumed from the front."""
    pending = remap.Buffer()
    for chunk in chunks:
        pending += chunk
        while (end := pending.find(b"\n")) >= 0:
            yield pending.take_bytes(end + 1)


def fill(file: io.BufferedIOBase, size: int) -> remap.Buffer:
    """Read size bytes from a file into a buffer with readinto, as a socket loop does."""
    buf = remap.Buffer(size)
    with memoryview(buf) as view:
        done = 0
        while done < size and (count := file.readinto(view[done:])):
            done += count
    buf.resize(done)
    return buf


def numbers() -> NDArray[np.float64]:
    """Doubles in a Buffer, seen by numpy without a copy; an Array that grows."""
    buf = remap.Buffer(8 * 4)
    values: NDArray[np.float64] = np.frombuffer(memoryview(buf), np.float64)
    growing = remap.Array("f8")
    growing.append(1.5)
    growing.extend([2.5, 3.5])
    total: NDArray[np.float64] = values + np.asarray(growing)[:1]
    return total


def shared_and_rings() -> None:
    """A SharedBuffer seen through a second handle, a Ring, a secret, a FileBuffer."""
    shared = remap.SharedBuffer(4)
    other = remap.SharedBuffer.attach(shared.fileno())
    other += b"!"
    ring = remap.Ring(when_full="grow")
    written: int = ring.write(b"abc")
    with ring.readable() as view:
        first: int = view[0]
    ring.consume(1)
    key = remap.Buffer(b"k", secret=True)
    protection = key.protection
    assert (len(shared), written, first, ring.read(), protection and protection["locked"]) == (
        5, 3, 97, b"bc", True)
    with tempfile.TemporaryDirectory() as directory:
        with remap.FileBuffer(os.path.join(directory, "log"), "x+") as log:
            log += b"entry"
            log.flush()
        assert os.path.getsize(os.path.join(directory, "log")) == 5


async def echo_once() -> bytes:
    """remap.streams, typed as asyncio's: a server that echoes one line, and a client."""
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await remap.streams.start_server(echo, "127.0.0.1", 0)
    reader, writer = await remap.streams.open_connection(*server.sockets[0].getsockname()[:2])
    writer.write(b"ping\n")
    async with reader.read_view(5) as line:
        echoed = bytes(line)
    writer.close()
    server.close()
    await server.wait_closed()
    return echoed


def main() -> None:
    assert b"".join(frames(iter([b"a\nb", b"c\n"]))) == b"a\nbc\n"
    assert fill(remap.BufferIO(b"x" * 10), 4) == b"xxxx"
    frame = Frame(b"abc", 7)
    duplicate: Frame = copy.copy(frame)
    again: remap.Buffer = pickle.loads(pickle.dumps(frame))
    sliced: remap.Buffer = frame[1:]
    byte: int = frame[0]
    with remap.Buffer(b"data") as buf, buf.view(1, 2) as window:
        assert bytes(window) == b"at" and buf.hex(":") == "64:61:74:61"
    file = remap.BufferIO(b"line one\nline two\n")
    first: bytes = file.readline()
    assert (first, duplicate.frame_id, byte) == (b"line one\n", 7, 97)
    assert again == frame and type(again) is Frame and sliced == b"bc"
    assert numbers().shape == (4,) and remap.__version__
    shared_and_rings()
    assert asyncio.run(echo_once()) == b"ping\n"


def rejected_by_the_stubs() -> None:
    """Calls that fail at runtime, which the stubs must reject too (never called)."""
    remap.Buffer().append("x")  # type: ignore[arg-type]
    remap.Buffer().extend(1.5)  # type: ignore[arg-type]
    remap.Buffer(b"x").find(b"x", start=0)  # type: ignore[call-arg]
    remap.Ring(when_full="block")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
