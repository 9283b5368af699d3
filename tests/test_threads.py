"""Threads are callers too: six threads share one object and call random methods on it, with a
switch interval of a microsecond and arguments whose __index__ and __buffer__ switch threads.
After every call the thread checks what it can: the bytes hold only what some thread wrote (or
zeros), and its views lie inside the object and read only such bytes. Each in a child process,
twice: as remap runs by default, and with every copy releasing the GIL (REMAP_GIL_FREE_MIN=1),
so that threads interleave with each other's GIL-free sections everywhere."""

import pytest

from conftest import run_child


@pytest.fixture(params=["default", "gil-free"])
def gil(request):
    """The child's environment: remap's GIL-free threshold as shipped, or 1 byte."""
    return {} if request.param == "default" else {"REMAP_GIL_FREE_MIN": "1"}

STRESS = """
import random, sys, threading, time, ctypes
import remap

sys.setswitchinterval(1e-6)
ALLOWED = set(b"abcdefgh\\0")
SECONDS, THREADS = 1.5, 6


class Switching:
    '''An index, and a bytes-like, that let another thread run first.'''

    def __init__(self, value):
        self.value = value

    def __index__(self):
        time.sleep(0)
        return self.value

    def __buffer__(self, flags):
        time.sleep(0)
        return memoryview(self.value)


def inside(view, obj):
    if view.nbytes == 0:
        return True
    start = ctypes.addressof(ctypes.c_char.from_buffer(view))
    return obj.address <= start and start + view.nbytes <= obj.address + obj.capacity


def worker(obj, seed, errors, stop):
    rng = random.Random(seed)
    mine = bytes([rng.choice(b"abcdefgh")]) * 64
    held = []
    while not stop:
        try:
            step(obj, rng, mine, held)
        except (BufferError, ValueError, IndexError, MemoryError) as error:
            if "closed" in str(error):
                return
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
            return
        for view, _ in held:  # other threads write at the front too: any thread's byte will do
            if not inside(view, obj):
                errors.append("a view left its object's memory")
                return
            if not set(bytes(view[:64])) <= ALLOWED:
                errors.append("a view read bytes nobody wrote")
                return
        if len(held) > 2:
            held.pop(0)[0].release()
    for view, _ in held:
        view.release()


def step(obj, rng, mine, held):
    choice = rng.randrange(14)
    if choice == 0:
        obj += mine
    elif choice == 1:
        obj.extend(Switching(mine) if sys.version_info >= (3, 12) else mine)
    elif choice == 2:
        obj.resize(Switching(rng.randrange(0, 300_000)))
    elif choice == 3:
        del obj[:rng.randrange(0, 5000)]
    elif choice == 4:
        obj.take_bytes(min(len(obj), rng.randrange(0, 3000)))
    elif choice == 5:
        if not set(obj[:Switching(4096)]) <= ALLOWED:
            raise AssertionError("a slice read bytes nobody wrote")
    elif choice == 6:
        view = memoryview(obj)
        if len(view):
            view[0:1] = mine[:1]
            held.append((view, mine[:1]))
        else:
            view.release()
    elif choice == 7:
        with obj.writable(Switching(8192)) as spare:
            spare[:] = mine * 128
            obj.commit(len(mine))
    elif choice == 8:
        obj.shrink_to_fit()
    elif choice == 9:
        obj.clear()
    elif choice == 10:
        obj.find(b"h", Switching(0))
    elif choice == 11:
        obj.reserve(rng.randrange(0, 1 << 22))
    elif choice == 12:
        obj[Switching(0):Switching(2)] = mine[:2] if len(obj) >= 2 else b""
    elif not set(bytes(obj)) <= ALLOWED:
        raise AssertionError("bytes() read bytes nobody wrote")


def stress(obj):
    errors, stop = [], []
    threads = [threading.Thread(target=worker, args=(obj, seed, errors, stop))
               for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.append(True)
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]
    assert len(obj) <= obj.capacity and set(bytes(obj)) <= ALLOWED
"""


@pytest.mark.parametrize("kind", [
    "remap.Buffer()", "remap.Buffer(max_size=1 << 26)", "remap.Buffer(secret=True, strict=False)",
    "remap.SharedBuffer()", "remap.FileBuffer(__import__('tempfile').mktemp(), 'w+')"])
