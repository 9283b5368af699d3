"""The peers of each classic scenario: fill, resize, create and drop, grow under a numpy view."""

import array
import io
import mmap
import time

from remap._bench.kernel import MiB, RawMapping
from remap._core import PAGESIZE, Buffer


def fill_by(make, method):
    """A fill that appends each chunk to make() with its method of that name."""

    def fill(total, chunk):
        target = make()
        append = getattr(target, method)
        for _ in range(total // len(chunk)):
            append(chunk)
        return target

    return fill


def fill_mmap(total, chunk):
    """mmap.mmap has no append: write at the end, doubling with resize() when full."""
    region, end = mmap.mmap(-1, PAGESIZE, flags=mmap.MAP_PRIVATE), 0
    for _ in range(total // len(chunk)):
        while end + len(chunk) > len(region):
            region.resize(2 * len(region))
        region[end:end + len(chunk)] = chunk
        end += len(chunk)
    return region


def fill_numpy(total, chunk):
    """An ndarray grown by doubling with ndarray.resize, filled by slice assignment."""
    import numpy as np

    values, end, piece = np.empty(PAGESIZE, "u1"), 0, np.frombuffer(chunk, "u1")
    for _ in range(total // len(chunk)):
        while end + len(piece) > len(values):
            values.resize(2 * len(values), refcheck=False)
        values[end:end + len(piece)] = piece
        end += len(piece)
    return values


def fill_kernel(total, chunk):
    """memset of a fresh MADV_HUGEPAGE mapping: the ceiling for any fill."""
    region = RawMapping(total)
    region.fill()
    return region


FILL = {"remap": fill_by(Buffer, "extend"), "bytearray": fill_by(bytearray, "extend"),
        "BytesIO": fill_by(io.BytesIO, "write"), "mmap": fill_mmap, "numpy": fill_numpy,
        "array": fill_by(lambda: array.array("B"), "frombytes"), "kernel": fill_kernel}


# -- scenario 2: grow a touched buffer of N bytes to 2N, then shrink it back --

def touch_pages(buffer, start=0, end=None):
    """Write one byte in every page of buffer[start:end], so moves carry real pages."""
    with memoryview(buffer) as view:
        end = len(view) if end is None else end
        view[start:end:PAGESIZE] = b"\1" * len(range(start, end, PAGESIZE))
    return buffer


def touched_remap(size):
    return touch_pages(Buffer(size))


def grow_remap(buf, size):
    buf.resize(size)


def touched_bytearray(size):
    return bytearray(b"\1") * size


def grow_by_extending(extend_name):
    """A resize for a type without one: extend with zeros to grow, delete the tail to shrink."""

    def grow(values, size):
        if size > len(values):
            getattr(values, extend_name)(bytes(size - len(values)))
        else:
            del values[size:]

    return grow


def touched_bytesio(size):
    return io.BytesIO(b"\1" * size)


def grow_bytesio(file, size):
    """BytesIO grows by a write past the end (zero-filling the gap), shrinks by truncate()."""
    if size > len(file.getbuffer()):
        file.seek(size - 1)
        file.write(b"\0")
    else:
        file.truncate(size)


def touched_array(size):
    return array.array("B", b"\1") * size


def touched_mmap(size):
    return touch_pages(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE))


def grow_mmap(region, size):
    region.resize(size)


def touched_numpy(size):
    import numpy as np

    return np.ones(size, "u1")


def grow_numpy(values, size):
    values.resize(size, refcheck=False)


def touched_kernel(size):
    region = RawMapping(size)
    region.touch()
    return region


def grow_kernel(region, size):
    region.remap(size)


RESIZE = {"remap": (touched_remap, grow_remap),
          "bytearray": (touched_bytearray, grow_by_extending("extend")),
          "BytesIO": (touched_bytesio, grow_bytesio), "mmap": (touched_mmap, grow_mmap),
          "numpy": (touched_numpy, grow_numpy),
          "array": (touched_array, grow_by_extending("frombytes")),
          "kernel": (touched_kernel, grow_kernel)}


# -- scenario 3: create and drop small buffers --

def create_remap(size, count):
    for _ in range(count):
        Buffer(size)


def create_bytearray(size, count):
    for _ in range(count):
        bytearray(size)


def create_bytesio(size, count):
    for _ in range(count):
        io.BytesIO(bytes(size))


def create_array(size, count):
    for _ in range(count):
        array.array("B", bytes(size))


def create_mmap(size, count):
    for _ in range(count):
        mmap.mmap(-1, size).close()


def create_numpy(size, count):
    import numpy as np

    for _ in range(count):
        np.zeros(size, "u1")


CREATE = {"remap": create_remap, "bytearray": create_bytearray, "BytesIO": create_bytesio,
          "mmap": create_mmap, "numpy": create_numpy, "array": create_array}


# -- scenario 4: grow while a numpy array views the first bytes --

def grow_under_numpy(size):
    """Seconds to grow a Buffer from 1 MiB to size in doublings while np.frombuffer pins it."""
    import numpy as np

    buf = Buffer(MiB, max_size=size)
    pinned = np.frombuffer(buf, "u1")
    start, length = time.perf_counter(), MiB
    while length < size:
        length = min(2 * length, size)
        buf.resize(length)
    seconds = time.perf_counter() - start
    del pinned
    buf.close()
    return seconds


def refusals():
    """What each peer does when asked to grow under a live np.frombuffer view of it."""
    import numpy as np

    peers = {"bytearray": lambda: bytearray(MiB), "mmap": lambda: mmap.mmap(-1, MiB),
             "numpy": lambda: np.zeros(MiB, "u1"), "array": lambda: array.array("B", bytes(MiB))}
    return {name: refusal(make()) for name, make in peers.items()}


def refusal(buf):
    """The name of the exception buf raises when it must grow under a numpy view, or "grew"."""
    import numpy as np

    pinned = np.frombuffer(buf, "u1")
    try:
        if isinstance(buf, (bytearray, array.array)):
            buf.extend(bytes(MiB))
        else:
            buf.resize(2 * len(buf))
    except (BufferError, ValueError) as error:
        return type(error).__name__
    finally:
        del pinned
    return "grew"
