"""numpy over a Buffer: zero-copy arrays of its bytes, and Array, a growable typed array."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import Any, SupportsIndex

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from remap._core import Buffer, NumberWriter


def asarray(buffer: Buffer, dtype: DTypeLike = "u1", offset: SupportsIndex = 0,
            count: SupportsIndex = -1) -> NDArray[Any]:
    """A zero-copy ndarray of count items (-1: all) of dtype from byte offset; it pins the buffer."""
    kind, start, items = np.dtype(dtype), operator.index(offset), operator.index(count)
    stop = len(buffer) if items < 0 else start + items * kind.itemsize
    return array_of(buffer, kind, start, stop)


def array_of(buffer: Buffer, dtype: DTypeLike, start: int, stop: int) -> NDArray[Any]:
    """An ndarray of dtype over buffer[start:stop]; ValueError if the range does not fit dtype."""
    kind, size = np.dtype(dtype), len(buffer)
    if not 0 <= start <= stop <= size:
        raise ValueError(f"bytes [{start}:{stop}] are outside the buffer [0:{size}]")
    if kind.itemsize == 0:
        raise ValueError(f"{kind} has no size")
    if start % kind.alignment:
        raise ValueError(f"offset {start} is misaligned for {kind} "
                         f"(not a multiple of its alignment, {kind.alignment})")
    if (stop - start) % kind.itemsize:
        raise ValueError(f"{stop - start} bytes is not a whole number of {kind} items "
                         f"(itemsize {kind.itemsize})")
    count = (stop - start) // kind.itemsize
    array: NDArray[Any] = np.frombuffer(buffer, kind, count, start)  # type: ignore[call-overload]
    return array


class Array:
    """A growable array of dtype items (or rows of shape), stored in a Buffer.

    append and extend are amortized O(1); np.asarray(a) is a zero-copy view, shape
    (len(a), *shape), that pins the buffer while it lives (growth then raises BufferError
    unless it can happen in place). append's C path is NumberWriter (fast/array.pxi).
    """

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    buffer: Buffer

    def __init__(self, dtype: DTypeLike, shape: SupportsIndex | Iterable[SupportsIndex] = (), *,
                 max_size: SupportsIndex | None = None) -> None:
        self.dtype = np.dtype(dtype)
        dims = shape if np.iterable(shape) else (shape,)
        self.shape = tuple(operator.index(n) for n in dims)
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
                self.append = writer.append  # type: ignore[method-assign,assignment]  # in C

    def __len__(self) -> int:
        return len(self.buffer) // self._row

    def _append_row(self, row: ArrayLike) -> None:
        """Append one item, or one row of the array's shape, converted by numpy."""
        item = np.asarray(row, dtype=self.dtype)
        if item.shape != self.shape:
            raise ValueError(f"row of shape {item.shape} does not match the array's {self.shape}")
        self.buffer += np.ascontiguousarray(item)  # type: ignore[arg-type]  # bytes-like

    append = _append_row  # an Array of plain numbers gets the C writer's append instead

    def extend(self, rows: ArrayLike | Iterable[Any]) -> None:
        """Append every row of an iterable or ndarray, with one copy for an ndarray."""
        if self.shape == () and not isinstance(rows, (np.ndarray, list, tuple, Array)):
            rows = np.fromiter(rows, dtype=self.dtype)  # type: ignore[arg-type]  # an iterable
        items = np.ascontiguousarray(rows, dtype=self.dtype)
        if items.shape[1:] != self.shape:
            raise ValueError(f"rows of shape {items.shape[1:]} do not match the array's {self.shape}")
        self.buffer += items  # type: ignore[arg-type]  # bytes-like on 3.12+ only, to numpy

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> NDArray[Any]:
        array = self._ndarray()
        if dtype is not None and np.dtype(dtype) != self.dtype:
            if copy is False:
                raise ValueError(f"cannot view {self.dtype} items as {dtype} without a copy")
            return array.astype(dtype)
        return array.copy() if copy else array

    def _ndarray(self) -> NDArray[Any]:
        """The zero-copy ndarray, shape (len, *shape)."""
        rows = len(self)
        if rows == 0:
            return np.empty((0, *self.shape), self.dtype)
        items = array_of(self.buffer, self.dtype, 0, rows * self._row)
        return items.reshape((rows, *self.shape))

    def __getitem__(self, index: Any) -> Any:
        """An item or row, or a copied slice (a copy, so the array stays free to grow)."""
        item = self._ndarray()[index]
        return item.copy() if isinstance(item, np.ndarray) else item

    def __setitem__(self, index: Any, value: Any) -> None:
        self._ndarray()[index] = value

    def __iter__(self) -> Iterator[Any]:
        return iter(self._ndarray().copy())

    def resize(self, rows: SupportsIndex) -> None:
        """Set the number of rows; new rows are zero."""
        self.buffer.resize(operator.index(rows) * self._row)

    def clear(self) -> None:
        """Remove every row."""
        self.buffer.resize(0)

    @property
    def nbytes(self) -> int:
        """Bytes the rows take."""
        return len(self.buffer)

    def __repr__(self) -> str:
        return f"remap.Array({self._ndarray()!r}, shape={self.shape})"
