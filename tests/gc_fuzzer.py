"""A collection at every allocation of every public method: the fuzzer of remap's one rule.

For each public method of each type (enumerated from dir(), so a new method must be given
arguments here before the fuzzer passes), and each mutation of the same object (resize up and
down, clear, close, consume from the front, grow past capacity, initialize again, take or
release an export), it runs the method with a garbage cycle pending whose __del__ performs the
mutation, and a collection forced at the method's n-th allocation, for n = 1..depth. Then:
the result and the bytes left equal what a bytearray (BytesIO) model gives for the method and
the mutation in some order, or for one of them alone if the other raised a clean exception;
every view the method or the mutation left alive reads and writes inside its object. A signal
kills the child the test runs this in.

python tests/gc_fuzzer.py KIND [MUTATION] [--deep] [--sample]: KIND is buffer, large, secret, reserved,
shared, file, bufferio, ring, view, array or streams; --sample forces one collection per method
and mutation instead of one at each allocation; prints one line per finding and "checked N".
"""

import ctypes
import gc
import io
import sys
import zlib

import remap

MiB = 1 << 20
CLEAN = (BufferError, ValueError, IndexError, MemoryError, TypeError, OverflowError, RuntimeError,
         StopIteration, AssertionError, EOFError, TimeoutError, StopAsyncIteration,
         io.UnsupportedOperation)
SEED = bytes(range(48, 122)) * 40  # 2,960 bytes: a heap region, and text to search


class Trap:
    """A garbage cycle whose __del__ runs a mutation once, when a collection finds it."""

    def __init__(self, mutation, log):
        self.mutation, self.log, self.me = mutation, log, self

    def __del__(self):
        mutation, self.mutation = self.mutation, None
        if mutation is None:
            return
        try:
            self.log.append(mutation())
        except CLEAN as error:
            self.log.append(("refused", type(error)))


# -- what a result is, as compared with the model's --

def shape(value):
    """A result as plain data: bytes-likes as bytes, containers of them as lists."""
    if isinstance(value, (remap.Buffer, bytearray, bytes)):
        return ("bytes", bytes(value))
    if isinstance(value, memoryview):
        return ("view", len(value))
    if type(value).__name__ == "ndarray":
        return ("array", value.tobytes())
    if type(value).__module__ == "numpy":  # a numpy scalar
        return value.item()
    if isinstance(value, tuple) and value[:1] in (("view",), ("object",), ("array",)):
        return value  # a model's word for a view or an object
    if isinstance(value, (list, tuple)):
        return ("list", tuple(shape(item) for item in value))
    if isinstance(value, (int, bool, str, float, type(None))):
        return value
    return ("object", type(value).__name__)


def view_span(view):
    """(start, end) addresses of a live memoryview's bytes."""
    if view.nbytes == 0:
        return None
    if view.readonly:
        import numpy as np
        start = np.frombuffer(view, "u1").ctypes.data
    else:
        start = ctypes.addressof(ctypes.c_char.from_buffer(view))
    return start, start + view.nbytes


# -- Buffer: the methods, their arguments, and bytearray's answer --

