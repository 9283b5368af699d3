"""Callbacks into Python that resize, close or export the buffer mid-call: no crash, a clear result."""

import pytest

import remap

MiB = 1 << 20


class Sneaky:
    """An int-like whose __index__ runs an action on the buffer first."""

    def __init__(self, value, action):
        self.value, self.action = value, action

    def __index__(self):
        self.action()
        return self.value


def attacks(buf):
    """Actions a callback can take on buf."""
    return {
        "close": buf.close,
        "shrink": lambda: buf.resize(0),
        "grow": lambda: buf.resize(8 * MiB),
        "clear": buf.clear,
    }


CALLS = {
    "getitem": lambda b, x: b[x],
    "setitem": lambda b, x: b.__setitem__(x, 1),
    "setitem value": lambda b, x: b.__setitem__(5, x),
    "slice": lambda b, x: b[x:],
    "slice assign": lambda b, x: b.__setitem__(slice(x, None), bytes(5)),
    "extended slice assign": lambda b, x: b.__setitem__(slice(None, x, 2), bytes(5)),
    "del": lambda b, x: b.__delitem__(x),
    "append": lambda b, x: b.append(x),
    "insert": lambda b, x: b.insert(x, 1),
    "insert value": lambda b, x: b.insert(0, x),
    "pop": lambda b, x: b.pop(x),
    "find": lambda b, x: b.find(b"a", x),
    "count": lambda b, x: b.count(x),
    "startswith": lambda b, x: b.startswith(b"a", x),
    "resize": lambda b, x: b.resize(x),
    "reserve": lambda b, x: b.reserve(x),
    "imul": lambda b, x: b.__imul__(x),
    "view": lambda b, x: bytes(b.view(x)),
}


@pytest.mark.parametrize("attack", ["close", "shrink", "grow", "clear"])
@pytest.mark.parametrize("call", list(CALLS))
def test_index_callbacks(call, attack):
    buf = remap.Buffer(b"a" * (MiB + 10))
    argument = Sneaky(10, attacks(buf)[attack])
    try:
        CALLS[call](buf, argument)
    except (ValueError, IndexError, BufferError):
        pass
    if not buf.closed:
        assert buf.capacity >= len(buf) and bytes(buf).strip(b"a\0\1\n") == b""


@pytest.mark.parametrize("attack", ["close", "shrink", "grow", "clear"])
def test_iterator_callbacks_during_extend(attack):
    buf = remap.Buffer(b"a" * MiB)

    def values():
        yield 1
        attacks(buf)[attack]()
        yield 2

    try:
        buf.extend(values())
    except ValueError:
        assert buf.closed
    else:
        assert bytes(buf[-2:]) == b"\x01\x02"


def test_slice_assignment_from_an_iterator_that_resizes():
    buf = remap.Buffer(b"abcdef")

    def values():
        buf.resize(2)
        yield 120

    buf[4:6] = values()  # the slice is taken against the length after the iterator ran
    assert buf == b"abx" == bytes(bytearray(b"ab")[4:6].join([b"ab", b"x"]))


def test_exports_taken_in_a_callback_pin_the_buffer():
    buf = remap.Buffer(b"abc")
    pins = []
    argument = Sneaky(10 * MiB, lambda: pins.append(memoryview(buf)))
    with pytest.raises(BufferError):
        buf.resize(argument)
    assert buf == b"abc"
    pins.clear()
    buf.resize(10 * MiB)
    assert len(buf) == 10 * MiB