def test_threads_sharing_one_buffer_keep_its_invariants(kind, gil):
    out = run_child(STRESS + f"stress({kind})\nprint('ok')\n", timeout=120, env=gil)
    assert out == "ok\n"


def test_threads_sharing_one_bufferio_read_only_what_was_written(gil):
    out = run_child("""
        import io, random, sys, threading, time, remap
        sys.setswitchinterval(1e-6)
        file, errors, stop = remap.BufferIO(), [], []

        def worker(seed):
            rng = random.Random(seed)
            while not stop:
                try:
                    choice = rng.randrange(6)
                    if choice == 0:
                        file.write(b"abc" * rng.randrange(1, 3000))
                    elif choice == 1:
                        file.seek(rng.randrange(0, 10000))
                    elif choice == 2:
                        if not set(file.read(rng.randrange(0, 5000))) <= set(b"abc\\0"):
                            errors.append("read bytes nobody wrote")
                    elif choice == 3:
                        file.truncate(rng.randrange(0, 20000))
                    elif choice == 4:
                        with file.getbuffer() as view:
                            if not set(bytes(view[:100])) <= set(b"abc\\0"):
                                errors.append("a view showed bytes nobody wrote")
                    else:
                        file.readline()
                except BufferError:
                    pass

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop.append(True)
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        print("ok")
    """, env=gil)
    assert out == "ok\n"


def test_threads_sharing_one_growing_ring_keep_every_record(gil):
    out = run_child("""
        import struct, sys, threading, remap
        sys.setswitchinterval(1e-6)
        ring, count, received, done = remap.Ring(4096, when_full="grow"), 2000, {}, []
        lock = threading.Lock()

        def writer(who):
            i = 0
            while i < count:
                with lock:  # one record at a time, as with any shared stream
                    try:
                        ring.write(struct.pack("<QQ", who, i))
                        i += 1
                    except BufferError:  # growth under the reader's readable() view: again
                        pass
            done.append(who)

        def reader():
            while len(done) < 4 or len(ring):
                with lock:
                    n = len(ring) // 16 * 16
                    data = ring.read(n) if n else b""
                for who, i in struct.iter_unpack("<QQ", data):
                    received.setdefault(who, []).append(i)
                try:
                    with ring.readable() as view:
                        bytes(view[:16])
                except BufferError:
                    pass

        threads = [threading.Thread(target=writer, args=(who,)) for who in range(4)]
        threads += [threading.Thread(target=reader)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(received[who] == list(range(count)) for who in range(4)), \\
            {who: len(items) for who, items in received.items()}
        print("ok")
    """, env=gil)
    assert out == "ok\n"


def test_threads_sharing_one_view_and_one_array_see_only_written_bytes(gil):
    out = run_child("""
        import random, sys, threading, time
        import numpy as np
        import remap
        sys.setswitchinterval(1e-6)
        buf = remap.Buffer(b"a" * 5000)
        view, array = buf.view(100, 1000), remap.Array("f8")
        errors, stop = [], []

        def worker(seed):
            rng = random.Random(seed)
            while not stop:
                try:
                    choice = rng.randrange(8)
                    if choice == 0:
                        buf.resize(rng.randrange(0, 8000))
                    elif choice == 1:
                        buf.extend(b"a" * rng.randrange(0, 3000))
                    elif choice == 2:
                        if not set(view.tobytes()) <= set(b"a\\0"):
                            errors.append("a view read bytes nobody wrote")
                    elif choice == 3:
                        view[0:3] = b"aaa"
                    elif choice == 4:
                        with view as pinned:
                            pinned[-1:] = b"a"
                    elif choice == 5:
                        array.append(1.0)
                        array.extend([1.0] * rng.randrange(0, 500))
                    elif choice == 6:
                        if not set(np.asarray(array).tolist()) <= {0.0, 1.0}:
                            errors.append("an array read numbers nobody wrote")
                    else:
                        array.resize(rng.randrange(0, 2000))
                except (BufferError, IndexError, ValueError):
                    pass

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop.append(True)
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        print("ok")
    """, env=gil)
    assert out == "ok\n"