def buffer_calls():
    """name -> (call on a Buffer, call on the bytearray model, or None: the same call)."""
    same = {
        "append": ((65,), None), "capitalize": ((), None), "center": ((4000,), None),
        "clear": ((), None), "copy": ((), None), "count": ((b"ab",), None),
        "decode": (("latin-1",), None), "endswith": ((b"yz",), None),
        "expandtabs": ((), None), "extend": ((b"tail" * 300,), None), "find": ((b"xyz",), None),
        "hex": ((), None), "index": ((b"0",), None), "insert": ((3, 66), None),
        "isalnum": ((), None), "isalpha": ((), None), "isascii": ((), None),
        "isdigit": ((), None), "islower": ((), None), "isspace": ((), None),
        "istitle": ((), None), "isupper": ((), None), "join": (([b"a", b"b"],), None),
        "ljust": ((4000,), None), "lower": ((), None), "lstrip": ((b"01",), None),
        "partition": ((b"5",), None), "pop": ((), None), "remove": ((50,), None),
        "removeprefix": ((b"01",), None), "removesuffix": ((b"yz",), None),
        "replace": ((b"a", b"AA"),  None), "reverse": ((), None), "rfind": ((b"0",), None),
        "rindex": ((b"0",), None), "rjust": ((4000,), None), "rpartition": ((b"5",), None),
        "rsplit": ((b"9",), None), "rstrip": ((b"y",), None), "split": ((b"9",), None),
        "splitlines": ((), None), "startswith": ((b"01",), None), "strip": ((b"0",), None),
        "swapcase": ((), None), "title": ((), None), "translate": ((None, b"0"), None),
        "upper": ((), None), "zfill": ((4000,), None),
        "__add__": ((b"sum",), None), "__contains__": ((b"xyz",), None),
        "__delitem__": ((slice(1, 9),), None), "__eq__": ((SEED,), None),
        "__ge__": ((b"a",), None), "__getitem__": ((slice(3, 2000),), None),
        "__gt__": ((b"a",), None), "__iadd__": ((b"more" * 1000,), None),
        "__imul__": ((3,), None), "__le__": ((b"a",), None), "__len__": ((), None),
        "__lt__": ((b"a",), None), "__mul__": ((2,), None), "__ne__": ((b"",), None),
        "__rmul__": ((2,), None), "__setitem__": ((slice(2, 7), b"new bytes" * 200), None),
        "__mod__": (((),), None),
    }
    own = {
        "resize": ((5 * MiB,), model_resize),
        "take_bytes": ((100,), model_take_bytes),
        "write_at": ((10, b"written" * 700), model_write_at),
        "reserve": ((3 * MiB,), lambda m, n: None),
        "shrink_to_fit": ((), lambda m: None),
        "writable": ((5000,), lambda m, n: ("view", n)),
        "commit": ((0,), lambda m, n: None),
        "view": ((0, None), lambda m, offset, length: ("object", "View")),
        "pinned": ((), lambda m: ("object", "View")),
        "__bytes__": ((), lambda m: bytes(m)),
        "__iter__": ((), lambda m: ("object", "ByteIterator")),
        "__copy__": ((), lambda m: bytes(m)), "__deepcopy__": (({},), lambda m, memo: bytes(m)),
        "__reduce_ex__": ((2,), lambda m, protocol: (("object", "type"), (bytes(m),), None)),
        "flush": ((), lambda m: None),
    }
    calls = {}
    for name, (args, model) in {**same, **own}.items():
        calls[name] = (args, model)
    return calls


def model_resize(model, n):
    if n > len(model):
        model.extend(bytes(n - len(model)))
    else:
        del model[n:]


def model_take_bytes(model, n):
    taken = bytes(model[:n])
    del model[:n]
    return taken


def model_write_at(model, at, data):
    model.extend(bytes(max(at - len(model), 0)))
    model[at:at + len(data)] = data
    return len(data)


# Methods that take no part: properties, constructors of other objects, the class's own.
BUFFER_SKIP = {"address", "capacity", "closed", "exports", "mapped", "max_size", "protection",
               "fromhex", "maketrans", "asarray", "close", "__enter__", "__exit__", "__init__",
               "__new__", "__repr__", "__str__", "__sizeof__", "__alloc__", "__reduce__",
               "__getstate__", "__format__", "__dir__", "__class__", "__delattr__",
               "__getattribute__", "__setattr__", "__init_subclass__", "__subclasshook__",
               "__hash__", "__radd__", "__rmod__", "__buffer__", "__release_buffer__",
               "__class_getitem__", "fileno", "unlink", "attach", "name"}


def public_methods(cls, skip):
    return sorted(name for name in dir(cls) if callable(getattr(cls, name, None))
                  and name not in skip and (not name.startswith("_") or name.startswith("__")))


