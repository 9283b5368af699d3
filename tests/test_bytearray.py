"""Buffer against bytearray: every method, the same results and the same exception types."""

import collections.abc
import copy
import pickle
import sys

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import remap
from test_consume import resize, take_bytes

DATA = b"Hello, World! hello\tworld 123 abc\nxyz  "


def outcome(call, obj):
    """What call(obj) gives: ("ok", result as plain data) or ("raises", exception type)."""
    try:
        result = call(obj)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return "raises", type(error)
    return "ok", plain(result)


def plain(result):
    """result with bytearrays and Buffers made bytes, so both sides compare."""
    if isinstance(result, (bytearray, remap.Buffer)):
        return ("bytes-like", bytes(result))
    if isinstance(result, (list, tuple)):
        return type(result)(plain(item) for item in result)
    return result


def same(call, data=DATA):
    """call gives the same result, exception type and final contents on both."""
    array, buf = bytearray(data), remap.Buffer(data)
    assert outcome(call, buf) == outcome(call, array)
    assert bytes(buf) == bytes(array)


CALLS = {
    "find": [lambda b: b.find(b"o"), lambda b: b.find(b"world", 3, -2), lambda b: b.find(111),
             lambda b: b.find(b""), lambda b: b.find(b"", 100), lambda b: b.find(b"zz"),
             lambda b: b.find(b"o", -5), lambda b: b.find(b"abc", None, 5), lambda b: b.find("o"),
             lambda b: b.find(256), lambda b: b.find(memoryview(b"lo"))],
    "rfind": [lambda b: b.rfind(b"o"), lambda b: b.rfind(b"l", 0, 5), lambda b: b.rfind(b""),
              lambda b: b.rfind(b"", 5, 2), lambda b: b.rfind(b"hello"), lambda b: b.rfind(108),
              lambda b: b.rfind(b"xyz  "), lambda b: b.rfind(b"Hel", 1)],
    "index": [lambda b: b.index(b"W"), lambda b: b.index(b"nope"), lambda b: b.rindex(b"o"),
              lambda b: b.rindex(b"nope"), lambda b: b.index(32, 10)],
    "count": [lambda b: b.count(b"o"), lambda b: b.count(b""), lambda b: b.count(b"l", 3, 9),
              lambda b: b.count(32), lambda b: b.count(b"ll"), lambda b: b.count(b"", 50),
              lambda b: b.count(b"  ")],
    "contains": [lambda b: b"World" in b, lambda b: 72 in b, lambda b: b"nope" in b,
                 lambda b: 300 in b, lambda b: "a" in b, lambda b: b"" in b],
    "affix": [lambda b: b.startswith(b"Hello"), lambda b: b.startswith((b"x", b"He")),
              lambda b: b.startswith(b"World", 7), lambda b: b.endswith(b"  "),
              lambda b: b.endswith(b"xyz", 0, -2), lambda b: b.startswith("H"),
              lambda b: b.startswith(b"", 100), lambda b: b.endswith((b"a",)),
              lambda b: b.startswith(b"", len(DATA)), lambda b: b.endswith(b"He", 0, 2)],
    "index_ops": [lambda b: b[0], lambda b: b[-1], lambda b: b[100], lambda b: b[1:5],
                  lambda b: b[::3], lambda b: b[::-2], lambda b: b[5:1], lambda b: b["x"],
                  lambda b: b.__setitem__(0, 65), lambda b: b.__setitem__(-1, 300),
                  lambda b: b.__setitem__(100, 1)],
    "slice_assign": [lambda b: b.__setitem__(slice(0, 5), b"HI"),
                     lambda b: b.__setitem__(slice(0, 2), b"LONGER TEXT"),
                     lambda b: b.__setitem__(slice(3, 3), [1, 2, 3]),
                     lambda b: b.__setitem__(slice(None), b""),
                     lambda b: b.__setitem__(slice(None, None, 2), bytes(len(DATA[::2]))),
                     lambda b: b.__setitem__(slice(None, None, 2), b"short"),
                     lambda b: b.__setitem__(slice(None, None, -3), bytes(len(DATA[::-3]))),
                     lambda b: b.__setitem__(slice(1, 3), 5),
                     lambda b: b.__setitem__(slice(1, 3), "st"),
                     lambda b: b.__setitem__(slice(10, 2), b"in"),
                     lambda b: b.__setitem__(slice(1, 3), memoryview(b"abcdef")[::2]),
                     lambda b: b.__setitem__(slice(0, 4), b),
                     lambda b: b.__setitem__(slice(2, 30), [300])],
    "delete": [lambda b: b.__delitem__(0), lambda b: b.__delitem__(-1),
               lambda b: b.__delitem__(100), lambda b: b.__delitem__(slice(2, 9)),
               lambda b: b.__delitem__(slice(None, None, 2)),
               lambda b: b.__delitem__(slice(None, None, -3)),
               lambda b: b.__delitem__(slice(1, 30, 4)), lambda b: b.__delitem__(slice(9, 2))],
    "mutate": [lambda b: b.insert(0, 1), lambda b: b.insert(-1, 2), lambda b: b.insert(999, 3),
               lambda b: b.insert(-999, 4), lambda b: b.insert(0, 256), lambda b: b.pop(),
               lambda b: b.pop(0), lambda b: b.pop(-3), lambda b: b.pop(999),
               lambda b: b.remove(ord("W")), lambda b: b.remove(0), lambda b: b.reverse(),
               lambda b: b.clear(), lambda b: b.copy(), lambda b: b.append(0),
               lambda b: b.extend(b"more"), lambda b: b.extend(range(3)),
               lambda b: b.extend("str")],
    "arithmetic": [lambda b: b + b"tail", lambda b: b + bytearray(b"x"), lambda b: b + "s",
                   lambda b: b * 3, lambda b: 2 * b, lambda b: b * 0, lambda b: b * -1,
                   lambda b: b.__imul__(2), lambda b: b.__imul__(0), lambda b: b.__iadd__(b"x"),
                   lambda b: b"head" + b, lambda b: b.__iadd__(1), lambda b: b * "x"],
    "compare": [lambda b: b == DATA, lambda b: b != DATA, lambda b: b < b"I",
                lambda b: b >= bytearray(DATA), lambda b: b == "text", lambda b: b == None,  # noqa: E711
                lambda b: b < "text", lambda b: hash(b)],
    "text": [lambda b: b.upper(), lambda b: b.lower(), lambda b: b.title(), lambda b: b.swapcase(),
             lambda b: b.capitalize(), lambda b: b.strip(), lambda b: b.lstrip(b"Hel"),
             lambda b: b.rstrip(), lambda b: b.split(), lambda b: b.split(b"o", 1),
             lambda b: b.rsplit(None, 2), lambda b: b.splitlines(), lambda b: b.splitlines(True),
             lambda b: b.partition(b", "), lambda b: b.rpartition(b"o"),
             lambda b: b.replace(b"o", b"0"), lambda b: b.replace(b"l", b"", 2),
             lambda b: b.center(60, b"*"), lambda b: b.ljust(50), lambda b: b.rjust(50),
             lambda b: b.zfill(50), lambda b: b.expandtabs(4), lambda b: b.decode(),
             lambda b: b.decode("ascii", "strict"), lambda b: b.hex(), lambda b: b.hex(":", 2),
             lambda b: b.join([b"a", b"b"]), lambda b: b.removeprefix(b"Hello"),
             lambda b: b.removesuffix(b"  "), lambda b: b.isalnum(), lambda b: b.isalpha(),
             lambda b: b.isascii(), lambda b: b.isdigit(), lambda b: b.islower(),
             lambda b: b.isspace(), lambda b: b.istitle(), lambda b: b.isupper(),
             lambda b: b.translate(bytes.maketrans(b"lo", b"LO")), lambda b: b.translate(None, b"l"),
             lambda b: b.split(b""), lambda b: b.upper(1), lambda b: list(b), lambda b: len(b),
             lambda b: bytes(b), lambda b: b % (), lambda b: b.decode("nope")],
}


