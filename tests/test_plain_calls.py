"""Crashes on plain calls: a shrink under a writable() view, Python code run inside a growth, a
Ring grown under another thread's view, BufferIO's type, and references leaked per growth. Each
runs in a child process, so a crash fails one test."""

import pytest

from conftest import run_child


def test_shrink_to_fit_keeps_the_room_a_writable_view_shows():
    out = run_child("""
        import remap
        for options in ({}, {"max_size": 1 << 24}):
            buf = remap.Buffer(b"x" * 200000, **options)
            spare = buf.writable(70000)
            try:
                buf.shrink_to_fit()
            except BufferError as error:
                assert "writable()" in str(error), error
            else:
                raise AssertionError("shrink_to_fit gave back the room a writable() view shows")
            spare[:] = b"w" * 70000
            buf.commit(70000)
            spare.release()
            assert bytes(buf) == b"x" * 200000 + b"w" * 70000
            buf.shrink_to_fit()  # no view: the room goes back
            assert buf.capacity < 200000 + 70000 + (2 << 20)
        print("ok")
    """)
    assert out == "ok\n"


def test_a_flush_keeps_the_file_under_a_writable_view(tmp_path):
    out = run_child(f"""
        import remap
        buf = remap.FileBuffer({str(tmp_path / "f")!r}, "w+")
        buf += b"a" * 10
        spare = buf.writable(5000)
        try:
            buf.flush()  # cuts the file to len: never under the spare bytes handed out
        except BufferError as error:
            assert "writable()" in str(error), error
        else:
            raise AssertionError("flush cut the file under a writable() view")
        spare[:] = b"b" * 5000
        buf.commit(5000)
        spare.release()
        buf.close()
        assert open({str(tmp_path / "f")!r}, "rb").read() == b"a" * 10 + b"b" * 5000
        print("ok")
    """)
    assert out == "ok\n"


def test_no_audit_event_fires_while_a_secret_grows_or_is_sliced():
    """An audit hook runs Python code: inside a growth it could take a view of the old pages."""
    out = run_child("""
        import sys, remap
        key = remap.Buffer(b"k" * 5000, secret=True, strict=False)
        events, views = [], []

        def hook(event, args):
            if armed:
                events.append(event)
                views.append(memoryview(key))
                key.resize(len(key) + 4096)

        armed = False
        sys.addaudithook(hook)
        armed = True
        try:
            key.resize(8 << 20)
            part = key[:5000]
        finally:
            armed = False
        assert events == [], events
        assert part == b"k" * 5000 and key[:5000] == b"k" * 5000
        print("ok")
    """)
    assert out == "ok\n"


def test_threads_resizing_and_slicing_a_secret_see_its_bytes():
    out = run_child("""
        import sys, threading, time, remap
        sys.setswitchinterval(1e-6)
        key = remap.Buffer(b"s" * 5000, secret=True, strict=False)
        stop, errors = False, []

        def resizer():
            size = 5000
            while not stop:
                size = 5000 + (size * 7 + 4096) % (4 << 20)
                try:
                    key.resize(size)
                except BufferError:
                    pass

        def reader():
            while not stop:
                try:
                    if key[:5000] != b"s" * 5000:
                        errors.append("a slice read other bytes")
                    with memoryview(key) as view:
                        if view[:5000] != b"s" * 5000:
                            errors.append("a view read other bytes")
                except BufferError:
                    pass

        threads = [threading.Thread(target=resizer), threading.Thread(target=reader)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop = True
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        print("ok")
    """)
    assert out == "ok\n"


def test_a_growing_ring_is_never_unmapped_under_another_threads_view():
    out = run_child("""
        import sys, threading, time, remap
        sys.setswitchinterval(1e-6)
        ring = remap.Ring(4096, when_full="grow")
        stop, errors = False, []

        def writer():
            while not stop:
                try:
                    ring.write(b"w" * 3000)
                except BufferError:
                    pass
                if ring.capacity > (8 << 20):
                    try:
                        ring.consume(len(ring))
                    except BufferError:
                        pass

        def reader():
            while not stop:
                with ring.readable() as view:
                    if bytes(view[-100:]).strip(b"w"):
                        errors.append("the ring showed bytes nobody wrote")

        threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop = True
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        print("ok")
    """)
    assert out == "ok\n"


def test_two_writers_and_a_consumer_of_a_growing_ring_lose_no_record():
    out = run_child("""
        import struct, sys, threading, remap
        sys.setswitchinterval(1e-6)
        ring = remap.Ring(4096, when_full="grow")
        count, lock = 3000, threading.Lock()
        received = {0: 0, 1: 0}
        done = []

        def writer(who):
            for i in range(count):
                ring.write(struct.pack("<QQ", who, i))
            done.append(who)

        def consumer():
            while len(done) < 2 or len(ring):
                n = len(ring) // 16 * 16
                if n:
                    for who, _ in struct.iter_unpack("<QQ", ring.read(n)):
                        received[who] += 1

        threads = [threading.Thread(target=writer, args=(0,)),
                   threading.Thread(target=writer, args=(1,)), threading.Thread(target=consumer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert received == {0: count, 1: count}, received
        print("ok")
    """)
    assert out == "ok\n"


def test_ring_init_again_under_another_threads_view():
    out = run_child("""
        import sys, threading, time, remap
        sys.setswitchinterval(1e-6)
        ring = remap.Ring(4096)
        ring.write(b"r" * 100)
        stop, errors = False, []

        def again():
            while not stop:
                try:
                    ring.__init__(4096)
                    ring.write(b"r" * 100)
                except BufferError:
                    pass

        def reader():
            while not stop:
                with ring.readable() as view:
                    if bytes(view).strip(b"r"):
                        errors.append("the ring showed bytes nobody wrote")

        threads = [threading.Thread(target=again), threading.Thread(target=reader)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        stop = True
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        print("ok")
    """)
    assert out == "ok\n"


@pytest.mark.parametrize("method", ["_checkReadable", "_checkWritable", "_checkSeekable",
                                    "_checkClosed"])
def test_io_private_checks_of_a_bufferio_are_clean(method):
    out = run_child(f"""
        import remap
        file = remap.BufferIO(b"x")
        try:
            result = getattr(file, {method!r})()
        except AttributeError:
            result = "absent"
        print("ok", result)
    """)
    assert out.startswith("ok ")


def test_the_collector_sees_a_bufferio_subclass_type_once_per_file():
    out = run_child("""
        import gc, remap

        class Sub(remap.BufferIO):
            pass

        assert gc.get_referents(Sub(b"")).count(Sub) == 1, gc.get_referents(Sub(b""))
        files = [Sub(b"x") for _ in range(20000)]
        gc.collect()
        del files
        gc.collect()
        print("ok")
    """)
    assert out == "ok\n"


def test_making_shared_memory_rings_and_secrets_leaks_no_reference():
    out = run_child("""
        import gc, sys, remap

        def type_references():
            gc.collect()
            return {id(kind): (kind, sys.getrefcount(kind)) for kind in gc.get_objects()
                    if isinstance(kind, type)}

        def churn():
            for _ in range(300):
                remap.SharedBuffer(10).close()
                remap.Ring(4096).close()
                key = remap.Buffer(b"k", secret=True, strict=False)
                key.resize(3 * 4096)
                key.close()

        churn()
        before = type_references()
        churn()
        after = type_references()
        grown = {kind.__name__: after[key][1] - count for key, (kind, count) in before.items()
                 if key in after and after[key][1] - count >= 100}
        assert not grown, grown
        print("ok")
    """)
    assert out == "ok\n"
