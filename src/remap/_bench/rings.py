"""Streams of messages: Ring against a bytearray consumed with del buf[:n] and a deque of bytes in
one process, and across two processes against multiprocessing.Pipe and a SharedMemory ring with
hand-written wrap-around."""

import collections
import subprocess
import sys
import time
from multiprocessing import Pipe, shared_memory

from remap._bench.kernel import KiB, MiB
from remap._core import Ring

BACKLOG = 16  # messages in flight in the one-process stream
LOCAL_PEERS = ("remap", "bytearray", "deque")
REMOTE_PEERS = ("remap", "Pipe", "SharedMemory ring")

# The producer side of each cross-process peer: argv is peer, descriptor or name, total, size.
PRODUCER = """
import struct, sys
from multiprocessing import shared_memory
import remap
peer, where, total, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
message = bytes(range(256)) * (size // 256)
print("ready", flush=True)
sys.stdin.readline()  # go: the clock starts now, not at interpreter start-up
if peer == "remap":
    ring = remap.Ring.attach(int(where))
    for _ in range(total // size):
        while ring.free < size:
            pass
        ring.write(message)
elif peer == "Pipe":
    from multiprocessing.connection import Connection
    connection = Connection(int(where))
    for _ in range(total // size):
        connection.send_bytes(message)
else:
    from multiprocessing import resource_tracker
    segment = shared_memory.SharedMemory(where)
    resource_tracker.unregister(segment._name, "shared_memory")  # the consumer unlinks it
    buf, capacity, tail = segment.buf, segment.size - 16, 0
    for _ in range(total // size):
        while tail + size - struct.unpack_from("q", buf, 0)[0] > capacity:
            pass
        at = tail % capacity
        first = min(size, capacity - at)
        buf[16 + at: 16 + at + first] = message[:first]
        buf[16: 16 + size - first] = message[first:]
        tail += size
        struct.pack_into("q", buf, 8, tail)
    del buf
    segment.close()
"""


def local_stream(peer, total, size):
    """Seconds to pass total bytes through one process in size-byte messages, BACKLOG in flight."""
    message, count = bytes(range(256)) * (size // 256), total // size
    start = time.perf_counter()
    if peer == "remap":
        ring = Ring(BACKLOG * size * 2)
        for i in range(count):
            ring.write(message)
            if i >= BACKLOG:
                ring.read(size)
        ring.close()
    elif peer == "bytearray":
        buf = bytearray()
        for i in range(count):
            buf += message
            if i >= BACKLOG:
                bytes(buf[:size])
                del buf[:size]
    else:
        queue = collections.deque()
        for i in range(count):
            queue.append(message)
            if i >= BACKLOG:
                queue.popleft()
    return time.perf_counter() - start


def remote_stream(peer, total, size):
    """Seconds for a producer process to stream total bytes in size-byte messages to this one."""
    count, capacity = total // size, 4 * MiB
    if peer == "remap":
        ring = Ring.shared(capacity)
        where, fds = str(ring.fileno()), [ring.fileno()]
    elif peer == "Pipe":
        receiver, sender = Pipe(duplex=False)
        where, fds = str(sender.fileno()), [sender.fileno()]
    else:
        segment = shared_memory.SharedMemory(create=True, size=capacity + 16)
        segment.buf[:16] = bytes(16)
        where, fds = segment.name, []
    producer = subprocess.Popen([sys.executable, "-c", PRODUCER, peer, where, str(total),
                                 str(size)], pass_fds=fds, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    producer.stdout.readline()
    start = time.perf_counter()
    producer.stdin.write("go\n")
    producer.stdin.flush()
    if peer == "remap":  # the consumer works on the bytes in place: readable() is contiguous
        for _ in range(count):
            while len(ring) < size:
                pass
            with ring.readable() as view:
                view[size - 1]
            ring.consume(size)
    elif peer == "Pipe":
        sender.close()
        for _ in range(count):
            receiver.recv_bytes()
    else:
        receive_shared_memory(segment, count, size)
    seconds = time.perf_counter() - start
    producer.communicate()
    if peer == "SharedMemory ring":
        segment.close()
        segment.unlink()
    return seconds


def receive_shared_memory(segment, count, size):
    """The consumer of the hand-written SharedMemory ring: in place, or two slices joined when a
    message wraps (the Ring's consumer works in place always, the Pipe's gets a copy always)."""
    import struct
    buf, capacity, head = segment.buf, segment.size - 16, 0
    for _ in range(count):
        while struct.unpack_from("q", buf, 8)[0] - head < size:
            pass
        at = head % capacity
        first = min(size, capacity - at)
        if first == size:  # in place, as the Ring's consumer works
            buf[16 + at + size - 1]
        else:  # wrapped: the two parts joined into a copy
            (bytes(buf[16 + at: 16 + at + first]) + bytes(buf[16: 16 + size - first]))[size - 1]
        head += size
        struct.pack_into("q", buf, 0, head)
    del buf


def ring_cases(rotated):
    """The cases: (label, scenario, size, round function)."""
    cases = [(f"stream in one process, {size // KiB} KiB messages", "ring", size,
              lambda r, s=size: {p: local_stream(p, 256 * MiB, s) for p in rotated(LOCAL_PEERS, r)})
             for size in (KiB, 64 * KiB)]
    cases += [(f"stream across processes, {size // KiB} KiB messages", "ring2", size,
               lambda r, s=size: {p: remote_stream(p, 256 * MiB, s) for p in rotated(REMOTE_PEERS, r)})
              for size in (KiB, 64 * KiB)]
    return cases
