"""Mapped storage: a private anonymous mapping grown by mremap, huge-page sized, aligned and advised,
and what it does at the kernel's limits (RLIMIT_AS, vm.max_map_count), in child processes."""

import os

import pytest

import remap
from conftest import kernel_placement, limits_address_space

MiB = 1 << 20
GiB = 1 << 30
HUGE = 2 * MiB


def vm_flags(address):
    """The VmFlags of the mapping that holds address."""
    with open("/proc/self/smaps") as smaps:
        text = smaps.read()
    block = text[text.index(f"{address:x}-"):]
    return next(line for line in block.splitlines() if line.startswith("VmFlags"))


@kernel_placement
def test_large_capacity_is_huge_page_sized_and_aligned():
    buf = remap.Buffer(5 * MiB + 1)
    assert buf.capacity % HUGE == 0
    assert buf.address % HUGE == 0
    buf.resize(40 * MiB + 3)
    assert buf.capacity % HUGE == 0 and buf.address % HUGE == 0


@kernel_placement
def test_huge_pages_are_advised():
    assert " hg" in vm_flags(remap.Buffer(8 * MiB).address)
    assert " nh" in vm_flags(remap.Buffer(8 * MiB, hugepages=False).address)


@kernel_placement
def test_huge_pages_are_advised_once_appends_grow_a_buffer_past_2_mib(child):
    out = child("""
        import remap
        buf = remap.Buffer()  # a fresh process: no cached mapping, advised or not, to take
        for _ in range(200):  # heap, then a small mapping, moved by mremap as it grows
            buf += b"x" * (64 << 10)
        with open("/proc/self/smaps") as smaps:
            block = smaps.read().split(f"{buf.address:x}-")[1]
        print(next(line for line in block.splitlines() if line.startswith("VmFlags")))
    """)
    assert " hg" in out


def test_one_gib_grows_to_two_keeping_both_ends():
    buf = remap.Buffer(GiB)
    buf[0], buf[GiB - 1] = 1, 2
    buf.resize(2 * GiB)
    assert (buf[0], buf[GiB - 1], buf[GiB], buf[-1]) == (1, 2, 0, 0)
    buf[-1] = 3
    buf.resize(GiB)
    assert (buf[0], buf[-1]) == (1, 2)
    buf.close()


@kernel_placement
def test_giant_buffers_are_gib_aligned_so_moves_go_a_pud_at_a_time():
    buf = remap.Buffer(GiB)
    assert buf.address % GiB == 0
    blocker = remap.Buffer(remap.MAP_THRESHOLD)  # often sits right after, forcing a move
    buf[-1] = 5
    buf.resize(2 * GiB)
    assert buf.address % GiB == 0 and buf[GiB - 1] == 5
    reserved = remap.Buffer(max_size=3 * GiB)
    assert reserved.address % GiB == 0
    blocker.close()


@limits_address_space
def test_growth_without_room_for_alignment_still_moves(child):
    out = child("""
        import resource, remap
        buf = remap.Buffer(1 << 30)
        buf[0], buf[-1] = 1, 2
        used = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
        limit = used + (2 << 30) + (512 << 20)  # room for the move, not for 1 GiB of slack too
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        blocker = remap.Buffer(remap.MAP_THRESHOLD)
        buf.resize(2 << 30)
        assert (buf[0], buf[(1 << 30) - 1], buf[-1]) == (1, 2, 0)
        print("ok")
    """)
    assert out.endswith("ok\n")


@limits_address_space
def test_enomem_leaves_the_buffer_intact(child):
    out = child("""
        import resource, remap
        buf = remap.Buffer(b"keep" * 1000)
        buf.extend(bytes(range(256)) * 4096)
        before = bytes(buf)
        limit = 512 << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        for grow in (lambda: buf.resize(1 << 30), lambda: buf.reserve(1 << 30),
                     lambda: buf.resize(700 << 20)):
            try:
                grow()
            except MemoryError as error:
                print("MemoryError", error)
            else:
                raise SystemExit("grew past RLIMIT_AS")
            assert bytes(buf) == before, "bytes changed"
        buf.extend(b"still usable")
        assert bytes(buf[-12:]) == b"still usable"
        print("ok")
    """)
    assert out.count("MemoryError") == 3 and out.endswith("ok\n")


@limits_address_space
def test_enomem_mid_append_keeps_every_byte(child):
    out = child("""
        import resource, remap
        limit = 768 << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        buf = remap.Buffer()
        chunk = bytes(range(256)) * 256
        try:
            while True:
                buf += chunk
        except MemoryError:
            pass
        n = len(buf)
        assert n > 64 << 20 and n % len(chunk) == 0
        view = memoryview(buf)
        assert view[:len(chunk)] == chunk and view[n - len(chunk):] == chunk
        print("ok", n)
    """)
    assert out.startswith("ok")


@pytest.mark.skipif(os.environ.get("REMAP_SANITIZER") is not None,
                    reason="at the mapping limit ASan's own allocator fails to mmap, and aborts")
def test_near_max_map_count_every_buffer_keeps_its_bytes(child):
    out = child("""
        import remap
        bufs, errors = [], 0
        try:
            for i in range(70_000):  # alternate flags so neighbouring mappings do not merge
                bufs.append((i, remap.Buffer(remap.MAP_THRESHOLD, hugepages=bool(i % 2))))
                bufs[-1][1][0] = i % 251
        except MemoryError:
            errors += 1
        for _ in range(1000):  # room for the interpreter's own allocations
            bufs.pop()
        for i, buf in bufs[::10]:
            try:
                buf.resize(buf.capacity * 3)
            except MemoryError:
                errors += 1
        assert all(buf[0] == i % 251 for i, buf in bufs), "a byte was lost"
        print("ok", len(bufs), errors)
    """)
    assert out.startswith("ok")
