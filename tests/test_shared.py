"""SharedBuffer across real processes: fork, pass_fds, names, multiprocessing, hostile peers."""

import os
import pickle
import struct

import numpy as np
import pytest

import remap
from conftest import private_mounts, run_child, run_forking

HEADER = struct.Struct("=7q")  # magic, version, length, size, generation, dirty, max_size


def test_it_is_a_buffer_with_a_descriptor():
    with remap.SharedBuffer(3) as shared:
        shared += b"abc"
        shared[0] = 1
        assert isinstance(shared, remap.Buffer) and shared == b"\x01\x00\x00abc"
        assert shared.name is None and shared.fileno() >= 0 and shared.mapped
        assert np.frombuffer(shared, "u1").sum() == 1 + 97 + 98 + 99
        assert shared.take_bytes(2) == b"\x01\x00" and shared == b"\x00abc"
        assert type(shared.copy()) is remap.Buffer and "shared memfd" in repr(shared)
    shared.close()
    with pytest.raises(ValueError):
        len(shared)


def test_a_forked_child_grows_it_and_the_parent_sees_every_byte():
    run_forking("""
        import remap
        shared = remap.SharedBuffer()
        assert forked(lambda: shared.extend(bytes(range(256)) * 4096)) == 0
        assert len(shared) == 1 << 20 and shared[-256:] == bytes(range(256))
    """)


def test_fork_while_exported_grows_in_place_inside_max_size():
    run_forking("""
        import remap
        shared = remap.SharedBuffer(16, max_size=64 << 20)
        view = memoryview(shared)
        address = shared.address

        def grow():  # the child's copy of the view pins it too: in place or nothing
            shared.resize(32 << 20)
            shared[-1] = 7
            return shared.address == address

        assert forked(grow) == 0
        assert len(shared) == 32 << 20 and shared[-1] == 7 and shared.address == address
        view[0] = 9
        assert shared[0] == 9
        view.release()
    """)


def test_subprocess_attaches_by_descriptor_after_growth():
    shared = remap.SharedBuffer()
    shared += b"x" * 100_000
    out = run_child(f"""
        import remap
        shared = remap.SharedBuffer.attach({shared.fileno()})
        print(len(shared), shared.count(b"x"))
        shared += b"from the child"
    """, pass_fds=[shared.fileno()])
    assert out.split() == ["100000", "100000"]
    assert shared.endswith(b"from the child") and len(shared) == 100_014


def test_a_child_views_it_with_numpy():
    shared = remap.SharedBuffer(8 * 1000)
    np.frombuffer(shared, "f8")[:] = np.arange(1000)
    out = run_child(f"""
        import numpy as np, remap
        shared = remap.SharedBuffer.attach({shared.fileno()})
        values = np.frombuffer(shared, "f8")
        print(values.sum())
        values *= 2
    """, pass_fds=[shared.fileno()])
    assert float(out) == sum(range(1000))
    assert np.frombuffer(shared, "f8")[-1] == 1998


def test_by_name_across_unrelated_processes():
    name = f"remap-test-{os.getpid()}"
    shared = remap.SharedBuffer(5, name=name)
    try:
        shared[:] = b"hello"
        out = run_child(f"""
            import remap
            shared = remap.SharedBuffer.attach({name!r})
            print(bytes(shared).decode())
            shared += b" world"
        """)
        assert out.strip() == "hello" and shared == b"hello world"
        assert pickle.loads(pickle.dumps(shared)) == b"hello world"
    finally:
        shared.unlink()
    with pytest.raises(FileNotFoundError):
        remap.SharedBuffer.attach(name)


@pytest.mark.parametrize("writers", [2, 8])
def test_writers_under_a_lock_and_a_reader_in_another_process(writers):
    run_forking(f"""
        import multiprocessing, remap
        context = multiprocessing.get_context("fork")
        shared, lock, queue, count = remap.SharedBuffer(), context.Lock(), context.Queue(), 2000
        reader = context.Process(target=read_records, args=(shared, {writers}, count, queue))
        reader.start()
        processes = [context.Process(target=append_records, args=(shared, lock, w, count))
                     for w in range({writers})]
        for process in processes:
            process.start()
        for process in [*processes, reader]:
            process.join(60)
            assert process.exitcode == 0
        assert queue.get(timeout=10) == [(w, count - 1) for w in range({writers})]
        assert len(shared) == {writers} * count * 16
    """)


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_pickled_through_multiprocessing_the_descriptor_travels(method):
    run_forking(f"""
        import multiprocessing, remap
        context = multiprocessing.get_context({method!r})
        shared, lock = remap.SharedBuffer(), context.Lock()
        shared += b"parent "
        process = context.Process(target=append_records, args=(shared, lock, 1, 10))
        process.start()
        process.join(60)
        assert process.exitcode == 0 and len(shared) == 7 + 160
    """)


