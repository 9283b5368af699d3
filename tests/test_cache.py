"""The mapping cache: freed mappings come back to new buffers, zeroed, never shared or leaked."""

import threading

import pytest

import remap
from conftest import mapping_count

KiB, MiB = 1 << 10, 1 << 20
SIZES = [remap.MAP_THRESHOLD, 300 * KiB, MiB + 5, 3 * MiB, 17 * MiB]


@pytest.fixture
def cache():
    """The cache, emptied before and after the test, with its limits restored."""
    old = remap.configure_cache(max_bytes=0)
    remap.configure_cache(**old)
    yield remap.cache_info
    remap.configure_cache(max_bytes=0)
    remap.configure_cache(**old)


def dirty(size):
    """A Buffer of size bytes of 0xA5, dropped at once so its mapping goes to the cache."""
    with remap.Buffer(b"\xa5" * size):
        pass


@pytest.mark.parametrize("size", SIZES)
def test_a_recycled_mapping_never_shows_old_bytes(cache, size):
    for new_size in (size // 2, size, size + 1, 2 * size):
        dirty(2 * size)
        buf = remap.Buffer(new_size)
        assert buf == bytes(new_size)
        dirty(2 * size)
        grown = remap.Buffer(b"x" * 1000)
        grown.resize(new_size)  # through the heap, then into recycled room
        assert grown[:1000] == b"x" * 1000 and grown[1000:] == bytes(new_size - 1000)
        dirty(2 * size)
        reserved = remap.Buffer(capacity=new_size)
        reserved.resize(new_size)
        assert reserved == bytes(new_size)
    assert cache()["hits"] > 0


def test_growing_into_recycled_room_after_a_shrink_reads_zeros(cache):
    dirty(8 * MiB)
    buf = remap.Buffer(b"y" * MiB)
    buf.resize(10)
    buf.resize(6 * MiB)
    assert buf[:10] == b"y" * 10 and buf[10:] == bytes(6 * MiB - 10)


def test_churn_reuses_mappings_instead_of_making_new_ones(cache):
    dirty(4 * MiB)
    hits, count = cache()["hits"], mapping_count()
    for _ in range(50):
        buf = remap.Buffer()
        for _ in range(64):
            buf += b"z" * (64 * KiB)
        assert len(buf) == 4 * MiB
        del buf
    assert cache()["hits"] >= hits + 50
    assert mapping_count() <= count + 2


def test_limits_bound_what_the_cache_holds(cache):
    remap.configure_cache(max_bytes=8 * MiB, max_entries=3)
    for size in (MiB, 2 * MiB, 3 * MiB, 4 * MiB, 20 * MiB):
        dirty(size)
    info = cache()
    assert info["entries"] <= 3 and info["bytes"] <= 8 * MiB
    remap.configure_cache(max_bytes=0)
    assert cache()["entries"] == 0 and cache()["bytes"] == 0
    dirty(MiB)
    assert cache()["entries"] == 0


def test_a_buffer_grown_past_the_limit_from_an_entry_gives_that_entry_back(cache):
    remap.configure_cache(max_bytes=8 * MiB, max_entries=3)
    dirty(4 * MiB)
    huge = remap.Buffer()
    for _ in range(320):  # 20 MiB: out of the cached 4 MiB, then past the limit
        huge += b"\xa5" * (64 * KiB)
    del huge
    assert cache()["entries"] == 1 and cache()["bytes"] == 4 * MiB
    hits = cache()["hits"]
    buf = remap.Buffer(3 * MiB)  # in the 4 MiB it gave back: zeros, not the 0xA5 it held
    assert cache()["hits"] == hits + 1 and buf == bytes(3 * MiB)
    dirty(20 * MiB)  # a fresh mapping past the limit borrowed nothing: it is unmapped
    assert cache()["bytes"] <= 4 * MiB


@pytest.mark.parametrize("limits, error", [
    ({"max_bytes": -1}, ValueError), ({"max_entries": 1000}, ValueError),
    ({"max_bytes": "1"}, TypeError),
])
def test_bad_limits_are_refused_and_change_nothing(cache, limits, error):
    before = cache()
    with pytest.raises(error):
        remap.configure_cache(**limits)
    assert cache()["max_bytes"] == before["max_bytes"]


def test_reservations_are_never_cached(cache):
    entries = cache()["entries"]
    with remap.Buffer(b"r" * MiB, max_size=64 * MiB):
        pass
    assert cache()["entries"] == entries


def test_threads_churn_through_the_cache(cache):
    errors = []

    def churn(seed):
        try:
            for i in range(100):
                size = SIZES[(seed + i) % 3] // 2
                buf = remap.Buffer(size)
                if buf != bytes(size):
                    errors.append("old bytes")
                buf.resize(size + 3 * KiB)
                buf[:] = bytes([seed]) * len(buf)
                del buf
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=churn, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache()["entries"] <= cache()["max_entries"]


def test_the_cache_works_after_fork(child):
    out = child("""
        import os, remap
        for size in (1 << 20, 3 << 20):
            with remap.Buffer(b"\\xa5" * size):
                pass
        pid = os.fork()
        if pid == 0:
            ok = all(remap.Buffer(n) == bytes(n) for n in (1 << 19, 1 << 20, 3 << 20, 5 << 20))
            ok = ok and remap.cache_info()["hits"] > 0
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert all(remap.Buffer(n) == bytes(n) for n in (1 << 20, 3 << 20))
        print("ok")
    """)
    assert out == "ok\n"
