"""Ring: contiguous readable bytes and free space through a mirror mapping, checked against a
deque of bytes, with views that pin, growth that keeps order, and a two-process stream."""

import collections
import multiprocessing
import os
import pickle
import socket

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import remap
from conftest import ClosesOnIndex, run_child
from workers import read_ring

PAGE = remap.PAGESIZE


def test_readable_and_writable_are_contiguous_across_the_wrap():
    ring = remap.Ring(PAGE)
    ring.write(b"a" * (PAGE - 100))
    ring.consume(PAGE - 200)
    ring.write(bytes(range(256)) * 2)  # wraps past the end of the pages
    with ring.readable() as view:
        assert view.readonly and view.tobytes() == b"a" * 100 + bytes(range(256)) * 2
        assert np.frombuffer(view, "u1")[-1] == 255
    with ring.writable() as free:
        assert len(free) == ring.free == PAGE - 612
        free[:3] = b"xyz"
    ring.commit(3)
    assert ring.read()[-3:] == b"xyz" and not ring and len(ring) == 0


def test_recv_into_and_commit():
    left, right = socket.socketpair()
    ring = remap.Ring(2 * PAGE)
    ring.write(b"x" * (2 * PAGE - 10))
    ring.consume(2 * PAGE - 20)
    left.sendall(b"0123456789" * 3)
    ring.commit(right.recv_into(ring.writable()))
    assert ring.read() == b"x" * 10 + b"0123456789" * 3
    left.close(), right.close()


def test_when_full_raise_partial_grow():
    with remap.Ring(PAGE) as ring:
        ring.write(b"x" * PAGE)
        with pytest.raises(BufferError, match="full"):
            ring.write(b"y")
        assert len(ring) == PAGE
    partial = remap.Ring(PAGE, when_full="partial")
    assert partial.write(b"z" * (PAGE + 5)) == PAGE and partial.write(b"z") == 0
    grows = remap.Ring(PAGE, when_full="grow")
    grows.write(b"a" * (PAGE - 10))
    grows.consume(PAGE - 20)
    grows.write(b"b" * 30)  # wraps
    grows.write(b"c" * 3 * PAGE)  # grows: the wrapped part is the only copy
    assert grows.read() == b"a" * 10 + b"b" * 30 + b"c" * 3 * PAGE and grows.capacity >= 4 * PAGE
    with pytest.raises(ValueError, match="when_full"):
        remap.Ring(PAGE, when_full="block")


def test_views_pin_consumption_and_growth():
    ring = remap.Ring(PAGE, when_full="grow")
    ring.write(b"keep")
    view = ring.readable()
    with pytest.raises(BufferError):
        ring.consume(1)
    with pytest.raises(BufferError):
        ring.write(b"x" * 2 * PAGE)  # would grow: the view would dangle
    ring.write(b" more")  # fits: the view's bytes are untouched
    assert view.tobytes() == b"keep" and ring.peek() == b"keep more"
    with pytest.raises(BufferError):
        ring.close()
    view.release()
    free = ring.writable()
    with pytest.raises(BufferError):
        ring.write(b"x")
    free.release()
    ring.consume(4)
    ring.close()
    ring.close()
    with pytest.raises(ValueError):
        len(ring)


def test_a_view_kept_past_its_memoryview_cannot_export_again():
    ring = remap.Ring(PAGE, when_full="grow")
    ring.write(b"abc")
    with ring.readable() as view:
        exporter = view.obj
    ring.consume(3)
    ring.write(b"x" * 3 * PAGE)  # grows: the old pages are gone
    with pytest.raises(BufferError, match="once"):
        memoryview(exporter)


def test_an_index_that_closes_the_ring_is_caught():
    ring = remap.Ring(PAGE)
    ring.write(b"abc")
    with pytest.raises(ValueError, match="closed"):
        ring.peek(ClosesOnIndex(ring, 2))


