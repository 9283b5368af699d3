"""remap releases the GIL for large work, and a call on an object another thread is working on
without the GIL waits for it, then runs as it would on a bytearray: it never raises because of
the other thread and never sees half an operation. Each in a child process; the semantic tests
release the GIL for every byte (REMAP_GIL_FREE_MIN=1) with a switch interval of a microsecond."""

import sys
import textwrap

import pytest

from conftest import run_child

GIL_FREE_EVERYWHERE = {"REMAP_GIL_FREE_MIN": "1"}

TICKER = """
import io, os, sys, tempfile, threading, time
import remap

ticks = []

def tick():
    while True:
        ticks.append(time.perf_counter())
        time.sleep(0.001)

threading.Thread(target=tick, daemon=True).start()
time.sleep(0.05)


def ran_beside(prepare, action, attempts=3):
    '''How often a ticker thread ran while action(prepare()) ran here (the best of attempts:
    on a loaded machine the ticker may get no core for one of them).'''
    best = 0
    for _ in range(attempts):
        built = prepare()
        start = time.perf_counter()
        action(built)
        end = time.perf_counter()
        best = max(best, sum(start < t < end for t in list(ticks)))
        del built
        if best:
            break
    return best


SIZE = 256 << 20
DATA = b"\\1" * SIZE
"""

LARGE_WORK = {
    "buf += data": ("remap.Buffer", "lambda buf: buf.__iadd__(DATA)"),
    "take_bytes()": ("lambda: remap.Buffer(DATA)", "remap.Buffer.take_bytes"),
    "slice buf[1:]": ("lambda: remap.Buffer(DATA)", "lambda buf: buf[1:]"),
    "find()": ("lambda: remap.Buffer(DATA)", "lambda buf: buf.find(b'\\\\2')"),
    "close()": ("lambda: remap.Buffer(DATA)", "remap.Buffer.close"),
    "SharedBuffer growth": ("remap.SharedBuffer", "lambda shared: shared.resize(SIZE)"),
    "FileBuffer flush()": (
        "lambda: remap.FileBuffer(tempfile.mktemp(dir=os.environ.get('TMPDIR')), 'w+')",
        "lambda file: (file.extend(DATA), file.flush())"),
    "BufferIO read()": ("lambda: remap.BufferIO(remap.Buffer(DATA))", "lambda f: f.read()"),
    "BufferIO getvalue()": ("lambda: remap.BufferIO(remap.Buffer(DATA))",
                            "lambda f: f.getvalue()"),
    "BufferIO write()": ("remap.BufferIO", "lambda f: f.write(DATA)"),
    "Ring write() and read()": ("lambda: remap.Ring(SIZE)",
                                "lambda ring: (ring.write(DATA), ring.read())"),
}
if sys.version_info >= (3, 15):  # before, bytes() copies through the buffer protocol itself
    LARGE_WORK["bytes(buf)"] = ("lambda: remap.Buffer(DATA)", "bytes")


@pytest.mark.parametrize("name", LARGE_WORK)
def test_large_work_lets_other_threads_run(name):
    prepare, action = LARGE_WORK[name]
    out = run_child(TICKER + f"print(ran_beside({prepare}, {action}))\n", timeout=300)
    assert int(out) > 0, f"no other thread ran during {name}"


WHOLE_CHUNKS = """
import random, sys, threading, time
import remap

sys.setswitchinterval(1e-6)
CHUNK, SECONDS = 4096, 1.5
errors, stop = [], threading.Event()


def whole(data, what):
    '''Check data is made of whole chunks, each one byte value over: no half of an operation.'''
    data = bytes(data)
    if len(data) % CHUNK:
        errors.append(f"{what}: {len(data)} bytes, not whole chunks")
        return
    for at in range(0, len(data), CHUNK):
        if data[at:at + CHUNK].count(data[at]) != CHUNK:
            errors.append(f"{what}: a chunk at {at} mixes two operations' bytes")
            return


def run(*workers):
    threads = [threading.Thread(target=guarded, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]


def guarded(worker):
    try:
        worker()
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
"""


def run_threads(code):
    """Run code after WHOLE_CHUNKS in a child that releases the GIL for every byte."""
    return run_child(WHOLE_CHUNKS + textwrap.dedent(code), env=GIL_FREE_EVERYWHERE)


def test_appends_from_two_threads_land_whole():
    out = run_threads("""
        buf, done = remap.Buffer(), {1: 0, 2: 0}

        def appender(value):
            def work():
                while not stop.is_set() and done[value] < 4000:
                    buf.extend(bytes([value]) * CHUNK)
                    done[value] += 1
            return work

        def observer():
            while not stop.is_set():
                whole(bytes(buf), "bytes()")
                whole(buf[:], "a slice")

        run(appender(1), appender(2), observer)
        assert len(buf) == CHUNK * (done[1] + done[2])
        data = bytes(buf)  # bytes.count: ASan checks the rest of the haystack at each memmem
        assert data.count(b"\\1") == CHUNK * done[1] and data.count(b"\\2") == CHUNK * done[2]
        print("ok")
    """)
    assert out == "ok\n"


@pytest.mark.parametrize("kind", ["remap.Buffer()", "remap.Buffer(max_size=1 << 30)",
                                  "remap.SharedBuffer()", "remap.Buffer(secret=True, strict=False)"])
