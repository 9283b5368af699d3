"""BufferIO against io.BytesIO, and in the places BytesIO is used: gzip, zipfile, tarfile, pickle."""

import gzip
import io
import pickle
import tarfile
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import remap

OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.binary(max_size=30)),
    st.tuples(st.just("read"), st.one_of(st.none(), st.integers(-2, 40))),
    st.tuples(st.just("readline"), st.integers(-1, 20)),
    st.tuples(st.just("seek"), st.tuples(st.integers(-20, 60), st.sampled_from([0, 1, 2, 3]))),
    st.tuples(st.just("truncate"), st.one_of(st.none(), st.integers(-1, 50))),
    st.tuples(st.just("readinto"), st.integers(0, 20)),
    st.tuples(st.just("tell"), st.none()),
    st.tuples(st.just("read1"), st.one_of(st.none(), st.integers(-2, 40))),
    st.tuples(st.just("readlines"), st.one_of(st.none(), st.integers(-1, 40))),
    st.tuples(st.just("readinto1"), st.integers(0, 20)),
    st.tuples(st.just("next"), st.none()),
    st.tuples(st.just("getvalue"), st.none()),
), max_size=30)


def apply(file, name, argument):
    """One operation on file: its result, or the type of what it raised."""
    try:
        if name == "seek":
            return file.seek(*argument)
        if name in ("readinto", "readinto1"):
            target = bytearray(argument)
            return getattr(file, name)(target), bytes(target)
        if name == "next":
            return next(file, "the end")
        return getattr(file, name)() if argument is None and name in ("tell", "getvalue") \
            else getattr(file, name)(argument)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error)


@settings(max_examples=400, deadline=None)
@given(initial=st.binary(max_size=40), operations=OPERATIONS)
def test_matches_bytesio(initial, operations):
    """Reads of every kind interleaved with writes, seeks and truncation, from shared bytes."""
    ours, theirs = remap.BufferIO(initial), io.BytesIO(initial)
    for name, argument in operations:
        assert apply(ours, name, argument) == apply(theirs, name, argument), (name, argument)
        assert ours.getvalue() == theirs.getvalue() and ours.tell() == theirs.tell()


def test_lines_iteration_and_writelines():
    file = remap.BufferIO()
    file.writelines([b"one\n", b"two\n", b"three"])
    file.seek(0)
    assert file.readlines() == [b"one\n", b"two\n", b"three"]
    file.seek(0)
    assert list(file) == [b"one\n", b"two\n", b"three"]
    assert file.read1() == b"" and (file.readable(), file.writable(), file.seekable()) == (True,) * 3


def test_close_and_closed():
    file = remap.BufferIO(b"abc")
    file.close()
    file.close()
    assert file.closed
    for use in (file.read, file.getvalue, file.tell, file.readable, lambda: file.write(b"x")):
        with pytest.raises(ValueError):
            use()


def test_over_an_existing_buffer_without_copying():
    buf = remap.Buffer(b"hello")
    with remap.BufferIO(buf) as file:
        file.seek(0, io.SEEK_END)
        file.write(b" world")
    assert buf == b"hello world" and not buf.closed


def test_getbuffer_pins_like_bytesio():
    file = remap.BufferIO(b"abc")
    view = file.getbuffer()
    view[0] = ord("x")
    with pytest.raises(BufferError):
        file.write(b"more than fits" * 10_000)
    with pytest.raises(BufferError):
        file.close()
    assert file.getvalue() == b"xbc"
    view.release()
    file.write(b"more")
    file.close()


def test_write_refuses_str():
    file = remap.BufferIO()
    with pytest.raises(TypeError):
        file.write("text")


def test_text_wrapper():
    raw = remap.BufferIO()
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    text.write("héllo\nwörld\n")
    text.flush()
    text.seek(0)
    assert text.read() == "héllo\nwörld\n"
    assert raw.getvalue() == "héllo\nwörld\n".encode()


