"""Attacks on every kind of buffer, each in a child process: a hostile user, a hostile peer, odd
descriptors, signals and limits. Each ends in a clean exception or the right bytes, never a signal,
a hang, a leak or lost data."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import limits_address_space, run_child, run_forking


def child_result(code, timeout=120):
    """(returncode, stdout, stderr) of code in a fresh interpreter: for attacks that may kill it."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr


# -- lost or overwritten bytes --

@pytest.mark.parametrize("how", ["file opened for append", "memfd reopened with O_APPEND"])
def test_large_appends_through_an_append_mode_descriptor_land_where_they_belong(tmp_path, how):
    out = run_child(f"""
        import os, remap
        chunk = bytes(range(256)) * 256  # 64 KiB: above the size that goes in with pwrite
        if {how!r} == "file opened for append":
            path = {str(tmp_path / "log")!r}
            open(path, "wb").write(b"head")
            buf = remap.FileBuffer(open(path, "a+b"))
        else:
            shared = remap.SharedBuffer()
            shared += b"head"
            fd = os.open(f"/proc/self/fd/{{shared.fileno()}}", os.O_RDWR | os.O_APPEND)
            buf = remap.SharedBuffer.attach(fd)
        buf += chunk
        buf += chunk
        assert bytes(buf) == b"head" + chunk * 2, "bytes lost"
        if {how!r} == "file opened for append":
            buf.close()
            assert open(path, "rb").read() == b"head" + chunk * 2, "the file lost them"
        print("ok")
    """)
    assert out == "ok\n"


def test_an_impossible_max_size_fails_before_the_file_is_truncated(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"precious")
    out = run_child(f"""
        import remap
        try:
            remap.FileBuffer({str(path)!r}, "w+", max_size=1 << 60)
        except MemoryError as error:
            print("MemoryError")
    """)
    assert out == "MemoryError\n" and path.read_bytes() == b"precious"


# -- crashes: fork, re-initialisation, callbacks, internal classes --

def test_a_forked_child_of_a_secretmem_owner_neither_crashes_nor_sees_the_secret():
    run_forking("""
        import gc, remap
        buf = remap.Buffer(b"secret!", secret=True, secretmem=True, strict=False)

        def untouched():  # the child drops it and collects: its release must not fault
            global buf
            del buf
            gc.collect()

        assert forked(lambda: bytes(buf) == bytes(7)) == 0
        assert forked(untouched) == 0
        assert buf == b"secret!"
    """)


def test_a_ring_refuses_to_initialize_again_under_a_live_view():
    out = run_child("""
        import remap
        ring = remap.Ring(4096)
        ring.write(b"abc")
        view = ring.readable()
        try:
            ring.__init__(8192)
        except BufferError:
            print("refused")
        assert bytes(view) == b"abc"  # still mapped
        view.release()
        ring.__init__(8192)
        assert ring.capacity == 8192 and len(ring) == 0
    """)
    assert out == "refused\n"


@pytest.mark.parametrize("operation", ["setitem", "delitem"])
def test_a_file_buffer_reopened_read_only_by_a_callback_is_not_written(tmp_path, operation):
    path = tmp_path / "data"
    path.write_bytes(b"abcdef")
    out = run_child(f"""
        import remap
        buf = remap.FileBuffer({str(path)!r}, "r+")

        class Reopens:
            def __index__(self):
                buf.__init__({str(path)!r}, "r")
                return 1

        try:
            if {operation!r} == "setitem":
                buf[Reopens()] = 0x58
            else:
                del buf[Reopens()]
        except TypeError as error:
            print("TypeError", "read-only" in str(error))
        assert bytes(buf) == b"abcdef"
    """)
    assert out == "TypeError True\n" and path.read_bytes() == b"abcdef"


