"""A model-based test of Buffer with live exports, run by test_reliability.py in a child process.

A Buffer and a plain bytearray model go through the same operations while memoryviews, numpy
arrays and Views of the Buffer come and go. Every export must keep seeing the right bytes (a
dangling pointer would read garbage or crash), and an operation refused for live exports must
leave the buffer exactly as it was.
"""

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test,
)

import remap

SIZES = st.integers(0, 600_000)  # across the heap / mapping threshold and the 2 MiB unit
SMALL = st.binary(max_size=3000)


class ExportedBuffer(RuleBasedStateMachine):
    """Buffer against a bytearray model, with exports taken and released at random."""

    def __init__(self):
        super().__init__()
        self.buf, self.model = remap.Buffer(), bytearray()
        self.exports = []  # (memoryview or ndarray, its first byte's offset, its length)

    def attempt(self, operation):
        """Run operation on the buffer and, if it went through, on the model too."""
        address, before = self.buf.address, bytes(self.buf)
        try:
            operation(self.buf)
        except (BufferError, MemoryError) as error:
            if isinstance(error, BufferError):
                assert self.exports, "BufferError with no export alive"
            else:
                assert self.buf.max_size is not None, "MemoryError without a max_size"
            assert bytes(self.buf) == before, "a refused operation changed the bytes"
            return
        if self.exports and address:  # an empty buffer's exports point at no storage of its own
            assert self.buf.address == address, "moved while exported"
        operation(self.model)

    @rule(data=SMALL)
    def extend(self, data):
        self.attempt(lambda b: b.extend(data))

    @rule(size=SIZES)
    def resize(self, size):
        self.attempt(lambda b: b.resize(size) if isinstance(b, remap.Buffer)
                     else b.__setitem__(slice(None), (b + bytes(size))[:size]))

    @rule(start=st.integers(0, 5000), stop=st.integers(0, 5000), data=SMALL)
    def assign(self, start, stop, data):
        self.attempt(lambda b: b.__setitem__(slice(start, stop), data))

    @rule(start=st.integers(0, 5000), stop=st.integers(0, 5000))
    def delete(self, start, stop):
        self.attempt(lambda b: b.__delitem__(slice(start, stop)))

    @rule(n=st.integers(0, 300_000))
    def take_bytes(self, n):
        n = min(n, len(self.model))
        self.attempt(lambda b: b.take_bytes(n) if isinstance(b, remap.Buffer) else b.__delitem__(slice(n)))

    @rule(n=st.integers(0, 5000))
    def consume(self, n):
        self.attempt(lambda b: b.__delitem__(slice(None, n)))

    @rule(size=st.sampled_from([200_000, 2_500_000]))
    def churn(self, size):
        """Make and drop a dirty buffer, so the next mapping may come from the cache."""
        remap.Buffer(b"\xa5" * size).close()

    @rule(size=st.integers(0, 3_000_000))
    def reserve(self, size):
        self.attempt(lambda b: b.reserve(size) if isinstance(b, remap.Buffer) else None)

    @rule()
    def shrink_to_fit(self):
        self.attempt(lambda b: b.shrink_to_fit() if isinstance(b, remap.Buffer) else None)

    @rule(kind=st.sampled_from(["memoryview", "numpy", "slice"]))
    def export(self, kind):
        start = len(self.buf) // 2 if kind == "slice" else 0
        if kind == "numpy":
            exported = np.frombuffer(self.buf, "u1") if len(self.buf) else None
        else:
            exported = memoryview(self.buf)[start:]
        if exported is not None:
            self.exports.append((exported, start, len(self.buf) - start))

    @precondition(lambda self: self.exports)
    @rule(index=st.integers(0, 100))
    def release(self, index):
        exported, _, _ = self.exports.pop(index % len(self.exports))
        if isinstance(exported, memoryview):
            exported.release()

    @precondition(lambda self: self.exports)
    @rule(index=st.integers(0, 100), value=st.integers(0, 255))
    def write_through_export(self, index, value):
        exported, start, length = self.exports[index % len(self.exports)]
        if length:
            exported[length - 1] = value
            self.model[start + length - 1] = value

    @rule(reserved=st.booleans())
    def close(self, reserved):
        """Close: refused while exported; else start again, on a max_size buffer if reserved."""
        try:
            self.buf.close()
        except BufferError:
            assert self.exports and not self.buf.closed
            return
        assert not self.exports and self.buf.closed and self.buf.address == 0
        try:
            len(self.buf)
        except ValueError:
            pass
        else:
            raise AssertionError("a closed buffer answered len()")
        self.buf = remap.Buffer(max_size=4 << 20 if reserved else None)
        self.model = bytearray()

    @rule(offset=st.integers(0, 1000))
    def view(self, offset):
        view = self.buf.view(offset)
        try:
            assert bytes(view) == bytes(self.model[offset:])
        except IndexError:
            assert offset > len(self.model)

    @invariant()
    def consistent(self):
        assert len(self.buf) == len(self.model) and self.buf.capacity >= len(self.buf)
        assert bytes(self.buf) == bytes(self.model)
        assert self.buf.exports == len(self.exports)
        for exported, start, length in self.exports:
            assert exported.tobytes() == bytes(self.model[start:start + length]), "stale export"

    def teardown(self):
        for exported, _, _ in self.exports:
            if isinstance(exported, memoryview):
                exported.release()
        self.exports.clear()
        exported = None  # the loop variable may still hold a numpy array
        self.buf.close()


def run(examples=60):
    run_state_machine_as_test(ExportedBuffer, settings=settings(
        max_examples=examples, stateful_step_count=40, deadline=None))
    print("ok")


if __name__ == "__main__":
    run()
