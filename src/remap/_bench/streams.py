"""remap.streams against asyncio's own streams (and uvloop's loop, if installed): a sender in a
process of its own streams messages over loopback TCP or a Unix socket, as fast as the socket
takes them (1 MiB of messages per send); the peer's server reads them with readexactly or
readline. The sender is the same plain blocking socket for every peer, so the time is the
reader's. Each peer runs in a process of its own, after one unmeasured stream of the same case:
what one round leaves in glibc's heap (a 16 MiB message raises its mmap threshold to 16 MiB, and
1 MiB messages stop faulting in fresh pages) does not reach the next case or peer. Beside them,
the kernel's bound: the same sender read by a blocking recv_into loop, with no event loop and no
message objects."""

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

from remap import streams as remap_streams

KiB, MiB = 1 << 10, 1 << 20
TOTAL = 64 * MiB  # bytes streamed per peer and round
LINE = b"x" * 99 + b"\n"
BOUND = "recv_into bound"  # the reference row beside the peers
SENDER = """
import socket, sys
address, size, count, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
line = b"x" * 99 + b"\\n"
message = line * (size // len(line)) if lines else b"x" * size
batch = max(1, (1 << 20) // len(message))  # messages per send: 1 MiB at a time, or one message
payload = message * batch  # made once: the sender only copies into the socket
if address.startswith("/"):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(address)
else:
    sock = socket.create_connection(("127.0.0.1", int(address)))
for _ in range(count // batch):
    sock.sendall(payload)
sock.sendall(message * (count % batch))
sock.close()
"""


def peers():
    """{name: (streams module, event loop factory)}: asyncio's, remap's, and uvloop's if any."""
    found = {"asyncio": (asyncio, asyncio.new_event_loop),
             "remap": (remap_streams, asyncio.new_event_loop)}
    try:
        import uvloop  # type: ignore[import-not-found]  # optional
    except ImportError:
        return found
    found["asyncio + uvloop"] = (asyncio, uvloop.new_event_loop)
    found["remap + uvloop"] = (remap_streams, uvloop.new_event_loop)
    return found


async def stream(module, unix_path, size, lines, total=TOTAL):
    """Receive total bytes of size-byte messages (or 100-byte lines) from a sender process;
    seconds from the first read to the last."""
    message_size = len(LINE) * (size // len(LINE)) if lines else size
    count = total // message_size
    reads = count * (size // len(LINE)) if lines else count
    done = asyncio.get_running_loop().create_future()

    async def receive(reader, writer):
        start = time.perf_counter()
        try:
            for _ in range(reads):
                await (reader.readline() if lines else reader.readexactly(size))
        except Exception as error:  # the round fails with it instead of waiting forever
            done.set_exception(error)
        else:
            done.set_result(time.perf_counter() - start)
        writer.close()

    if unix_path:
        server = await module.start_unix_server(receive, unix_path)
        address = unix_path
    else:
        server = await module.start_server(receive, "127.0.0.1", 0)
        address = str(server.sockets[0].getsockname()[1])
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SENDER, address, str(size), str(count), "1" if lines else "0")
    seconds = await done
    await sender.wait()
    server.close()
    await server.wait_closed()
    return seconds


def stream_peer(name, size, total, unix_path=None, lines=False):
    """Seconds one peer takes to receive total bytes of size-byte messages (or lines), over TCP
    or the Unix socket at unix_path, in a new event loop."""
    module, new_loop = peers()[name]
    loop = new_loop()
    try:
        return loop.run_until_complete(stream(module, unix_path, size, lines, total))
    finally:
        loop.close()


def kernel_bound(unix_path, size, total=TOTAL):
    """Seconds a blocking recv_into loop into one 256 KiB buffer takes to receive total bytes from
    the same sender: no event loop, no message objects, what the kernel's copies cost alone."""
    server = socket.socket(socket.AF_UNIX if unix_path else socket.AF_INET)
    with server:
        server.bind(unix_path or ("127.0.0.1", 0))
        server.listen()
        address = unix_path or str(server.getsockname()[1])
        sender = subprocess.Popen([sys.executable, "-c", SENDER, address, str(size),
                                   str(total // size), "0"])
        connection, _ = server.accept()
        with connection, memoryview(bytearray(256 * KiB)) as room:
            start, received = time.perf_counter(), 0
            while received < total // size * size:
                received += connection.recv_into(room) or total  # EOF early: stop
            seconds = time.perf_counter() - start
        sender.wait()
    return seconds


def stream_alone(name, unix, size, lines):
    """Seconds one peer takes to receive TOTAL bytes at steady state: one unmeasured stream
    first, each in a new event loop (run in a process of the peer's own)."""
    with tempfile.TemporaryDirectory() as folder:
        for turn in range(2):
            path = os.path.join(folder, f"{turn}.sock") if unix else None
            seconds = (kernel_bound(path, size) if name == BOUND else
                       stream_peer(name, size, TOTAL, path, lines))
    return seconds


def stream_round(names, unix, size, lines):
    """One interleaved round: each peer streams, in a new process of its own; {peer: seconds}."""
    code = ("import sys\nfrom remap._bench.streams import stream_alone\n"
            "print(stream_alone(sys.argv[1], sys.argv[2] == '1', int(sys.argv[3]), "
            "sys.argv[4] == '1'))")
    return {name: float(subprocess.run(
        [sys.executable, "-c", code, name, str(int(unix)), str(size), str(int(lines))],
        capture_output=True, text=True, check=True).stdout) for name in names}


def stream_cases(rotated):
    """The cases: (label, scenario, size, round function), each peer in a rotating order; the
    readexactly cases with the kernel's bound beside them."""
    names = list(peers())
    cases = []
    for unix in (False, True):
        where = "Unix socket" if unix else "TCP"
        for size in (KiB, 64 * KiB, MiB, 16 * MiB):
            cases.append((f"streams {where}, readexactly", "streams", size,
                          lambda r, u=unix, s=size: stream_round(rotated(names + [BOUND], r), u,
                                                                 s, False)))
        cases.append((f"streams {where}, readline", "streams", 64 * KiB,
                      lambda r, u=unix: stream_round(rotated(names, r), u, 64 * KiB, True)))
    return cases