def test_calls_on_a_busy_buffer_wait_then_run_as_on_a_bytearray(kind):
    """One thread appends; another resizes, clears, closes, consumes, initializes again, exports
    and releases the same buffer meanwhile. Nothing raises but what a bytearray would raise."""
    out = run_threads(f"""
        buf = {kind}
        reopen = type(buf).__init__ if type(buf) is remap.Buffer else None

        def appender():
            rng = random.Random(1)
            while not stop.is_set():
                try:
                    buf.extend(bytes([rng.randrange(1, 200)]) * CHUNK * rng.randrange(1, 4))
                    if len(buf) > 64 << 20:  # inside every kind's max_size
                        buf.clear()
                except ValueError as error:  # closed by the other thread: a bytearray has no close
                    assert "closed" in str(error), error
                except BufferError:  # a move under the other thread's memoryview, as a bytearray
                    pass

        def mutator():
            rng = random.Random(2)
            while not stop.is_set():
                try:
                    choice = rng.randrange(7)
                    if choice == 0:
                        buf.resize(CHUNK * rng.randrange(0, 64))
                    elif choice == 1:
                        buf.clear()
                    elif choice == 2 and len(buf) >= CHUNK:
                        whole(buf.take_bytes(CHUNK), "take_bytes()")
                    elif choice == 3:
                        with memoryview(buf) as view:
                            whole(bytes(view), "a memoryview")
                    elif choice == 4:
                        whole(buf[:], "a slice")
                    elif choice == 5 and reopen is not None:
                        buf.close()
                        time.sleep(0)
                        reopen(buf, bytes(CHUNK))
                    else:
                        whole(bytes(buf), "bytes()")
                except ValueError as error:
                    assert "closed" in str(error), error

        run(appender, mutator)
        whole(bytes(buf), "at the end")
        assert not errors, errors[:5]
        print("ok")
    """)
    assert out == "ok\n"


def test_a_source_another_thread_resizes_waits_for_the_copy():
    """dst += src while another thread rewrites src to other sizes: every append takes one whole
    state of src, and the rewriting thread never sees a BufferError for the copy's export (dst
    has a reservation: a growth of dst that copies runs with src exported, not busy)."""
    out = run_threads("""
        src, dst = remap.Buffer(b"\\1" * CHUNK), remap.Buffer(max_size=1 << 30)

        def appender():
            while not stop.is_set():
                dst.extend(src)  # (not memoryview(src): that view is the caller's export)
                dst[len(dst):] = src
                if len(dst) > 32 << 20:
                    whole(bytes(dst), "the appends")
                    data = bytes(dst)
                    counted = [data.count(bytes([value])) % (CHUNK * value) for value in range(1, 6)]
                    if any(counted):
                        errors.append(f"an append took part of a state of src: {counted}")
                    dst.clear()

        def rewriter():
            value = 1
            while not stop.is_set():
                value = value % 5 + 1
                src[:] = bytes([value]) * (CHUNK * value)
                src.resize(CHUNK * value)

        run(appender, rewriter)
        whole(bytes(dst), "the appends")
        for value in range(1, 6):
            assert bytes(dst).count(bytes([value])) % (CHUNK * value) == 0, value
        print("ok")
    """)
    assert out == "ok\n"


def test_bufferio_writes_from_two_threads_land_whole():
    out = run_threads("""
        file, done = remap.BufferIO(), {1: 0, 2: 0}

        def writer(value):
            def work():
                while not stop.is_set():
                    file.write(bytes([value]) * CHUNK)
                    done[value] += 1
            return work

        def reader():
            while not stop.is_set():
                whole(file.getvalue(), "getvalue()")
                file.seek(0, 2)  # another thread's write always appends

        run(writer(1), writer(2), reader)
        value = file.getvalue()
        assert len(value) == CHUNK * (done[1] + done[2])
        assert value.count(b"\\1") == CHUNK * done[1]
        print("ok")
    """)
    assert out == "ok\n"


def test_the_mapping_cache_and_kept_regions_under_eight_threads():
    """Buffers of every size made, grown, checked and dropped by 8 threads at once."""
    out = run_threads("""
        SIZES = [100, 5000, 70000, 200000, 3 << 20]

        def churner(value):
            def work():
                rng, byte = random.Random(value), bytes([value])
                while not stop.is_set():
                    size = rng.choice(SIZES)
                    buf = remap.Buffer(byte * size)
                    buf += byte * (size // 2)
                    if bytes(buf).count(byte) != len(buf):
                        errors.append("a buffer holds another's bytes")
                    part = buf.take_bytes(size // 3)
                    if part != byte * (size // 3):
                        errors.append("take_bytes() gave another's bytes")
                    del buf
            return work

        run(*(churner(value) for value in range(1, 9)))
        print("ok")
    """)
    assert out == "ok\n"


def test_a_fork_during_another_threads_copy_leaves_the_child_a_usable_buffer():
    out = run_child("""
        import os, sys, threading, time, warnings
        import remap
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on purpose
        buf, stop, data = remap.Buffer(), threading.Event(), b"\\1" * (64 << 20)

        def copier():
            while not stop.is_set():
                buf.extend(data)
                buf.clear()

        thread = threading.Thread(target=copier)
        thread.start()
        statuses = []
        for _ in range(20):
            time.sleep(0.01)
            pid = os.fork()
            if pid == 0:  # the copier is gone here, perhaps in the middle of a copy
                signal = __import__("signal")
                signal.alarm(20)
                buf.resize(10)
                buf += b"x"
                os._exit(0 if len(buf) == 11 else 1)
            statuses.append(os.waitpid(pid, 0)[1])
        stop.set()
        thread.join()
        print(statuses == [0] * 20)
    """)
    assert out == "True\n"
