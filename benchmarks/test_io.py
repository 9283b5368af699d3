"""Small writes: remap.BufferIO.write against io.BytesIO.write."""

import io

import pytest

import remap

CHUNK = b"x" * 64
WRITES = 100_000


@pytest.mark.parametrize("make", [io.BytesIO, remap.BufferIO], ids=["BytesIO", "BufferIO"])
def test_small_writes(benchmark, make):
    """100,000 writes of 64 bytes into a fresh file."""

    def fill():
        file = make()
        write = file.write
        for _ in range(WRITES):
            write(CHUNK)
        return file

    benchmark.pedantic(fill, rounds=10)