def test_an_uninitialized_bufferio_refuses_every_method_cleanly():
    out = run_child("""
        import remap
        calls = {"read": (), "read1": (1,), "readline": (), "readlines": (), "readinto": (bytearray(2),),
                 "readinto1": (bytearray(2),), "seek": (0,), "tell": (), "truncate": (),
                 "write": (b"x",), "readable": (), "writable": (), "seekable": (), "getvalue": ()}
        class Sub(remap.BufferIO):
            pass

        for cls in (remap.BufferIO, Sub):
            file = cls.__new__(cls)
            for name, args in calls.items():
                try:
                    getattr(file, name)(*args)
                except ValueError as error:
                    assert "uninitialized" in str(error), (name, error)
            for action in (lambda: next(file), lambda: file.as_buffer()):
                try:
                    action()
                except ValueError as error:
                    assert "uninitialized" in str(error)
            assert file.closed is False
            file.close()
            file.__init__(b"ab")
            assert file.seek(1) == 1 and file.read() == b"b"
            try:
                file.seek(-1)
            except ValueError:
                print("refused")
    """)
    assert out == "refused\nrefused\n"


def test_making_and_dropping_files_keeps_their_types_alive():
    """io's deallocator drops a reference to the object's type from 3.12 on; BufferIO's own must
    leave the types' counts as they were, for the C type and a Python subclass."""
    out = run_child("""
        import gc, sys, remap

        class Sub(remap.BufferIO):
            pass

        before = [sys.getrefcount(cls) for cls in (remap.BufferIO, Sub)]
        for _ in range(10000):
            remap.BufferIO(b"b").getvalue(), Sub(b"c").close(), Sub(b"d").getbuffer()
            cycle = Sub(); cycle.me = cycle
        del cycle
        gc.collect()
        print([sys.getrefcount(cls) for cls in (remap.BufferIO, Sub)] == before)
    """)
    assert out == "True\n"


def test_freeing_a_file_runs_weakref_callbacks_finalizers_and_releases_what_it_held():
    """BufferIO's deallocator frees the object before dropping its bytes, buffer and __dict__:
    code that runs then (a weakref callback, a __del__ of something in the dict or of a
    subclass, one that resurrects the file) sees a clean world, and nothing leaks."""
    out = run_child("""
        import gc, sys, weakref, remap

        shared = b"s" * 100
        seen, saved = [], []

        class Noisy:
            def __del__(self):
                seen.append(remap.BufferIO(b"made while freeing").read())

        class Sub(remap.BufferIO):
            __slots__ = ("extra",)

        class Resurrecting(remap.BufferIO):
            def __del__(self):
                saved.append(self)

        before = sys.getrefcount(shared)
        for _ in range(2000):
            f = remap.BufferIO(shared)
            f.attr = Noisy()
            ref = weakref.ref(f, lambda r: seen.append(remap.BufferIO(shared).read(1)))
            del f
            g = Sub(shared); g.extra = Noisy(); g.write(b"w"); del g
            h = Resurrecting(shared); h.me = h; del h
        gc.collect()
        print(len(seen), len(saved), saved[0].read(2), ref() is None)
        saved.clear(); gc.collect()
        print(sys.getrefcount(shared) - before)
    """)
    assert out == "6000 2000 b'ss' True\n0\n"


# -- the SIGBUS guard --

def cut_short_code(prelude=""):
    """A child that grows a named SharedBuffer, has it cut short by a peer, then touches it."""
    return f"""
        import os, _posixshmem, remap
        {prelude}
        name = f"/remap-cut-{{os.getpid()}}"
        shared = remap.SharedBuffer(4096, name=name)
        shared.resize(8 << 20)  # grown after the guard was set up
        shared[-1] = 1
        peer = _posixshmem.shm_open(name, os.O_RDWR, 0o600)
        os.ftruncate(peer, 4096)
        shared.unlink()
        print(shared[-1])  # the fault: the cut part reads as zeros
        try:
            shared[-1]
        except ValueError as error:  # and the next access says so
            print("ValueError", "cut" in str(error))
    """


def test_a_named_buffer_cut_short_after_it_grew_is_an_error_not_a_crash():
    assert run_child(cut_short_code()) == "0\nValueError True\n"


def test_faulthandler_enabled_after_the_guard_does_not_turn_a_cut_into_a_crash():
    code = cut_short_code("import faulthandler; first = remap.SharedBuffer(1, name=f'/remap-first-"
                          "{os.getpid()}'); first.unlink(); faulthandler.enable()")
    returncode, out, _ = child_result(code)
    assert returncode == 0 and out == "0\nValueError True\n"


