"""numpy over a Buffer: zero-copy arrays of its bytes, and Array, a growable typed array."""

import operator

import numpy as np

from remap._core import Buffer, NumberWriter


def asarray(buffer, dtype="u1", offset=0, count=-1):
    """A zero-copy ndarray of count items (-1: all) of dtype from byte offset; it pins the buffer."""
    dtype, offset, count = np.dtype(dtype), operator.index(offset), operator.index(count)
    stop = len(buffer) if count < 0 else offset + count * dtype.itemsize
    return array_of(buffer, dtype, offset, stop)


def array_of(buffer, dtype, start, stop):
    """An ndarray of dtype over buffer[start:stop]; ValueError if the range does not fit dtype."""
    dtype, size = np.dtype(dtype), len(buffer)
    if not 0 <= start <= stop <= size:
        raise ValueError(f"bytes [{start}:{stop}] are outside the buffer [0:{size}]")
    if dtype.itemsize == 0:
        raise ValueError(f"{dtype} has no size")
    if start % dtype.alignment:
        raise ValueError(f"offset {start} is misaligned for {dtype} "
                         f"(not a multiple of its alignment, {dtype.alignment})")
    if (stop - start) % dtype.itemsize:
        raise ValueError(f"{stop - start} bytes is not a whole number of {dtype} items "
                         f"(itemsize {dtype.itemsize})")
    return np.frombuffer(buffer, dtype, (stop - start) // dtype.itemsize, start)


class Array:
    """A growable array of dtype items (or rows of shape), stored in a Buffer.

    append and extend are amortized O(1); np.asarray(a) is a zero-copy view, shape
    (len(a), *shape), that pins the buffer while it lives (growth then raises BufferError
    unless it can happen in place).
    """

    def __init__(self, dtype, shape=(), *, max_size=None):
        self.dtype = np.dtype(dtype)
        self.shape = tuple(operator.index(n) for n in (shape if np.iterable(shape) else (shape,)))
        self._row = self.dtype.itemsize * int(np.prod(self.shape, dtype=np.int64))
        if self._row == 0:
            raise ValueError(f"rows of {self.dtype} and shape {self.shape} have no size")
        self.buffer = Buffer(max_size=max_size)
        if self.shape == () and self.dtype.isnative:
            try:
                writer = NumberWriter(self.buffer, self.dtype.kind, self.dtype.itemsize,
                                      self._append_row)
            except ValueError:  # not a plain int or float type: numpy converts each item
                pass
            else:
                self.append = writer.append  # ints and floats go to the buffer in C

    def __len__(self):
        return len(self.buffer) // self._row

    def _append_row(self, row):
        """Append one item, or one row of the array's shape, converted by numpy."""
        row = np.asarray(row, dtype=self.dtype)
        if row.shape != self.shape:
            raise ValueError(f"row of shape {row.shape} does not match the array's {self.shape}")
        self.buffer += np.ascontiguousarray(row)

    append = _append_row  # an Array of plain numbers gets the C writer's append instead

    def extend(self, rows):
        """Append every row of an iterable or ndarray, with one copy for an ndarray."""
        if self.shape == () and not isinstance(rows, (np.ndarray, list, tuple, Array)):
            rows = np.fromiter(rows, dtype=self.dtype)
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.shape[1:] != self.shape:
            raise ValueError(f"rows of shape {rows.shape[1:]} do not match the array's {self.shape}")
        self.buffer += rows

    def __array__(self, dtype=None, copy=None):
        array = self._ndarray()
        if dtype is not None and np.dtype(dtype) != self.dtype:
            if copy is False:
                raise ValueError(f"cannot view {self.dtype} items as {dtype} without a copy")
            return array.astype(dtype)
        return array.copy() if copy else array

    def _ndarray(self):
        """The zero-copy ndarray, shape (len, *shape)."""
        rows = len(self)
        if rows == 0:
            return np.empty((0, *self.shape), self.dtype)
        items = array_of(self.buffer, self.dtype, 0, rows * self._row)
        return items.reshape((rows, *self.shape))

    def __getitem__(self, index):
        """An item or row, or a copied slice (a copy, so the array stays free to grow)."""
        item = self._ndarray()[index]
        return item.copy() if isinstance(item, np.ndarray) else item

    def __setitem__(self, index, value):
        self._ndarray()[index] = value

    def __iter__(self):
        return iter(self._ndarray().copy())

    def resize(self, rows):
        """Set the number of rows; new rows are zero."""
        self.buffer.resize(operator.index(rows) * self._row)

    def clear(self):
        """Remove every row."""
        self.buffer.resize(0)

    @property
    def nbytes(self):
        """Bytes the rows take."""
        return len(self.buffer)

    def __repr__(self):
        return f"remap.Array({self._ndarray()!r}, shape={self.shape})"
