"""remap.streams.StreamReader against asyncio.StreamReader, step by step: the same bytes fed to
both, the same reads on both, the same results, exceptions and bytes left over.

The reader's own paths (a line or separator already received, a message already complete) are
taken without asyncio's code; whatever they return, raise or leave behind must be what asyncio's
reader gives, including for a read that has to wait and is cancelled.
"""

import asyncio
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import remap.streams

SEPARATORS = [b"\n", b"|", b"||", b"ab", b"\n\n"]
if sys.version_info >= (3, 13):
    SEPARATORS.append((b"|", b"\n"))  # 3.13's tuple of separators: asyncio's own code reads it

alphabet = st.sampled_from([b"a", b"b", b"|", b"\n", b"x" * 7])
chunks = st.lists(alphabet, max_size=12).map(b"".join)
reads = st.one_of(
    st.just(("readline",)),
    st.tuples(st.just("readuntil"), st.sampled_from(SEPARATORS)),
    st.tuples(st.just("readexactly"), st.integers(0, 12)),
    st.tuples(st.just("read"), st.integers(-1, 12)),
)
steps = st.lists(st.one_of(st.tuples(st.just("feed"), chunks), st.just(("eof",)),
                           st.just(("exception",)), reads), max_size=25)


def outcome(call):
    """What a finished read gave: ("ok", value) or the exception's type and what it carries."""
    try:
        return ("ok", call.result())
    except asyncio.IncompleteReadError as error:
        return ("incomplete", error.partial, error.expected)
    except asyncio.LimitOverrunError as error:
        return ("overrun", error.consumed, str(error))
    except Exception as error:  # noqa: BLE001 - compared by type and message
        return (type(error).__name__, str(error))


async def step(reader, action):
    """Do one step on reader; a read that would wait is cancelled after the loop turns twice."""
    name, *args = action
    if name == "feed":
        if not reader.at_eof() and not reader._eof:  # feeding after EOF is asyncio's assertion
            reader.feed_data(args[0])
        return None
    if name == "eof":
        reader.feed_eof()
        return None
    if name == "exception":
        reader.set_exception(ValueError("peer went away"))
        return None
    task = asyncio.ensure_future(getattr(reader, name)(*args))
    for _ in range(2):
        await asyncio.sleep(0)
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return ("waits",)
    return outcome(task)


async def run_both(actions, limit):
    """The outcome of every step on asyncio's reader and on remap's, and what each has left."""
    ours = remap.streams.StreamReader(limit=limit)
    theirs = asyncio.StreamReader(limit=limit)
    results = []
    for action in actions:
        results.append((action, await step(theirs, action), await step(ours, action)))
    return results, bytes(theirs._buffer), bytes(ours._buffer)


@settings(max_examples=300, deadline=None)
@given(steps, st.sampled_from([3, 8, 64]))
def test_every_read_gives_what_asyncios_reader_gives(actions, limit):
    results, theirs_left, ours_left = asyncio.run(run_both(actions, limit))
    for action, theirs, ours in results:
        assert ours == theirs, action
    assert ours_left == theirs_left


@pytest.mark.parametrize("size", [7, 8, 9])
def test_a_line_at_the_limit_is_read_and_one_past_it_overruns(size):
    """The separator's index may equal the limit (asyncio's rule); one more is an overrun."""
    data = b"x" * size + b"\n" + b"next\n"

    async def read_lines(reader_class):
        reader = reader_class(limit=8)
        reader.feed_data(data)
        try:
            first = await reader.readline()
        except ValueError as error:
            first = str(error)
        return first, await reader.readline(), bytes(reader._buffer)

    assert asyncio.run(read_lines(remap.streams.StreamReader)) == asyncio.run(
        read_lines(asyncio.StreamReader))
