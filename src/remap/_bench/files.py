"""BufferIO's read side against io.BytesIO, as parsers and archive readers use a file in memory."""

import csv
import io
import pickle
import shutil
import time
import zipfile

from remap._io import BufferIO

KiB, MiB = 1 << 10, 1 << 20
LINES = (b"x" * 63 + b"\n") * (MiB // 64)  # 1 MiB of 64-byte lines
PEERS = {"remap": BufferIO, "BytesIO": io.BytesIO}
REPEATS = 20  # files read per peer and round


def iterate_lines(file):
    """for line in f: what line-oriented parsers do."""
    for _ in file:
        pass


def read_4(file):
    """f.read(4) until the end: a binary parser reading a header field at a time."""
    read = file.read
    while read(4):
        pass


def readline(file):
    """f.readline() until the end."""
    readline_ = file.readline
    while readline_():
        pass


def readlines(file):
    """f.readlines()."""
    file.readlines()


def buffered_lines(file):
    """io.BufferedReader(f) line iteration: what wraps a raw file in memory."""
    for _ in io.BufferedReader(file):
        pass


def copy_out(file):
    """shutil.copyfileobj(f, sink): a file in memory streamed out."""
    shutil.copyfileobj(file, io.BytesIO())


def text_lines(file):
    """io.TextIOWrapper(f) line iteration: text parsing over bytes in memory."""
    for _ in io.TextIOWrapper(file, encoding="ascii"):
        pass


def csv_rows(file):
    """csv.reader over io.TextIOWrapper(f)."""
    for _ in csv.reader(io.TextIOWrapper(file, encoding="ascii", newline="")):
        pass


def zip_members(file):
    """zipfile.ZipFile(f): read every one of 200 members."""
    with zipfile.ZipFile(file) as archive:
        for name in archive.namelist():
            archive.read(name)


def pickle_loads(file):
    """pickle.load(f) 2,000 times: records of 1 KiB bytes each."""
    load = pickle.Unpickler(file).load
    for _ in range(2000):
        load()


def make_zip():
    """An archive of 200 members of 4 KiB, stored (no compression: the read is measured)."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for i in range(200):
            archive.writestr(f"member-{i}", bytes([i % 256]) * (4 * KiB))
    return sink.getvalue()


def make_pickles():
    """2,000 pickled records of 1 KiB bytes."""
    sink = io.BytesIO()
    for i in range(2000):
        pickle.dump(bytes([i % 256]) * KiB, sink, protocol=5)
    return sink.getvalue()


# (label, reader, what the file holds); each peer gets a fresh file of the same bytes.
READERS = [("for line in f", iterate_lines, LINES), ("f.read(4) per call", read_4, LINES),
           ("f.readline()", readline, LINES), ("f.readlines()", readlines, LINES),
           ("BufferedReader(f) lines", buffered_lines, LINES), ("copyfileobj", copy_out, LINES),
           ("TextIOWrapper(f) lines", text_lines, LINES), ("csv.reader", csv_rows, LINES),
           ("zipfile, 200 members", zip_members, make_zip()),
           ("pickle.load x 2000", pickle_loads, make_pickles())]


def read_round(peers, reader, data, files=REPEATS):
    """One interleaved round: the peers take turns reading one fresh file holding data each,
    files times over (a single read of 1 MiB is too short to time on a shared machine, and
    turns this short put a burst of the machine's noise on both peers), the order reversed
    every other file, so each peer goes first as often as the other; {peer: seconds}."""
    made = {name: [PEERS[name](data) for _ in range(files)] for name in peers}
    seconds = dict.fromkeys(peers, 0.0)
    for i in range(files):
        for name in alternated(peers, i):
            start = time.perf_counter()
            reader(made[name][i])
            seconds[name] += time.perf_counter() - start
    return seconds


def alternated(peers, turn):
    """peers in their order on even turns, reversed on odd ones: each goes first as often."""
    return peers if turn % 2 == 0 else peers[::-1]


MESSAGE = bytes(range(100))  # a small message a parser opens as a file: made, read, dropped
MESSAGES = 10_000


def parse_messages(cls, messages):
    """cls(message), read(4) (a header), read() (the rest), for each message."""
    for message in messages:
        file = cls(message)
        file.read(4)
        file.read()


def message_round(peers, messages=(MESSAGE,) * MESSAGES, blocks=10):
    """One interleaved round of parse_messages in blocks, the peers taking turns, the order
    reversed every other block; {peer: seconds}."""
    seconds = dict.fromkeys(peers, 0.0)
    block = messages[:len(messages) // blocks]
    for i in range(blocks):
        for name in alternated(peers, i):
            start = time.perf_counter()
            parse_messages(PEERS[name], block)
            seconds[name] += time.perf_counter() - start
    return seconds



def file_cases(rotated):
    """The cases: (label, scenario, size, round function), each peer in a rotating order."""
    return [(f"BufferIO: {label}", "bufferio", len(data),
             lambda r, reader=reader, data=data: read_round(rotated(PEERS, r), reader, data))
            for label, reader, data in READERS] + [
        (f"BufferIO: {len(MESSAGE)} B messages, made and read", "bufferio", len(MESSAGE) * MESSAGES,
         lambda r: message_round(rotated(PEERS, r)))]