def buffer_mutations(obj, keep):
    """name -> a function that mutates obj and returns what the model does for it."""
    def resize_up():  # past any kind's capacity here: a move, or a move to a mapping
        obj.resize(len(obj) + MiB)
        return ("model", lambda m: m.extend(bytes(MiB)))

    def resize_down():
        n = len(obj) // 2
        obj.resize(n)
        return ("model", lambda m: m.__delitem__(slice(n, None)))

    def clear():
        obj.clear()
        return ("model", lambda m: m.clear())

    def close():
        obj.close()
        return ("closed", None)

    def consume():
        del obj[:10]
        return ("model", lambda m: m.__delitem__(slice(None, 10)))

    def past_capacity():
        extra = b"p" * (obj.capacity - len(obj) + 1)
        obj.extend(extra)
        return ("model", lambda m: m.extend(extra))

    def again():  # as a private Buffer, whatever kind it was
        remap.Buffer.__init__(obj, b"fresh" * 30)
        return ("model", lambda m: (m.clear(), m.extend(b"fresh" * 30)))

    def take_export():
        keep.append(memoryview(obj))
        return ("model", lambda m: None)

    def release_export():
        for view in keep:
            view.release()
        return ("model", lambda m: None)

    return {f.__name__: f for f in (resize_up, resize_down, clear, close, consume, past_capacity,
                                    again, take_export, release_export)}


def buffer_factories():
    return {
        "buffer": lambda: remap.Buffer(SEED),
        "large": lambda: remap.Buffer(SEED * 100),
        "secret": lambda: remap.Buffer(SEED, secret=True, strict=False),
        "reserved": lambda: remap.Buffer(SEED, max_size=64 * MiB),
        "shared": lambda: shared_with(SEED),
        "file": file_with_seed,
    }


FILES = []  # a fresh file per round, in a folder of the fuzzer's own


def file_with_seed():
    import os
    import tempfile
    if not FILES:
        FILES.append(tempfile.mkdtemp(prefix="remap-gc-fuzzer-"))
    path = os.path.join(FILES[0], f"{len(FILES)}")
    FILES.append(path)
    if len(FILES) > 2:
        os.unlink(FILES.pop(1))
    buffer = remap.FileBuffer(path, "w+")
    buffer += SEED
    return buffer


def shared_with(data):
    shared = remap.SharedBuffer()
    shared += data
    return shared


class Kind:
    """What the fuzzer needs of a type: objects, their model, calls, mutations and state."""

    def __init__(self, make, calls, skip, mutations, model, state, model_state, memory):
        self.make, self.calls, self.skip, self.mutations = make, calls, skip, mutations
        self.model, self.state, self.model_state, self.memory = model, state, model_state, memory


def buffer_state(obj):
    try:
        return "closed" if obj.closed else bytes(obj)
    except ValueError:
        return "closed"


def buffer_memory(obj):
    """(start, end) of the object's memory now, or None if it has none."""
    try:
        return None if obj.closed else (obj.address, obj.address + obj.capacity)
    except ValueError:
        return None


def buffer_kind(make):
    return Kind(make, buffer_calls(), BUFFER_SKIP, buffer_mutations,
                lambda obj: bytearray(bytes(obj)), buffer_state, bytes, buffer_memory)


# -- BufferIO: the methods, their arguments, and BytesIO's answer --

BUFFERIO_SKIP = {"closed", "close", "detach", "fileno", "__enter__", "__exit__",
                 "__init__", "__new__", "__repr__", "__str__", "__sizeof__", "__reduce__",
                 "__reduce_ex__", "__format__", "__dir__", "__class__", "__delattr__",
                 "__getattribute__", "__setattr__", "__init_subclass__", "__subclasshook__",
                 "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
                 "__setstate__", "__getstate__", "__class_getitem__"}