@pytest.mark.parametrize("call", [pytest.param(call, id=f"{group}-{i}")
                                  for group, calls in CALLS.items()
                                  for i, call in enumerate(calls)])
def test_same_as_bytearray(call):
    same(call)


@pytest.mark.parametrize("data", [b"", b"a", b"\x00\xff" * 3, bytes(range(256)) * 2])
def test_same_as_bytearray_on_other_data(data):
    for calls in CALLS.values():
        for call in calls:
            same(call, data)


def test_percent_formatting_and_fromhex():
    assert bytes(remap.Buffer(b"%d-%s") % (1, b"x")) == b"1-x"
    assert remap.Buffer.fromhex("de ad") == b"\xde\xad"
    assert isinstance(remap.Buffer.fromhex("00"), remap.Buffer)
    assert remap.Buffer.maketrans(b"a", b"b") == bytearray.maketrans(b"a", b"b")


def test_results_are_buffers_where_bytearray_gives_bytearray():
    buf = remap.Buffer(b"a b")
    for result in (buf[0:1], buf.upper(), buf.copy(), buf + b"x", buf * 2, *buf.split(),
                   *buf.partition(b" ")):
        assert isinstance(result, remap.Buffer)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 688's Buffer ABC is new in 3.12")
def test_it_is_a_pep_688_buffer():
    buf = remap.Buffer(b"abc")
    assert isinstance(buf, collections.abc.Buffer) and issubclass(remap.Buffer, collections.abc.Buffer)
    with buf.__buffer__(0) as view:
        assert view.tobytes() == b"abc" and buf.exports == 1
    assert buf.exports == 0


