"""Work for other processes: importable by multiprocessing and by forking child interpreters.

It imports nothing that starts threads (numpy's BLAS does), so a process that imports it can
fork without Python's warning that fork() in a multi-threaded process may deadlock.
"""

import os
import struct
import sys
import traceback


def forked(work):
    """Run work() in a forked child that always ends with os._exit; return its exit code.

    The child never returns into the caller's code (a test session, say), whatever work does.
    """
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if work() in (None, True) else 2
        except BaseException:  # noqa: BLE001 - reported, then the child ends
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def append_records(shared, lock, writer, count):
    """A writer process: count records of 16 bytes, each appended under the lock."""
    for i in range(count):
        with lock:
            shared += struct.pack("=qq", writer, i)
    return len(shared)


def read_records(shared, writers, count, queue):
    """A reader process: wait for every record, then check each writer's came in order."""
    while len(shared) < writers * count * 16:
        pass
    seen = {}
    for writer, i in struct.iter_unpack("=qq", bytes(shared)):
        assert seen.get(writer, -1) == i - 1
        seen[writer] = i
    queue.put(sorted(seen.items()))


def read_ring(ring, queue):
    """A consumer process: what the ring holds, read out."""
    queue.put(ring.read())


def append_to(shared, data):
    """Append data; return the new length."""
    shared += data
    return len(shared)


def grow_to(shared, size, barrier):
    """Wait for the other growers, then grow to size."""
    barrier.wait(60)
    shared.resize(size)