def bufferio_calls():
    target = lambda: bytearray(700)  # noqa: E731 - a fresh one per call
    return {
        "read": ((1000,), None), "read1": ((1000,), None), "readline": ((), None),
        "readlines": ((), None), "readinto": ((bytearray(700),), lambda m, b: m.readinto(target())),
        "readinto1": ((bytearray(700),), lambda m, b: m.readinto1(target())),
        "seek": ((5000,), None), "tell": ((), None), "truncate": ((100,), None),
        "write": ((b"written" * 600,), None), "writelines": (([b"a" * 3000, b"b"],), None),
        "getvalue": ((), None), "getbuffer": ((), lambda m: ("view", len(m.getvalue()))),
        "as_buffer": ((), lambda m: m.getvalue()),
        "flush": ((), None), "isatty": ((), None), "readable": ((), None),
        "writable": ((), None), "seekable": ((), None), "_checkClosed": ((), None),
        "_checkReadable": ((), None), "_checkWritable": ((), None), "_checkSeekable": ((), None),
        "__next__": ((), None), "__iter__": ((), lambda m: ("object", "BufferIO")),
    }


def bufferio_mutations(obj, keep):
    """name -> a function that mutates a file and returns what the model does for it."""
    def grow():
        data, position = b"g" * (3 * MiB), obj.tell()
        obj.seek(0, 2)
        try:
            obj.write(data)
        except BufferError:  # refused while exported: the position goes back
            obj.seek(position)
            raise
        return ("model", lambda m: (m.seek(0, 2), m.write(data)))

    def truncate():
        obj.truncate(10)
        return ("model", lambda m: m.truncate(10))

    def close():
        obj.close()
        return ("closed", None)

    def seek():
        obj.seek(3)
        return ("model", lambda m: m.seek(3))

    def again():
        obj.__init__(b"fresh" * 30)
        return ("model", lambda m: (m.seek(0), m.truncate(0), m.write(b"fresh" * 30), m.seek(0)))

    def take_export():
        keep.append(obj.getbuffer())
        return ("model", lambda m: None)

    def release_export():
        for view in keep:
            view.release()
        return ("model", lambda m: None)

    def resize_buffer():
        obj.as_buffer().resize(len(obj.as_buffer()) + 3 * MiB)
        return ("model", lambda m: append_zeros(m, 3 * MiB))

    return {f.__name__: f for f in (grow, truncate, close, seek, again, take_export,
                                    release_export, resize_buffer)}


def append_zeros(model, n):
    """Grow a BytesIO model by n zero bytes at the end, its position kept."""
    position = model.tell()
    model.seek(0, 2)
    model.write(bytes(n))
    model.seek(position)


def file_copy(file):
    """A BytesIO with file's bytes, at its position."""
    model = io.BytesIO(file.getvalue())
    model.seek(file.tell())
    return model


def file_state(file):
    try:
        return "closed" if file.closed else (file.getvalue(), file.tell())
    except ValueError:
        return "closed"


def file_memory(file):
    try:
        return None if file.closed else buffer_memory(file.as_buffer())
    except ValueError:
        return None


def bufferio_kind():
    def make():
        file = remap.BufferIO()
        file.write(SEED)
        file.seek(7)
        return file
    return Kind(make, bufferio_calls(), BUFFERIO_SKIP, bufferio_mutations, file_copy, file_state,
                lambda m: (m.getvalue(), m.tell()), file_memory)


# -- Ring: the methods, their arguments, and a queue's answer --

RING_SKIP = {"capacity", "free", "closed", "close", "fileno", "shared", "attach", "__enter__",
             "__exit__", "__init__", "__new__", "__repr__", "__str__", "__sizeof__", "__reduce__",
             "__format__", "__dir__", "__class__", "__delattr__", "__getattribute__",
             "__setattr__", "__init_subclass__", "__subclasshook__", "__eq__", "__ne__", "__lt__",
             "__le__", "__gt__", "__ge__", "__hash__", "__getstate__", "__class_getitem__",
             "_adopt_descriptor"}


class RingModel:
    """A growing ring as a plain queue of bytes."""

    def __init__(self, data):
        self.data = bytearray(data)

    def write(self, data):
        self.data += data
        return len(data)

    def peek(self, n=-1):
        return bytes(self.data if n < 0 else self.data[:n])

    def read(self, n=-1):
        taken = self.peek(n)
        del self.data[:len(taken)]
        return taken

    def consume(self, n):
        if n > len(self.data):
            raise ValueError("more than readable")
        del self.data[:n]

    def __len__(self):
        return len(self.data)


