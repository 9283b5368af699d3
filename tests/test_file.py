"""FileBuffer: a file grown through its mapping, flushed, cut to length, and safe when full."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import remap
from conftest import ClosesOnIndex, private_mounts, run_child


def test_appends_grow_the_file_and_close_cuts_it_to_length(tmp_path):
    path = tmp_path / "data"
    with remap.FileBuffer(path, "w+") as file:
        file += b"hello "
        file.extend(b"world" * 10_000)
        assert os.path.getsize(path) >= len(file) == 50_006  # room for appends, allocated
        del file[:6]  # the file's first byte stays first: the rest moves down
    assert path.read_bytes() == b"world" * 10_000


def test_flush_writes_and_cuts_the_file_to_length(tmp_path):
    path = tmp_path / "data"
    file = remap.FileBuffer(path, "x+")
    file += b"abc"
    file.flush()
    assert path.read_bytes() == b"abc" and file.capacity == 3
    file += b"def"
    file.flush(3, 3)
    assert path.read_bytes() == b"abcdef"
    file.close()
    file.close()


def test_modes_and_sources(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"0123456789")
    with remap.FileBuffer(path) as file:  # "r+"
        file[0] = ord("X")
        assert file == b"X123456789" and file.fileno() >= 0
    with pytest.raises(FileExistsError):
        remap.FileBuffer(path, "x+")
    with open(path, "rb+") as handle, remap.FileBuffer(handle) as file:
        file.resize(4)
    assert path.read_bytes() == b"X123"
    with remap.FileBuffer(path, "w+") as file:
        assert len(file) == 0
    with pytest.raises(ValueError, match="mode"):
        remap.FileBuffer(path, "a")


def test_read_only_exports_read_only_and_refuses_writes(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"read me")
    with remap.FileBuffer(path, "r") as file:
        assert file == b"read me" and file.find(b"me") == 5
        for write in (lambda: file.append(1), lambda: file.__setitem__(0, 1),
                      lambda: file.resize(1), lambda: file.__delitem__(0), lambda: file.reverse(),
                      lambda: file.write_at(0, b"x"), lambda: file.__iadd__(b"x")):
            with pytest.raises(TypeError, match="read-only"):
                write()
        with memoryview(file) as view:
            assert view.readonly
        assert not np.frombuffer(file, "u1").flags.writeable
    assert path.read_bytes() == b"read me"


def test_a_file_opened_read_only_maps_read_only(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"x")
    with open(path, "rb") as handle, remap.FileBuffer(handle) as file, pytest.raises(TypeError):
        file.append(1)


def test_numpy_writes_through_to_the_file(tmp_path):
    path = tmp_path / "data"
    with remap.FileBuffer(path, "w+") as file:
        file.resize(8 * 100)
        np.frombuffer(file, "f8")[:] = np.arange(100)
    assert np.fromfile(path, "f8").sum() == sum(range(100))


def test_flushed_bytes_survive_sigkill(tmp_path):
    path = tmp_path / "data"
    proc = subprocess.run([sys.executable, "-c", f"""
import os, signal, remap
file = remap.FileBuffer({str(path)!r}, "w+")
file += b"flushed" * 1000
file.flush()
file += b"written after the flush"
os.kill(os.getpid(), signal.SIGKILL)
"""], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes()[:7000] == b"flushed" * 1000


def test_growth_on_a_full_file_system_raises_from_the_call_that_grows(tmp_path):
    prefix = private_mounts()
    out = run_child(f"""
        import subprocess, remap
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", {str(tmp_path)!r}],
                       check=True)
        file = remap.FileBuffer({str(tmp_path / "data")!r}, "w+")
        file += b"x" * (1 << 20)
        try:
            file.resize(16 << 20)
        except OSError as error:
            print(error.errno == 28, len(file))
        file += b"still fine"
        file.close()
        print(open({str(tmp_path / "data")!r}, "rb").read()[-10:].decode())
    """, prefix=prefix)
    assert out.split() == ["True", str(1 << 20), "still", "fine"]


def test_file_size_limit_in_a_child_is_an_error_not_a_signal(tmp_path):
    out = run_child(f"""
        import resource, signal, remap
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        file = remap.FileBuffer({str(tmp_path / "data")!r}, "w+")
        try:
            file.resize(4 << 20)
        except OSError as error:
            print(error.errno, len(file))
    """)
    assert out.split() == ["27", "0"]  # EFBIG, and nothing changed


def test_pickle_refuses_and_copy_is_private(tmp_path):
    import copy
    import pickle
    with remap.FileBuffer(tmp_path / "data", "w+") as file:
        file += b"abc"
        with pytest.raises(TypeError, match="pickle"):
            pickle.dumps(file)
        duplicate = copy.copy(file)
        duplicate += b"d"
        assert type(duplicate) is remap.Buffer and file == b"abc"


def test_a_file_cut_short_by_another_process_is_an_error_not_sigbus(tmp_path):
    path = tmp_path / "data"
    out = run_child(f"""
        import os, subprocess, sys, remap
        file = remap.FileBuffer({str(path)!r}, "w+")
        file += b"x" * (1 << 20)
        view = memoryview(file)
        subprocess.run([sys.executable, "-c", "import os; os.truncate({str(path)!r}, 4096)"],
                       check=True)
        print(view[4095], view[-1])  # the page past the cut reads as zero: no SIGBUS
        try:
            file[0]
        except ValueError as error:
            print("ValueError", "cut" in str(error))
        view.release()
        file.close()
        print(os.path.getsize({str(path)!r}))  # close does not write over the other's cut
    """)
    assert out.split() == ["120", "0", "ValueError", "True", "4096"]


def test_an_index_that_closes_the_file_buffer_is_caught(tmp_path):
    file = remap.FileBuffer(tmp_path / "data", "w+")
    file += b"abc"
    with pytest.raises(ValueError, match="closed"):
        file.flush(ClosesOnIndex(file))
    assert (tmp_path / "data").read_bytes() == b"abc"
