"""Reserved storage (max_size): address space reserved up front, committed as it grows, never moved."""

import numpy as np
import pytest

import remap

MiB = 1 << 20


def test_max_size_grows_under_a_numpy_array_without_moving():
    buf = remap.Buffer(b"\x01" * 8, max_size=256 * MiB)
    address = buf.address
    arr = np.frombuffer(buf, dtype="u1")
    for size in (MiB, 3 * MiB, 100 * MiB, 256 * MiB):
        buf.resize(size)
        assert buf.address == address
    assert arr.tolist() == [1] * 8 and buf[-1] == 0
    with pytest.raises(MemoryError, match="max_size"):
        buf.resize(256 * MiB + 1)
    with pytest.raises(MemoryError, match="max_size"):
        buf.reserve(256 * MiB + 1)
    assert len(buf) == 256 * MiB
    del arr
    buf.resize(10)
    buf.shrink_to_fit()
    assert buf.capacity == remap.PAGESIZE and buf[:8] == b"\x01" * 8