def test_gzip_round_trip():
    file = remap.BufferIO()
    with gzip.GzipFile(fileobj=file, mode="wb") as packed:
        packed.write(b"data " * 10_000)
    file.seek(0)
    with gzip.GzipFile(fileobj=file, mode="rb") as unpacked:
        assert unpacked.read() == b"data " * 10_000


def test_zipfile_round_trip():
    file = remap.BufferIO()
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"alpha" * 1000)
        archive.writestr("b.txt", b"beta")
    with zipfile.ZipFile(remap.BufferIO(file.getvalue())) as archive:
        assert archive.read("a.txt") == b"alpha" * 1000 and archive.read("b.txt") == b"beta"


def test_tarfile_round_trip():
    file = remap.BufferIO()
    with tarfile.open(fileobj=file, mode="w") as archive:
        info = tarfile.TarInfo("x.bin")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"12345"))
    file.seek(0)
    with tarfile.open(fileobj=file, mode="r") as archive:
        assert archive.extractfile("x.bin").read() == b"12345"


def test_pickle_dump_and_load():
    file = remap.BufferIO()
    pickle.dump({"a": [1, 2, 3]}, file)
    file.seek(0)
    assert pickle.load(file) == {"a": [1, 2, 3]}


def test_bytes_are_shared_until_the_first_write():
    data = b"shared " * 1000
    file = remap.BufferIO(data)
    assert file.getvalue() is data and file.read() is data
    file.seek(0)
    file.write(b"SHARED")
    assert data.startswith(b"shared") and file.getvalue().startswith(b"SHARED shared")


def test_a_subclass_write_is_not_bypassed():
    class Counting(remap.BufferIO):
        writes = 0

        def write(self, data):
            self.writes += 1
            return super().write(data)

    file = Counting()
    file.write(b"a")
    file.writelines([b"b", b"c"])
    assert (file.getvalue(), file.writes) == (b"abc", 3)


def test_subclasses_keep_their_own_reads_closed_and_iteration():
    class Own(remap.BufferIO):
        def readline(self, size=-1):
            return b"own " + super().readline(size)

        @property
        def closed(self):
            return "own"

        def __next__(self):
            return self.readline() or next(iter(()))

    class Deeper(Own):
        pass

    class Plain(remap.BufferIO):
        pass

    for cls in (Own, Deeper):
        file = cls(b"a\nb\n")
        assert (file.closed, file.readline(), next(file)) == ("own", b"own a\n", b"own b\n")
    plain = Plain(b"a\nb\n")
    assert (plain.closed, plain.readline(), list(plain)) == (False, b"a\n", [b"b\n"])


def test_pickled_state_holds_only_the_users_attributes():
    file = remap.BufferIO(b"abc")
    file.seek(1)
    file.tag = "t"
    assert file.__getstate__() == (b"abc", 1, {"tag": "t"})
    again = pickle.loads(pickle.dumps(file))
    assert (again.getvalue(), again.tell(), again.tag) == (b"abc", 1, "t")


def test_the_signature_is_bytesios():
    import inspect
    assert list(inspect.signature(remap.BufferIO).parameters) == ["initial_bytes"]
    assert remap.BufferIO.__doc__.startswith("A binary file in memory")


def test_code_that_unwraps_text_streams_takes_a_bufferio_as_it_is():
    """io's .buffer is a text stream's binary stream: a BufferIO has none, as a BytesIO has none,
    so getattr(f, "buffer", f) is f, hasattr never raises, and looking copies nothing."""
    shared = b"From: a@b\n\nbody\n"
    for file in (remap.BufferIO(shared), io.BytesIO(shared)):
        assert getattr(file, "buffer", file) is file and not hasattr(file, "buffer")
        file.close()
        assert not hasattr(file, "buffer")
    file = remap.BufferIO(shared)
    assert file.getvalue() is shared  # nothing was copied by looking
    buffer = file.as_buffer()
    assert isinstance(buffer, remap.Buffer) and buffer == shared and file.as_buffer() is buffer
