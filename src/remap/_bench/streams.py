"""remap.streams against asyncio's own streams (and uvloop's loop, if installed): a server streams
messages over loopback TCP or a Unix socket, the client takes them with readexactly or readline."""

import asyncio
import os
import tempfile
import time

from remap import streams as remap_streams

KiB, MiB = 1 << 10, 1 << 20
TOTAL = 64 * MiB  # bytes streamed per peer and round
LINE = b"x" * 99 + b"\n"


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


async def stream(module, unix_path, size, lines):
    """Serve TOTAL bytes of size-byte messages (or 100-byte lines) and read them; seconds."""
    message = LINE * (size // len(LINE)) if lines else b"x" * size
    count = TOTAL // len(message)

    async def serve(reader, writer):
        for _ in range(count):
            writer.write(message)
            await writer.drain()
        writer.close()

    if unix_path:
        server = await module.start_unix_server(serve, unix_path)
        reader, writer = await module.open_unix_connection(unix_path)
    else:
        server = await module.start_server(serve, "127.0.0.1", 0)
        reader, writer = await module.open_connection(*server.sockets[0].getsockname()[:2])
    start = time.perf_counter()
    if lines:
        for _ in range(count * (size // len(LINE))):
            await reader.readline()
    else:
        for _ in range(count):
            await reader.readexactly(size)
    seconds = time.perf_counter() - start
    writer.close()
    server.close()
    await server.wait_closed()
    return seconds


def stream_round(names, unix, size, lines):
    """One interleaved round: each peer streams once; {peer: seconds}."""
    found, seconds = peers(), {}
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            module, new_loop = found[name]
            path = os.path.join(folder, f"{len(seconds)}.sock") if unix else None
            loop = new_loop()
            try:
                seconds[name] = loop.run_until_complete(stream(module, path, size, lines))
            finally:
                loop.close()
    return seconds


def stream_cases(rotated):
    """The cases: (label, scenario, size, round function), each peer in a rotating order."""
    names = list(peers())
    cases = []
    for unix in (False, True):
        where = "Unix socket" if unix else "TCP"
        for size in (KiB, 64 * KiB, MiB, 16 * MiB):
            cases.append((f"streams {where}, readexactly", "streams", size,
                          lambda r, u=unix, s=size: stream_round(rotated(names, r), u, s, False)))
        cases.append((f"streams {where}, readline", "streams", 64 * KiB,
                      lambda r, u=unix: stream_round(rotated(names, r), u, 64 * KiB, True)))
    return cases
