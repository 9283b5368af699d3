"""Memory that others see: SharedBuffer against multiprocessing.shared_memory, FileBuffer against
f.write and mmap.resize, and a second process's first access after growth."""

import mmap
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import shared_memory

from remap._bench.kernel import GiB, KiB, MiB
from remap._bench.peers import touch_pages
from remap._core import FileBuffer, SharedBuffer

GROWTHS = {"doubling": lambda size: 2 * size, "+64 MiB": lambda size: size + 64 * MiB}
FILE_PEERS = ("remap", "f.write", "mmap.resize")
FIRST_ACCESS_CHILD = """
import sys, time
from multiprocessing import resource_tracker, shared_memory
import remap
shared = remap.SharedBuffer.attach(int(sys.argv[1])) if sys.argv[1] != "-" else None
print("ready", flush=True)
name = sys.stdin.readline().strip()
start = time.perf_counter()
if shared is not None:
    shared[len(shared) - 1]
else:
    grown = shared_memory.SharedMemory(name)
    grown.buf[grown.size - 1]
print(time.perf_counter() - start)
if shared is None:
    resource_tracker.unregister(grown._name, "shared_memory")  # the parent unlinks it
"""


def timed(action, *args):
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


def touched_shared(peer, size, new_size):
    """Shared memory of size bytes, every page written, as peer makes it (ready to grow to new_size)."""
    if peer == "SharedMemory + copy":
        segment = shared_memory.SharedMemory(create=True, size=size)
        touch_pages(segment.buf)
        return segment
    max_size = 2 * new_size if peer == "remap max_size" else None
    return touch_pages(SharedBuffer(size, max_size=max_size))


def grow(memory, new_size):
    """Grow it to new_size: resize a SharedBuffer; copy a SharedMemory into a new one."""
    if isinstance(memory, SharedBuffer):
        memory.resize(new_size)
        return memory
    new = shared_memory.SharedMemory(create=True, size=new_size)
    new.buf[: memory.size] = memory.buf
    drop(memory)
    return new


def drop(memory):
    """Free it: close, and unlink a SharedMemory segment."""
    memory.close()
    if not isinstance(memory, SharedBuffer):
        memory.unlink()


def grow_shared(peer, size, new_size):
    """Seconds peer takes to grow touched shared memory of size bytes to new_size."""
    memory = touched_shared(peer, size, new_size)
    start = time.perf_counter()
    memory = grow(memory, new_size)
    seconds = time.perf_counter() - start
    drop(memory)
    return seconds


def shared_round(peers, size, growth):
    """One interleaved round: {peer: seconds to grow size bytes by growth}."""
    return {peer: grow_shared(peer, size, GROWTHS[growth](size)) for peer in peers}


def append_file(peer, path, total, chunk):
    """Append total bytes to a new file in chunk-sized pieces; the file is total bytes after."""
    data = bytes(range(256)) * (chunk // 256)
    if peer == "remap":
        with FileBuffer(path, "w+") as file:
            for _ in range(total // chunk):
                file += data
    elif peer == "f.write":
        with open(path, "wb") as file:
            for _ in range(total // chunk):
                file.write(data)
    else:
        append_mmap(path, total, data)


def append_mmap(path, total, data):
    """mmap's way: resize the map (it grows the file) 1.5x at a time, write, cut to size."""
    with open(path, "wb+") as file:
        file.truncate(len(data))
        mapping, position = mmap.mmap(file.fileno(), len(data)), 0
        for _ in range(total // len(data)):
            if position + len(data) > len(mapping):
                mapping.resize(max(len(mapping) * 3 // 2, position + len(data)))
            mapping[position: position + len(data)] = data
            position += len(data)
        mapping.resize(position)
        mapping.close()


def file_round(peers, total, chunk):
    """One interleaved round: {peer: seconds to append total bytes to a file}."""
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="remap-bench-") as directory:
        for peer in peers:
            path = os.path.join(directory, "data")
            os.sync()  # start each peer with no other peer's dirty pages in writeback
            seconds[peer] = timed(append_file, peer, path, total, chunk)
            os.unlink(path)
    return seconds


def first_access(peer, size):
    """Seconds a second process takes to reach the last byte after the first grew to size bytes."""
    small = SharedBuffer(MiB) if peer == "remap" else shared_memory.SharedMemory(create=True,
                                                                                size=MiB)
    argument = str(small.fileno()) if peer == "remap" else "-"
    child = subprocess.Popen([sys.executable, "-c", FIRST_ACCESS_CHILD, argument], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             pass_fds=[small.fileno()] if peer == "remap" else [])
    child.stdout.readline()
    if peer == "remap":
        small.resize(size)
        grown, name = small, ""
    else:
        grown = shared_memory.SharedMemory(create=True, size=size)
        grown.buf[:MiB] = small.buf
        name = grown.name
    out, _ = child.communicate(name + "\n", timeout=120)
    for segment in {id(small): small, id(grown): grown}.values():
        segment.close()
        if peer != "remap":
            segment.unlink()
    return float(out)


def access_round(peers, size):
    return {peer: first_access(peer, size) for peer in peers}


def sharing_cases(rotated):
    """The cases: (label, scenario, size, round function), each peer in a rotating order."""
    shared_peers = ("remap", "remap max_size", "SharedMemory + copy")
    cases = [(f"shared grow, {growth}", "shared", GiB,
              lambda r, g=growth: shared_round(rotated(shared_peers, r), GiB, g))
             for growth in GROWTHS]
    cases.append(("file append, 64 KiB chunks", "file", GiB,
                  lambda r: file_round(rotated(FILE_PEERS, r), GiB, 64 * KiB)))
    cases.append(("first access after growth", "access", GiB,
                  lambda r: access_round(rotated(("remap", "SharedMemory"), r), GiB)))
    return cases