def ring_calls():
    return {
        "write": ((b"w" * 7000,), None), "peek": ((100,), None), "read": ((100,), None),
        "consume": ((10,), None), "commit": ((0,), lambda m, n: None),
        "readable": ((), lambda m: ("view", len(m))), "writable": ((), lambda m: ("view", -1)),
        "__len__": ((), None), "__bool__": ((), lambda m: bool(len(m))),
        "__reduce_ex__": ((2,), lambda m, protocol: (_ for _ in ()).throw(TypeError())),
    }


def ring_mutations(obj, keep):
    def write_past_capacity():
        data = b"m" * (obj.free + 1)
        obj.write(data)
        return ("model", lambda m: m.write(data))

    def consume_all():
        n = len(obj)
        obj.consume(n)
        return ("model", lambda m: m.consume(n))

    def close():
        obj.close()
        return ("closed", None)

    def again():
        obj.__init__(4096, when_full="grow")
        return ("model", lambda m: m.data.clear())

    def take_export():
        keep.append(obj.readable())
        return ("model", lambda m: None)

    def release_export():
        for view in keep:
            view.release()
        return ("model", lambda m: None)

    return {f.__name__: f for f in (write_past_capacity, consume_all, close, again, take_export,
                                    release_export)}


def ring_state(ring):
    return "closed" if ring.closed else ring.peek()


def ring_kind():
    def make():
        ring = remap.Ring(8192, when_full="grow")
        ring.write(SEED)
        return ring
    return Kind(make, ring_calls(), RING_SKIP, ring_mutations,
                lambda ring: RingModel(ring.peek() if isinstance(ring, remap.Ring) else ring.data),
                ring_state, lambda m: bytes(m.data), None)


# -- View: an (offset, length) window, against the same window of a bytearray --

VIEW_OFFSET, VIEW_LENGTH = 5, 2000
VIEW_SKIP = {"buffer", "offset", "length", "__exit__", "__init__", "__new__", "__repr__",
             "__str__", "__sizeof__", "__reduce__", "__reduce_ex__", "__format__", "__dir__",
             "__class__", "__delattr__", "__getattribute__", "__setattr__", "__init_subclass__",
             "__subclasshook__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
             "__getstate__", "__class_getitem__"}


def window(model):
    """The view's (start, stop) in the model, as View.span: IndexError outside it."""
    stop = VIEW_OFFSET + VIEW_LENGTH
    if stop > len(model):
        raise IndexError("outside")
    return VIEW_OFFSET, stop


def model_view_item(model, key):
    start, stop = window(model)
    return bytes(model[start:stop][key])


def model_view_store(model, key, value):
    start, stop = window(model)
    part = model[start:stop]
    part[key] = value
    model[start:stop] = part


def view_calls():
    return {
        "span": ((), lambda m: window(m)), "__len__": ((), lambda m: len(range(*window(m)))),
        "__getitem__": ((slice(3, 100),), model_view_item),
        "__setitem__": ((slice(0, 4), b"abcd"), model_view_store),
        "tobytes": ((), lambda m: model_view_item(m, slice(None))),
        "__bytes__": ((), lambda m: model_view_item(m, slice(None))),
        "__eq__": ((SEED[5:2005],), lambda m, other: model_view_item(m, slice(None)) == other),
        "view": ((1, 10), lambda m, offset, length: ("object", "View")),
        "asarray": ((), lambda m: ("array", model_view_item(m, slice(None)))),
        "__enter__": ((), lambda m: (window(m), ("view", VIEW_LENGTH))[1]),
    }


def view_kind():
    buffers = buffer_kind(lambda: remap.Buffer(SEED))
    return Kind(lambda: remap.Buffer(SEED).view(VIEW_OFFSET, VIEW_LENGTH), view_calls(),
                VIEW_SKIP, lambda view, keep: buffer_mutations(view and view.buffer, keep),
                lambda view: bytearray(bytes(view.buffer if hasattr(view, "buffer") else view)),
                lambda view: buffer_state(view.buffer), bytes,
                lambda view: buffers.memory(view.buffer))