class AgainstDeque(RuleBasedStateMachine):
    """Random writes, reads, peeks, consumes, growth and live views, against a deque of bytes."""

    def __init__(self):
        super().__init__()
        self.ring, self.model, self.views = remap.Ring(PAGE, when_full="grow"), collections.deque(), []

    def expected(self):
        return b"".join(self.model)

    @rule(data=st.binary(max_size=3 * PAGE))
    def write(self, data):
        if self.views and len(data) > self.ring.free:
            with pytest.raises(BufferError):
                self.ring.write(data)
            return
        assert self.ring.write(data) == len(data)
        self.model.append(data)

    @rule(n=st.integers(-1, 2 * PAGE))
    def peek(self, n):
        assert self.ring.peek(n) == (self.expected() if n < 0 else self.expected()[:n])

    @rule(n=st.integers(0, 2 * PAGE))
    def read_or_consume(self, n):
        expected = self.expected()
        if self.views and min(n, len(expected)):
            with pytest.raises(BufferError):
                self.ring.consume(min(n, len(expected)))
            return
        assert self.ring.read(n) == expected[:n]
        self.model = collections.deque([expected[n:]])

    @rule()
    def view(self):
        self.views.append((self.ring.readable(), self.expected()))

    @precondition(lambda self: self.views)
    @rule()
    def release(self):
        view, seen = self.views.pop()
        assert view.tobytes() == seen  # writes since never touched the bytes it shows
        view.release()

    @invariant()
    def same(self):
        assert len(self.ring) == len(self.expected()) and self.ring.free == \
            self.ring.capacity - len(self.ring)

    def teardown(self):
        for view, _ in self.views:
            view.release()
        self.ring.close()


TestAgainstDeque = AgainstDeque.TestCase
TestAgainstDeque.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


def test_shared_ring_pickles_to_start_a_process_and_attaches_by_descriptor():
    ring = remap.Ring.shared(PAGE)
    ring.write(b"hello")
    with pytest.raises(RuntimeError, match="multiprocessing"):  # nothing would ever close it
        pickle.dumps(ring)
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    process = spawn.Process(target=read_ring, args=(ring, queue))
    process.start()
    assert queue.get(timeout=60) == b"hello"
    process.join(60)
    assert process.exitcode == 0 and len(ring) == 0
    attached = remap.Ring.attach(ring.fileno())
    ring.write(b"again")
    assert attached.peek() == b"again"
    with pytest.raises(ValueError, match="grow"):
        remap.Ring.shared(PAGE, when_full="grow")
    with pytest.raises(TypeError):
        pickle.dumps(remap.Ring(PAGE))


def test_attach_refuses_what_is_not_a_sealed_ring():
    plain = os.memfd_create("plain")
    os.ftruncate(plain, 3 * PAGE)
    with pytest.raises(ValueError, match="sealed"):
        remap.Ring.attach(plain)
    os.close(plain)


def test_a_peer_scribbling_on_the_header_is_a_clear_error():
    out = run_child("""
        import os, struct, remap
        ring = remap.Ring.shared(4096)
        ring.write(b"abc")
        magic, version, size, head, tail = struct.unpack("=5q", os.pread(ring.fileno(), 40, 0))
        os.pwrite(ring.fileno(), struct.pack("=5q", magic, version, size, head, tail + 10**9), 0)
        try:
            ring.read()
        except ValueError as error:
            print("ValueError", "corrupt" in str(error))
    """)
    assert out.split() == ["ValueError", "True"]


PRODUCER = """
import os, sys, zlib, remap
ring = remap.Ring.attach(int(sys.argv[1]))
total, block, crc, sent = int(sys.argv[2]), os.urandom(1 << 16), 0, 0
sizes = [65536, 1000, 65536 + 17, 4096 * 3 + 5]
while sent < total:
    size = min(sizes[sent % 4], total - sent)
    message = block[:size] if sent % 3 else block[-size:]
    while ring.free < size:
        pass
    ring.write(message)
    crc, sent = zlib.crc32(message, crc), sent + size
print(crc)
"""


def test_two_processes_stream_1_gib_checksummed_through_a_shared_ring():
    import subprocess
    import sys
    import zlib
    total = 1 << 30
    ring = remap.Ring.shared(1 << 20)
    producer = subprocess.Popen([sys.executable, "-c", PRODUCER, str(ring.fileno()), str(total)],
                                pass_fds=[ring.fileno()], stdout=subprocess.PIPE, text=True)
    crc, received = 0, 0
    while received < total:
        if not ring:
            assert producer.poll() is None, "the producer died"
            continue
        with ring.readable() as view:
            crc, count = zlib.crc32(view, crc), len(view)
        ring.consume(count)
        received += count
    out, _ = producer.communicate(timeout=60)
    assert producer.returncode == 0 and int(out) == crc and received == total