def test_it_is_a_mutable_sequence():
    assert isinstance(remap.Buffer(), collections.abc.MutableSequence)
    assert list(reversed(remap.Buffer(b"abc"))) == [99, 98, 97]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trips(protocol):
    buf = remap.Buffer(b"pickled \x00 bytes")
    again = pickle.loads(pickle.dumps(buf, protocol=protocol))
    assert isinstance(again, remap.Buffer) and again == buf
    assert buf.exports == 0


def test_pickle_protocol_5_out_of_band():
    buf = remap.Buffer(bytes(range(256)) * 1000)
    buffers = []
    data = pickle.dumps(buf, protocol=5, buffer_callback=buffers.append)
    assert len(data) < 1000 and len(buffers) == 1
    again = pickle.loads(data, buffers=buffers)
    assert isinstance(again, remap.Buffer) and again == buf
    del buffers
    assert buf.exports == 0


def test_copy_and_deepcopy():
    buf = remap.Buffer(b"abc")
    for duplicate in (copy.copy(buf), copy.deepcopy(buf)):
        assert isinstance(duplicate, remap.Buffer) and duplicate == buf
        duplicate[0] = 0
        assert buf == b"abc"


class Framed(remap.Buffer):
    """A subclass as frameworks write them: its own constructor and an attribute."""

    def __init__(self, frame_id, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frame_id = frame_id


def test_subclass_keeps_its_constructor_type_and_attributes():
    frame = Framed(7, b"payload", capacity=1 << 20)
    assert (frame, frame.frame_id, frame.capacity >= 1 << 20) == (b"payload", 7, True)
    assert type(frame[1:3]) is remap.Buffer and type(frame.copy()) is remap.Buffer
    assert repr(Framed(1, b"x")).startswith("Framed(b'x'")


def test_subclass_instances_in_a_cycle_are_collected():
    import gc
    import weakref
    frame = Framed(1, b"x")
    frame.me = frame
    gone = weakref.ref(frame)
    del frame
    gc.collect()
    assert gone() is None


def test_init_again_starts_over_unless_exported():
    buf = remap.Buffer(b"old bytes")
    buf.__init__(b"new", capacity=100)
    assert buf == b"new" and buf.capacity >= 100
    with memoryview(buf), pytest.raises(BufferError):
        buf.__init__(b"lost?")
    assert buf == b"new"


def test_sequence_slots_do_not_wrap_a_negative_index_twice():
    import ctypes
    api = ctypes.pythonapi
    api.PySequence_GetItem.restype = ctypes.py_object
    for function in (api.PySequence_GetItem, api.PySequence_SetItem, api.PySequence_DelItem):
        function.argtypes = [ctypes.py_object, ctypes.c_ssize_t, ctypes.py_object][
            : 3 if function is api.PySequence_SetItem else 2]
    buf = remap.Buffer(b"*")
    for call in (lambda: api.PySequence_GetItem(buf, -2), lambda: api.PySequence_DelItem(buf, -2),
                 lambda: api.PySequence_SetItem(buf, -2, 1)):
        with pytest.raises(IndexError):
            call()
    api.PySequence_SetItem(buf, -1, 43)
    assert api.PySequence_GetItem(buf, -1) == 43 and buf == b"+"
    api.PySequence_DelItem(buf, 0)
    assert buf == b""


def test_iterator_pickles_with_its_position():
    iterator = iter(remap.Buffer(b"abc"))
    next(iterator)
    assert iterator.__length_hint__() == 2
    assert list(pickle.loads(pickle.dumps(iterator))) == [98, 99]
    assert list(iterator) == [98, 99] and iterator.__length_hint__() == 0
    assert list(pickle.loads(pickle.dumps(iterator))) == []


def test_iteration_rereads_the_length():
    buf = remap.Buffer(b"abcd")
    seen = []
    for byte in buf:
        seen.append(byte)
        if len(seen) == 2:
            buf.resize(3)
    assert seen == [97, 98, 99]
    iterator = iter(buf)
    buf.close()
    assert list(iterator) == []


BYTES = st.binary(max_size=40)
INDEX = st.integers(-50, 50)


class AgainstBytearray(RuleBasedStateMachine):
    """Random sequences of mutations on a Buffer and a bytearray, compared after every step."""

    def __init__(self):
        super().__init__()
        self.buf, self.array = remap.Buffer(), bytearray()

    def both(self, call):
        assert outcome(call, self.buf) == outcome(call, self.array)

    @rule(data=BYTES)
    def extend(self, data):
        self.both(lambda b: b.extend(data))

    @rule(data=BYTES)
    def iadd(self, data):
        self.both(lambda b: b.__iadd__(data))

    @rule(value=st.integers(-1, 256))
    def append(self, value):
        self.both(lambda b: b.append(value))

    @rule(start=INDEX, stop=INDEX, step=st.sampled_from([None, 1, 2, -1, -3]), data=BYTES)
    def assign_slice(self, start, stop, step, data):
        self.both(lambda b: b.__setitem__(slice(start, stop, step), data))

    @rule(start=INDEX, stop=INDEX, step=st.sampled_from([None, 1, 3, -2]))
    def delete_slice(self, start, stop, step):
        self.both(lambda b: b.__delitem__(slice(start, stop, step)))

    @rule(index=INDEX, value=st.integers(0, 255))
    def insert(self, index, value):
        self.both(lambda b: b.insert(index, value))

    @rule(index=INDEX)
    def pop(self, index):
        self.both(lambda b: b.pop(index))

    @rule(value=st.integers(0, 255))
    def remove(self, value):
        self.both(lambda b: b.remove(value))

    @rule()
    def reverse(self):
        self.both(lambda b: b.reverse())

    @rule(times=st.integers(-1, 3))
    def repeat(self, times):
        self.both(lambda b: b.__imul__(times))

    @rule(size=st.sampled_from([-1, 0, 1, 100, 300, 150_000, 1_000_000, 2_200_000]))
    def resize(self, size):
        self.both(lambda b: resize(b, size))

    @rule(n=st.none() | st.integers(-60, 60))
    def take_bytes(self, n):
        self.both(lambda b: take_bytes(b, n))

    @rule(n=st.integers(0, 60))
    def consume(self, n):
        self.both(lambda b: b.__delitem__(slice(None, n)))

    @rule(size=st.sampled_from([100, 5000, 140_000, 700_000]), byte=st.integers(1, 255))
    def extend_big(self, size, byte):
        self.both(lambda b: b.extend(bytes([byte]) * size))

    @rule(size=st.sampled_from([0, 200_000, 2_500_000]), byte=st.integers(1, 255))
    def churn(self, size, byte):
        """Make and drop a dirty buffer, so the next mapping may come from the cache."""
        remap.Buffer(bytes([byte]) * size).close()

    @rule(size=st.integers(0, 1 << 20))
    def reserve(self, size):
        self.buf.reserve(size)

    @rule()
    def shrink_to_fit(self):
        self.buf.shrink_to_fit()

    @rule(sub=BYTES, start=st.none() | INDEX, end=st.none() | INDEX)
    def search(self, sub, start, end):
        for name in ("find", "rfind", "count", "startswith", "endswith"):
            self.both(lambda b: getattr(b, name)(sub, start, end))

    @invariant()
    def same_bytes(self):
        assert bytes(self.buf) == bytes(self.array) and len(self.buf) == len(self.array)
        assert self.buf.capacity >= len(self.buf)


AgainstBytearray.TestCase.settings = settings(max_examples=150, stateful_step_count=40,
                                              deadline=None)
test_state_machine = AgainstBytearray.TestCase


class SharedAgainstBytearray(AgainstBytearray):
    """The same, on a SharedBuffer, and a second handle on its memory must agree at every step."""

    def __init__(self):
        super().__init__()
        self.buf = remap.SharedBuffer()
        self.peer = remap.SharedBuffer.attach(self.buf.fileno())

    @invariant()
    def the_peer_sees_the_same(self):
        assert bytes(self.peer) == bytes(self.array)

    def teardown(self):
        self.peer.close()
        self.buf.close()


class SecretAgainstBytearray(AgainstBytearray):
    """The same, on a secret buffer (locked pages, zeroed when let go, moved by mremap)."""

    def __init__(self):
        super().__init__()
        self.buf = remap.Buffer(secret=True, strict=False)


class FileAgainstBytearray(AgainstBytearray):
    """The same, on a FileBuffer; the file holds exactly the bytes after each flush."""

    def __init__(self):
        super().__init__()
        import tempfile
        self.directory = tempfile.TemporaryDirectory()
        self.path = f"{self.directory.name}/data"
        self.buf = remap.FileBuffer(self.path, "w+")

    @rule()
    def flush(self):
        self.buf.flush()
        with open(self.path, "rb") as file:
            assert file.read() == bytes(self.array)

    def teardown(self):
        self.buf.close()
        self.directory.cleanup()


for machine in (SharedAgainstBytearray, SecretAgainstBytearray, FileAgainstBytearray):
    machine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_shared_state_machine = SharedAgainstBytearray.TestCase
test_secret_state_machine = SecretAgainstBytearray.TestCase
test_file_state_machine = FileAgainstBytearray.TestCase