# -- Array: rows of float64 in a Buffer, against the same bytes in a bytearray --

ARRAY_SKIP = {"buffer", "dtype", "shape", "nbytes", "__init__", "__new__", "__repr__", "__str__",
              "__sizeof__", "__reduce__", "__reduce_ex__", "__format__", "__dir__", "__class__",
              "__delattr__", "__getattribute__", "__setattr__", "__init_subclass__",
              "__subclasshook__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
              "__hash__", "__getstate__", "__class_getitem__", "_append_row", "_ndarray"}


def rows(model):
    import numpy as np
    return np.frombuffer(bytes(model[:len(model) // 8 * 8]), "f8").copy()


def model_array_store(model, index, value):
    items = rows(model)
    items[index] = value
    model[:len(items) * 8] = items.tobytes()


def array_calls():
    import numpy as np
    return {
        "append": ((1.5,), lambda m, v: m.extend(np.float64(v).tobytes())),
        "extend": (([1.0, 2.0],), lambda m, v: m.extend(np.array(v, "f8").tobytes())),
        "__getitem__": ((slice(2, 50),), lambda m, index: rows(m)[index]),
        "__setitem__": ((3, 9.0), model_array_store),
        "__iter__": ((), lambda m: ("object", "iterator")),
        "resize": ((1000,), lambda m, n: model_resize(m, n * 8)),
        "clear": ((), lambda m: m.clear()),
        "__len__": ((), lambda m: len(m) // 8),
        "__array__": ((), rows),
    }


def array_kind():
    import numpy as np

    def make():
        array = remap.Array("f8")
        array.extend(np.arange(400.0))
        return array
    return Kind(make, array_calls(), ARRAY_SKIP,
                lambda array, keep: buffer_mutations(array and array.buffer, keep),
                lambda array: bytearray(bytes(array.buffer if hasattr(array, "buffer") else array)),
                lambda array: buffer_state(array.buffer), bytes,
                lambda array: buffer_memory(array.buffer))


# -- remap.streams.StreamReader: against asyncio's own StreamReader --

STREAM_DATA = b"".join(b"line %04d\n" % i for i in range(300))
STREAMS_SKIP = {"set_transport", "__aiter__", "__init__", "__new__", "__repr__", "__str__",
                "__sizeof__", "__reduce__", "__reduce_ex__", "__format__", "__dir__",
                "__class__", "__delattr__", "__getattribute__", "__setattr__",
                "__init_subclass__", "__subclasshook__", "__eq__", "__ne__", "__lt__", "__le__",
                "__gt__", "__ge__", "__hash__", "__getstate__", "__class_getitem__",
                "__del__", "__weakref__", "__dict__", "__module__", "__doc__"}


class SyncReader:
    """A stream reader whose coroutines run to completion on its own loop, so the fuzzer can
    call each method as a plain function."""

    def __init__(self, reader, loop):
        self.reader, self.loop = reader, loop

    def run(self, coroutine):
        import asyncio
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, 1))

    def __getattr__(self, name):
        import inspect
        method = getattr(self.reader, name)
        if inspect.iscoroutinefunction(method):
            return lambda *args: self.run(method(*args))
        return method

    def __anext__(self):
        return self.run(self.reader.__anext__())

    def read_view(self, n):
        async def read():
            async with self.reader.read_view(n) as view:
                return bytes(view)
        return self.run(read())

    def spare(self, n):  # and received: the transport's receive, as one call
        view = self.reader.spare(n)
        view[:5] = b"spare"
        view.release()
        self.reader.received(5)


def new_reader(module):
    import asyncio
    loop = asyncio.new_event_loop()
    reader = module.StreamReader(loop=loop)
    reader.feed_data(STREAM_DATA)
    return SyncReader(reader, loop)


def streams_calls():
    return {
        "at_eof": ((), None), "exception": ((), None), "feed_data": ((b"fed\n" * 900,), None),
        "feed_eof": ((), None), "read": ((100,), None), "readexactly": ((37,), None),
        "readline": ((), None), "readuntil": ((b"9\n",), None),
        "set_exception": ((ValueError("set"),), lambda m, error: m.set_exception(error)),
        "read_view": ((25,), lambda m, n: m.readexactly(n)),
        "spare": ((100,), lambda m, n: m.feed_data(b"spare")),
        "received": ((0,), lambda m, n: None),
        "__anext__": ((), None),
    }


def streams_mutations(sync, keep):
    reader = sync.reader if sync is not None else None

    def feed():
        reader.feed_data(b"more\n" * 700)
        return ("model", lambda m: m.feed_data(b"more\n" * 700))

    def take():
        reader._buffer.take_bytes(10)
        return ("model", lambda m: m.reader._buffer.__delitem__(slice(None, 10)))

    def eof():
        reader.feed_eof()
        return ("model", lambda m: m.feed_eof())

    def take_export():
        keep.append(memoryview(reader._buffer))
        return ("model", lambda m: None)

    def release_export():
        for view in keep:
            view.release()
        return ("model", lambda m: None)

    return {f.__name__: f for f in (feed, take, eof, take_export, release_export)}


def reader_state(sync):
    return bytes(sync.reader._buffer), sync.reader.at_eof(), repr(sync.reader.exception())


def streams_kind():
    import asyncio
    import remap.streams

    def model(sync):
        fresh = new_reader(asyncio)
        fresh.reader._buffer[:] = bytes(sync.reader._buffer)
        return fresh
    kind = Kind(lambda: new_reader(remap.streams), streams_calls(), STREAMS_SKIP,
                streams_mutations, model, reader_state, reader_state,
                lambda sync: buffer_memory(sync.reader._buffer))
    kind.methods_of = remap.streams.StreamReader
    return kind


def run_model(kind, start, call, args, mutation_ops, method_first):
    """(result shape, final state) of the method and the mutation in one order."""
    model = kind.model(start)
    result, closed = None, False
    for step in ("method", "mutation") if method_first else ("mutation", "method"):
        if step == "mutation" and mutation_ops is not None:
            what, op = mutation_ops
            if what == "closed":
                closed = True
            else:
                try:
                    op(model)
                except CLEAN:  # what the mutation did cannot follow the method: not this order
                    return None
        elif step == "method":
            if closed:
                return ("raised", ValueError), "closed"
            try:
                result = shape(call(model, *args))
            except CLEAN as error:
                result = ("raised", type(error))
    return result, "closed" if closed else kind.model_state(model)


def check_views(kind, obj, views, findings):
    """Every live view reads and writes inside its object's current memory."""
    for view in views:
        if not isinstance(view, memoryview):
            continue
        try:
            span = view_span(view)
        except ValueError:  # released
            continue
        memory = kind.memory(obj) if kind.memory else "unknown"  # a Ring shows no address
        if span and memory != "unknown" and (
                memory is None or not memory[0] <= span[0] <= span[1] <= memory[1]):
            findings.append(f"a live view at {span} lies outside the object's memory {memory}")
            continue
        if span and not view.readonly:
            view[0] = view[0]
            view[-1] = view[-1]


def fuzz(name_of_kind, kind, mutation_names, depth, sample=False):
    """Run every method with every mutation at allocations 1..depth (sample: at one of them,
    the same one every run, for slow builds such as ASan's); return (findings, rounds)."""
    findings, checked = [], 0
    methods = public_methods(getattr(kind, "methods_of", None) or type(kind.make()), kind.skip)
    for name in methods:
        if name not in kind.calls:
            findings.append(f"{name}: a public method the fuzzer has no arguments for")
    for name in methods:
        if name not in kind.calls:
            continue
        args, model_call = kind.calls[name]
        model = model_call or (lambda m, *a, name=name: getattr(m, name)(*a))
        print(f"fuzzing {name_of_kind}.{name}", file=sys.stderr, flush=True)  # a crash's last words
        for mutation in mutation_names:
            chosen = zlib.crc32(f"{name} {mutation}".encode()) % depth + 1
            for n in (chosen,) if sample else range(1, depth + 1):
                checked += 1
                finding = one_round(kind, name, args, model, mutation, n)
                if finding:
                    findings.append(f"{name_of_kind}.{name} with {mutation} at allocation {n}: "
                                    f"{finding}")
                    break
    return findings, checked


def one_round(kind, name, args, model, mutation, n):
    """One method call with mutation at the n-th allocation; a finding, or None."""
    obj = kind.make()
    keep, log, views = [], [], []
    if mutation == "release_export":
        keep.append(exported(obj))
    start = kind.model(obj)
    mutations = kind.mutations(obj, keep)
    gc.collect(0)  # the youngest generation is where the trap goes, and its count starts at 0
    Trap(mutations[mutation], log)
    threshold = gc.get_threshold()
    gc.set_threshold(gc.get_count()[0] + n)
    try:
        result = getattr(obj, name)(*args)
        outcome = shape(result)
        views.append(result)
    except CLEAN as error:
        outcome, result = ("raised", type(error)), None
    finally:
        gc.set_threshold(*threshold)
    gc.collect(0)  # the trap fires now if the method made no n-th allocation
    fired = log[0] if log else ("refused", None)
    ops = None if fired[0] == "refused" else fired
    final = kind.state(obj)
    expected = [run_model(kind, start, model, args, ops, True)]
    if ops:
        expected.append(run_model(kind, start, model, args, ops, False))
    if raised(outcome):  # a clean exception: then only the mutation, or nothing, happened
        alone = run_model(kind, start, lambda m: None, (), ops, True)
        expected.append(alone and (outcome, alone[1]))
    expected = [option for option in expected if option is not None]
    actual = (outcome, final)
    check_views(kind, obj, views + keep, findings := [])
    for view in keep:
        view.release()
    if findings:
        return findings[0]
    if not any(actual == option or options_match(actual, option) for option in expected):
        return f"outcome {brief(actual)} is none of {[brief(e) for e in expected]}"
    return None


def exported(obj):
    """A memoryview of obj's bytes (a file's: its buffer's)."""
    if isinstance(obj, remap.Ring):
        return obj.readable()
    if isinstance(obj, (remap.View, remap.Array)):
        return memoryview(obj.buffer)
    if isinstance(obj, SyncReader):
        return memoryview(obj.reader._buffer)
    return obj.getbuffer() if isinstance(obj, remap.BufferIO) else memoryview(obj)


def raised(outcome):
    return isinstance(outcome, tuple) and outcome[:1] == ("raised",)


def options_match(actual, option):
    """A view's or an object's result stands for itself: its kind is what is compared."""
    (outcome, final), (want, want_final) = actual, option
    kinds = (("view",), ("object",))
    return (final == want_final and isinstance(outcome, tuple) and isinstance(want, tuple)
            and outcome[:1] in kinds and outcome[:1] == want[:1])


def brief(value):
    text = repr(value)
    return text if len(text) < 160 else text[:150] + "...]"


def main(argv):
    deep = "--deep" in argv
    words = [word for word in argv if not word.startswith("--")]
    kind = words[0]
    depth = 12 if deep else 4
    kinds = {name: (lambda make=make: buffer_kind(make))
             for name, make in buffer_factories().items()}
    kinds.update(bufferio=bufferio_kind, ring=ring_kind, view=view_kind, array=array_kind,
                 streams=streams_kind)  # made lazily: numpy and asyncio slow every collection
    chosen = kinds[kind]()
    names = list(chosen.mutations(None, []))
    mutation_names = [words[1]] if len(words) > 1 else names
    findings, checked = fuzz(kind, chosen, mutation_names, depth, "--sample" in argv)
    for finding in findings:
        print(finding, flush=True)
    print(f"checked {checked}")


if __name__ == "__main__":
    main(sys.argv[1:])
