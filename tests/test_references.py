"""No reference leaks: sys.gettotalrefcount() stays steady over 10,000 rounds of each main
operation of each type. Debug interpreters only (python3.14-dbg, python3.15-dbg in CI)."""

import sys

import pytest

from conftest import run_child

pytestmark = pytest.mark.skipif(not hasattr(sys, "gettotalrefcount"),
                                reason="sys.gettotalrefcount needs a debug (Py_DEBUG) build")

ROUNDS = 10_000

# Each operation is one round; its name is what the test reports.
OPERATIONS = """
import asyncio, gc, io, pickle, sys
import remap
import remap.streams

data = bytes(range(256)) * 16
buf = remap.Buffer(data)
big = remap.Buffer(data * 64)
file = remap.BufferIO(data * 4)
key = remap.Buffer(b"k" * 100, secret=True, strict=False)
array = remap.Array("f8")
loop = asyncio.new_event_loop()
reader = remap.streams.StreamReader(loop=loop)
protocol = remap.streams.StreamReaderProtocol(reader, loop=loop)

async def receive_round():
    view = protocol.get_buffer(100)
    view[:5] = b"hello"
    protocol.buffer_updated(5)
    await reader.readexactly(5)
    await asyncio.sleep(0)  # the release get_buffer scheduled runs

def receive():
    loop.run_until_complete(receive_round())

def refused():
    try:
        with memoryview(buf):
            buf.resize(1 << 30)
    except BufferError:
        pass

def file_calls():
    file.seek(0)
    file.read(10), file.readline(), file.readinto(bytearray(8)), file.tell(), next(file)
    file.seek(0, 2), file.write(b"x"), file.truncate(len(data) * 4), file.getvalue()
    file.readlines(1), file.getbuffer().release()

operations = {
    "make": lambda: remap.Buffer(100),
    "make from bytes": lambda: remap.Buffer(data),
    "slice": lambda: buf[10:2000],
    "bytes": lambda: bytes(buf),
    "resize": lambda: (big.resize(1 << 20), big.resize(len(data) * 64)),
    "take_bytes": lambda: (buf.extend(data[:100]), buf.take_bytes(100)),
    "writable and commit": lambda: (buf.writable(64).release(), buf.commit(0)),
    "refused move": refused,
    "secret slice": lambda: key[:50],
    "BufferIO": file_calls,
    "BufferIO made": lambda: remap.BufferIO(data).read(),
    "view": lambda: bytes(buf.view(5, 100)),
    "pinned": lambda: buf.pinned().__enter__().release(),
    "Array.append": lambda: (array.append(1.5), array.resize(0)),
    "pickle": lambda: pickle.loads(pickle.dumps(buf, 5)),
    "pickle BufferIO": lambda: pickle.loads(pickle.dumps(file)),
    "SharedBuffer": lambda: remap.SharedBuffer(10).close(),
    "Ring": lambda: (remap.Ring(4096).close()),
    "streams protocol": receive,
}

def drift(operation, rounds):
    for _ in range(100):
        operation()
    gc.collect()
    before = sys.gettotalrefcount()
    for _ in range(rounds):
        operation()
    gc.collect()
    return sys.gettotalrefcount() - before

leaks = {name: drift(operation, ROUNDS) for name, operation in operations.items()}
leaks = {name: count for name, count in leaks.items() if count > ROUNDS // 100}
print(leaks)
"""


def test_total_references_stay_steady_over_ten_thousand_rounds_of_each_operation():
    out = run_child(f"ROUNDS = {ROUNDS}\n" + OPERATIONS, timeout=600)
    assert out == "{}\n", f"references gained per {ROUNDS} rounds: {out}"