def test_the_guard_covers_more_mappings_than_its_first_table(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"x" * 8192)
    out = run_child(f"""
        import os, resource, remap
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
        buffers = [remap.FileBuffer({str(path)!r}, "r") for _ in range(1100)]
        os.truncate({str(path)!r}, 0)
        print(buffers[-1][5000])
        try:
            buffers[-1][5000]
        except ValueError:
            print("ValueError")
    """)
    assert out == "0\nValueError\n"


@pytest.mark.parametrize("raise_it", ["os.kill(os.getpid(), signal.SIGBUS)",
                                      "signal.raise_signal(signal.SIGBUS)"])
def test_a_raised_sigbus_reaches_the_handler_before_remap(raise_it):
    out = run_child(f"""
        import os, signal, remap
        seen = []
        signal.signal(signal.SIGBUS, lambda number, frame: seen.append(number))
        shared = remap.SharedBuffer(1, name=f"/remap-raise-{{os.getpid()}}")  # the guard is set
        shared.unlink()
        {raise_it}
        {raise_it}
        print(seen == [signal.SIGBUS] * 2)
    """)
    assert out == "True\n"


@pytest.mark.parametrize("raise_it", ["os.kill(os.getpid(), signal.SIGBUS)",
                                      "signal.raise_signal(signal.SIGBUS)"])
def test_a_raised_sigbus_with_no_handler_kills_as_without_remap(raise_it):
    without, _, _ = child_result(f"""
        import os, signal
        {raise_it}
        print("survived")
    """)
    returncode, out, _ = child_result(f"""
        import os, signal, remap
        shared = remap.SharedBuffer(1, name=f"/remap-raise-{{os.getpid()}}")
        shared.unlink()
        {raise_it}
        print("survived")
    """)
    # the default action (SIGBUS), or under ASan its own handler's abort, as without remap
    assert returncode == without < 0 and out == ""
    if os.environ.get("REMAP_SANITIZER") is None:
        assert returncode == -signal.SIGBUS


def test_a_private_rings_memfd_cut_through_its_descriptor_is_refused():
    out = run_child("""
        import os, remap
        ring = remap.Ring(4096, when_full="grow")
        ring.write(b"x" * 5000)  # it still grows
        try:
            os.ftruncate(ring.fileno(), 0)
        except PermissionError:
            print("sealed", ring.read() == b"x" * 5000)
    """)
    assert out == "sealed True\n"


# -- memory, descriptors and leftovers --

@pytest.mark.parametrize("make", ["remap.Ring(1 << 44)", "remap.SharedBuffer(1 << 44)",
                                  "remap.SharedBuffer(1).resize(1 << 44)",
                                  "remap.Buffer(secret=True, strict=False).resize(1 << 44)"])
def test_a_size_no_memory_can_back_fails_at_once(make):
    out = run_child(f"""
        import resource, time, remap
        start = time.monotonic()
        try:
            {make}
        except MemoryError as error:
            print("MemoryError")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert peak < 1 << 20, f"{{peak}} KiB resident: it allocated before failing"
        assert time.monotonic() - start < 5
    """, timeout=60)
    assert out == "MemoryError\n"


def test_a_named_buffer_that_cannot_be_mapped_leaves_no_name_behind():
    out = run_child("""
        import os, remap
        name = f"remap-leftover-{os.getpid()}"
        try:
            remap.SharedBuffer(1, name=name, max_size=1 << 60)
        except MemoryError:
            print("MemoryError", os.path.exists(f"/dev/shm/{name}"))
    """)
    assert out == "MemoryError False\n"


def test_close_then_unlink_as_shared_memory_does():
    out = run_child("""
        import os, remap
        name = f"remap-order-{os.getpid()}"
        shared = remap.SharedBuffer(10, name=name)
        shared.close()
        shared.unlink()
        print(os.path.exists(f"/dev/shm/{name}"), shared.name == "/" + name)
    """)
    assert out == "False True\n"


def test_closing_a_file_buffer_over_a_sealed_memfd_gives_everything_back():
    out = run_child("""
        import fcntl, os, remap
        fd = os.memfd_create("sealed", os.MFD_ALLOW_SEALING)
        os.write(fd, b"x" * 8192)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
        buf = remap.FileBuffer(fd)
        del buf[4096:]
        own = buf.fileno()
        try:
            buf.close()
        except OSError as error:
            print("told", "closed" in str(error))
        print(buf.closed, not os.path.exists(f"/proc/self/fd/{own}"))
    """)
    assert out == "told True\nTrue True\n"