def test_process_pool_executor_by_name():
    """Tasks travel through a queue, not a spawn: a named buffer goes by its name."""
    run_forking("""
        import concurrent.futures, multiprocessing, os, remap
        shared = remap.SharedBuffer(name=f"remap-pool-{os.getpid()}")
        try:
            spawn = multiprocessing.get_context("spawn")
            with spawn.Manager() as manager:
                lock = manager.Lock()
                with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
                    results = list(pool.map(append_records, [shared] * 4, [lock] * 4, range(4),
                                            [50] * 4))
            assert len(shared) == 4 * 50 * 16 and max(results) == len(shared)
        finally:
            shared.unlink()
    """)


def test_two_processes_growing_at_once_both_succeed_and_agree():
    run_forking("""
        import multiprocessing, remap
        context = multiprocessing.get_context("fork")
        shared, barrier = remap.SharedBuffer(), context.Barrier(2)
        sizes = [3 << 20, 5 << 20]
        processes = [context.Process(target=grow_to, args=(shared, size, barrier)) for size in sizes]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
            assert process.exitcode == 0
        assert len(shared) in sizes and shared.capacity >= len(shared)
        assert shared.count(0) == len(shared)  # every byte readable, none lost to a race
    """)


def test_a_peer_cannot_shrink_it():
    shared = remap.SharedBuffer(1 << 20)
    run_child(f"""
        import os
        try:
            os.ftruncate({shared.fileno()}, 0)
        except PermissionError:
            print("refused")
    """, pass_fds=[shared.fileno()])
    shared[-1] = 1  # would be SIGBUS had the peer shrunk it
    assert os.fstat(shared.fileno()).st_size > 1 << 20


def test_attach_refuses_memory_a_peer_could_shrink(tmp_path):
    unsealed = os.memfd_create("plain")
    os.ftruncate(unsealed, 1 << 16)
    with open(tmp_path / "file", "wb+") as file, pytest.raises(ValueError, match="F_SEAL_SHRINK"):
        remap.SharedBuffer.attach(file.fileno())
    with pytest.raises(ValueError, match="F_SEAL_SHRINK"):
        remap.SharedBuffer.attach(unsealed)
    os.close(unsealed)


@pytest.mark.parametrize("field, value, expected", [
    ("length", 1 << 40, "ValueError True"), ("length", -1, "ValueError True"),
    ("size", 1 << 40, "ValueError True"), ("size", 0, "ValueError True"),
    ("dirty", 1 << 50, f"{1 << 16} b'abc'")])
def test_a_peer_scribbling_on_the_header_is_a_clear_error(field, value, expected):
    out = run_child(f"""
        import os, struct, remap
        shared = remap.SharedBuffer(1 << 16)
        shared[:3] = b"abc"
        fields = dict(zip(["magic", "version", "length", "size", "generation", "dirty",
                           "max_size"], struct.unpack("=7q", os.pread(shared.fileno(), 56, 0))))
        fields[{field!r}] = {value}
        os.pwrite(shared.fileno(), struct.pack("=7q", *fields.values()), 0)
        try:
            print(len(shared), bytes(shared[:3]))
        except ValueError as error:
            print("ValueError", "corrupt" in str(error))
    """)
    assert out.strip() == expected


def test_attach_refuses_a_bad_header():
    shared = remap.SharedBuffer(10)
    os.pwrite(shared.fileno(), b"garbage!", 0)
    with pytest.raises(ValueError, match="not a remap.SharedBuffer"):
        remap.SharedBuffer.attach(shared.fileno())


def test_growth_past_a_full_dev_shm_raises_from_the_call_that_grows():
    prefix = private_mounts()
    out = run_child("""
        import os, subprocess, remap
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", "/dev/shm"], check=True)
        shared = remap.SharedBuffer(1 << 20, name="full")
        try:
            shared.resize(64 << 20)
        except OSError as error:
            print(error.errno == 28, len(shared))
        shared[-1] = 1
    """, prefix=prefix)
    assert out.split() == ["True", str(1 << 20)]


def test_a_memfd_pickles_only_to_start_a_process_a_name_anywhere():
    shared = remap.SharedBuffer(3)
    with pytest.raises(RuntimeError, match="multiprocessing"):  # the descriptor would leak
        pickle.dumps(shared)
    named = remap.SharedBuffer(3, name=f"remap-pickle-{os.getpid()}")
    try:
        named[:] = b"abc"
        again = pickle.loads(pickle.dumps(named))
        again += b"d"
        assert named == b"abcd" and again.fileno() != named.fileno()
    finally:
        named.unlink()


def test_close_is_idempotent_and_releases_the_descriptor():
    shared = remap.SharedBuffer(10)
    fd = shared.fileno()
    shared.close()
    shared.close()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_a_named_object_cut_short_by_a_peer_is_an_error_not_sigbus():
    out = run_child("""
        import os, numpy as np, remap
        shared = remap.SharedBuffer(1 << 20, name=f"remap-cut-{os.getpid()}")
        shared.unlink()  # the name goes; the open descriptor keeps the object
        view = np.frombuffer(shared, "u1")
        view[:] = 7
        os.ftruncate(shared.fileno(), 0)  # what any process that can open the name may do
        print(int(view[-1]), int(view.sum()))  # the cut pages read as zeros: no SIGBUS
        try:
            len(shared)
        except ValueError as error:
            print("ValueError", "cut" in str(error))
        del view
        shared.close()
    """)
    assert out.split() == ["0", "0", "ValueError", "True"]
