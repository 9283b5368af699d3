"""Tests of remap as a numpy memory source: asarray, View.asarray and the growable Array."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import remap

MiB = 1 << 20
DTYPES = ["u1", "i2", "<u4", ">i4", "f4", "f8", "c16", "?", "i8"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_asarray_round_trip_shares_memory(dtype):
    values = np.arange(24).astype(dtype)
    buf = remap.Buffer(values.tobytes())
    array = buf.asarray(dtype)
    assert np.array_equal(array, values) and np.shares_memory(array, buf.asarray())
    array[1] = values[2]
    assert np.frombuffer(bytes(buf), dtype)[1] == values[2]
    buf[0:1]  # noqa: B018 - reading does not disturb the array
    assert buf.exports >= 1
    del array
    assert buf.exports == 0


def test_asarray_offset_and_count():
    buf = remap.Buffer(np.arange(10, dtype="f8").tobytes())
    assert buf.asarray("f8", 16, 3).tolist() == [2.0, 3.0, 4.0]
    assert buf.asarray("f8", 8 * 10).size == 0


@pytest.mark.parametrize("args, message", [
    (("f8", 3), "misaligned"), (("f8", 0, 11), "outside"), (("f4", 4, -1), None),
    (("i4", 0), None), (("f8", 100), "outside"),
])
def test_asarray_refuses_ranges_that_do_not_fit(args, message):
    buf = remap.Buffer(80 + 2)
    if message is None:
        with pytest.raises(ValueError, match="whole number|misaligned"):
            buf.asarray(*args)
    else:
        with pytest.raises(ValueError, match=message):
            buf.asarray(*args)


def test_asarray_pins_except_in_max_size_mode():
    buf = remap.Buffer(64)
    array = buf.asarray("f8")
    with pytest.raises(BufferError):
        buf.resize(64 * MiB)
    del array
    grows = remap.Buffer(64, max_size=256 * MiB)
    array = grows.asarray("f8")
    array[:] = 7
    grows.resize(200 * MiB)
    assert array.tolist() == [7.0] * 8 and grows.asarray("f8", 0, 8).tolist() == [7.0] * 8


def test_view_asarray_follows_the_view():
    buf = remap.Buffer(np.arange(8, dtype="i4").tobytes())
    view = buf.view(8, 12)
    assert view.asarray("i4").tolist() == [2, 3, 4]
    assert buf.view(1).asarray().tolist() == list(buf[1:])
    with pytest.raises(ValueError, match="misaligned"):
        buf.view(2, 8).asarray("i4")


def test_array_of_scalars_builds_like_a_list():
    array = remap.Array("f8")
    for value in range(1000):
        array.append(value * 0.5)
    array.extend(np.arange(3.0))
    array.extend(x for x in (9.0, 10.0))
    array.extend([11.0])
    expected = [v * 0.5 for v in range(1000)] + [0.0, 1.0, 2.0, 9.0, 10.0, 11.0]
    assert len(array) == len(expected) and np.asarray(array).tolist() == expected
    assert array[3] == 1.5 and array[-1] == 11.0 and array[:2].tolist() == [0.0, 0.5]
    array[0] = 42
    assert array[0] == 42.0 and list(array)[0] == 42.0


def test_array_rows_of_a_fixed_shape():
    rows = remap.Array("f4", shape=(3,))
    rows.append([1, 2, 3])
    rows.extend(np.ones((4, 3)))
    view = np.asarray(rows)
    assert view.shape == (5, 3) and view.dtype == np.float32 and view[0].tolist() == [1, 2, 3]
    assert np.shares_memory(view, rows.buffer.asarray())
    with pytest.raises(ValueError, match="shape"):
        rows.append([1, 2])
    with pytest.raises(ValueError, match="shape"):
        rows.extend(np.ones((2, 4)))
    del view
    rows.resize(2)
    assert np.asarray(rows).tolist() == [[1, 2, 3], [1, 1, 1]]
    rows.resize(3)
    assert np.asarray(rows)[2].tolist() == [0, 0, 0]
    rows.clear()
    assert len(rows) == 0 and np.asarray(rows).shape == (0, 3)


def test_array_growth_never_moves_stored_rows_by_copy():
    array = remap.Array("i8")
    array.extend(np.arange(1 << 20))
    capacity, address = array.buffer.capacity, array.buffer.address
    while array.buffer.capacity == capacity:
        array.append(1)
    assert array.buffer.mapped and np.asarray(array)[: 1 << 20].tolist() == list(range(1 << 20))
    assert address != 0


def test_array_asarray_dtype_and_copy():
    array = remap.Array("i4")
    array.extend([1, 2])
    assert np.asarray(array, dtype="f8").tolist() == [1.0, 2.0]
    assert not np.shares_memory(np.array(array, copy=True), array.buffer.asarray())
    with pytest.raises(ValueError):
        np.asarray(array, dtype="f8", copy=False)


@pytest.mark.parametrize("dtype, values", [
    ("u1", [0, 255]), ("i2", [-5, 300]), ("?", [True, False]), ("f2", [0.5, 1.5]),
    ("c8", [1 + 2j]), ("M8[s]", [np.datetime64(0, "s")]), ("U3", ["abc"]), (">f8", [1.5]),
])
def test_array_append_any_dtype(dtype, values):
    array = remap.Array(dtype)
    for value in values:
        array.append(value)
    assert np.array_equal(np.asarray(array), np.array(values, dtype=dtype))


def test_array_append_refuses_bad_values():
    array = remap.Array("u1")
    with pytest.raises((ValueError, OverflowError, TypeError)):
        array.append("x")
    with pytest.raises((OverflowError, ValueError)):
        array.append(300)
    assert len(array) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(-2**31, 2**31 - 1)),
    st.tuples(st.just("extend"), st.lists(st.integers(-2**31, 2**31 - 1), max_size=50)),
    st.tuples(st.just("resize"), st.integers(0, 200)),
    st.tuples(st.just("clear"), st.none()),
)))
def test_array_matches_a_list_model(operations):
    array, model = remap.Array("i4"), []
    for name, argument in operations:
        if name == "append":
            array.append(argument)
            model.append(argument)
        elif name == "extend":
            array.extend(argument)
            model.extend(argument)
        elif name == "resize":
            array.resize(argument)
            model[:] = (model + [0] * argument)[:argument]
        else:
            array.clear()
            model.clear()
        assert len(array) == len(model)
    assert np.asarray(array).tolist() == model


NUMBERS = [0, -1, 1, 127, 128, 255, 256, -129, 2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1, 2 ** 63, -2 ** 63,
           2 ** 64, -2 ** 64, 1.5, -0.0, 3e38, 1e39, float("inf"), float("nan"), True, 10 ** 400]


def stored(dtype, value, append):
    """The bytes append(value) stored, or the type of what it raised."""
    try:
        return append(dtype, value)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error)


@pytest.mark.parametrize("dtype", ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"])
def test_array_append_converts_numbers_as_numpy_does(dtype):
    def by_array(dtype, value):
        array = remap.Array(dtype)
        array.append(value)
        return bytes(array.buffer)

    def by_numpy(dtype, value):
        return np.asarray(value, dtype=dtype).tobytes()

    for value in NUMBERS:
        assert stored(dtype, value, by_array) == stored(dtype, value, by_numpy), value


def test_array_shape_forms():
    assert remap.Array("f4", 3).shape == (3,) and remap.Array("f4", [2, 2]).shape == (2, 2)
    assert remap.Array("f4", np.int64(2)).shape == (2,)
    with pytest.raises(TypeError):
        remap.Array("f4", 1.5)