# -- wrong errors --

def test_a_temporary_buffer_io_can_be_written():
    out = run_child("""
        import gc, remap
        print(remap.BufferIO().write(b"x"), remap.BufferIO(b"abc").write(b"xy"))
        gc.collect()
    """)
    assert out == "1 2\n"


def test_ring_attach_on_a_short_memfd_is_a_value_error():
    out = run_child("""
        import fcntl, os, remap
        fd = os.memfd_create("short", os.MFD_ALLOW_SEALING)
        os.write(fd, b"abc")
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
        try:
            remap.Ring.attach(fd)
        except ValueError as error:
            print("ValueError")
    """)
    assert out == "ValueError\n"


@limits_address_space
def test_every_constructor_under_a_tight_address_space_limit(tmp_path):
    out = run_child(f"""
        import resource, remap
        limit = 256 << 20
        used = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (used + limit, used + limit))
        makers = [lambda: remap.Buffer(1 << 30), lambda: remap.Buffer(max_size=1 << 40),
                  lambda: remap.SharedBuffer(1 << 29), lambda: remap.Ring(1 << 29),
                  lambda: remap.FileBuffer({str(tmp_path / "f")!r}, "w+", max_size=1 << 40)]
        for make in makers:
            try:
                make()
            except (MemoryError, OSError) as error:
                print(type(error).__name__)
    """)
    assert out.split() and set(out.split()) <= {"MemoryError", "OSError"}


# -- small heap regions handed from a dying buffer to the next --

def test_buffers_that_die_in_cycles_finalizers_and_at_exit_hand_their_regions_on_cleanly():
    """A subclass in a garbage cycle, one whose __del__ makes and drops buffers while it dies,
    one resurrected by __del__, and regions still kept at exit: the right bytes, a clean exit."""
    out = run_child("""
        import gc, remap

        class Node(remap.Buffer):
            pass

        class Noisy(remap.Buffer):
            def __del__(self):
                for n in range(1, 40):  # take and hand back kept regions while this one dies
                    assert remap.Buffer(b"n" * n)[: n // 2] == b"n" * (n // 2)

        saved = []

        class Phoenix(remap.Buffer):
            def __del__(self):
                saved.append(self)  # resurrected: its region must stay its own

        for round_ in range(200):
            a, b = Node(b"a" * (round_ % 90 + 1)), Node(b"b" * 7)
            a.peer, b.peer = b, a  # a cycle only the collector frees
            Noisy(b"z" * (round_ % 50 + 1))
            Phoenix(b"p" * 33)
            del a, b
            if round_ % 17 == 0:
                gc.collect()
            fresh = remap.Buffer(round_ % 90 + 1)
            assert fresh == bytes(len(fresh)), "a kept region showed old bytes"
        gc.collect()
        assert all(p == b"p" * 33 for p in saved), "a resurrected buffer lost its bytes"
        kept = [remap.Buffer(b"k" * n) for n in range(1, 9)]
        del kept  # regions left kept at exit
        print("ok")
    """)
    assert out == "ok\n"


def test_a_read_size_that_closes_or_reinitializes_the_file_reads_what_is_there_after():
    """read and readline convert the size first (as BytesIO does), then look at the file: a
    closed one says so, a re-initialized one is read in its new bytes, never the old ones."""
    out = run_child("""
        import io, remap

        for cls in (remap.BufferIO, io.BytesIO):
            results = []
            for method in ("read", "readline", "read1"):
                f = cls(b"old line\\n")

                class Closes:
                    def __index__(self):
                        f.close()
                        return 3

                class Renews:
                    def __index__(self):
                        f.__init__(b"new line\\n")
                        return 3

                try:
                    getattr(f, method)(Closes())
                except ValueError as error:
                    results.append("closed" in str(error))
                f = cls(b"old line\\n")
                results.append(getattr(f, method)(Renews()))
            print(cls.__name__, results)
    """)
    assert out == ("BufferIO [True, b'new', True, b'new', True, b'new']\n"
                   "BytesIO [True, b'new', True, b'new', True, b'new']\n")
