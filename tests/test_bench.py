"""Smoke tests of the bench command's parts at tiny sizes: every peer runs, the report renders."""

import json
import subprocess
import sys

import remap._bench as bench

MiB = 1 << 20


def test_every_peer_fills_and_resizes():
    fills = bench.fill_round(list(bench.FILL), MiB, 4096)
    resizes = bench.resize_round(list(bench.RESIZE), 4 * MiB)
    creates = bench.create_round(list(bench.CREATE), 100, 10)
    assert set(fills) == set(bench.FILL) and all(t > 0 for t in fills.values())
    assert "remap grow" in resizes and "memcpy grow" in resizes and set(creates) == set(bench.CREATE)


def test_fill_peers_build_the_same_bytes():
    chunk = bytes(range(256)) * 16
    for name, fill in bench.FILL.items():
        built = fill(64 * 4096, chunk)
        if name != "kernel":
            data = built.getbuffer() if name == "BytesIO" else memoryview(built)
            assert bytes(data[: 64 * 4096]) == chunk * 64, name
            data.release()
        bench.release(built)


def test_report_and_targets_render():
    cases = [("fill, 64 KiB chunks", "fill", 512 * MiB, None), ("resize", "resize", 1 << 30, None),
             ("create and drop", "create", 100, None)]
    samples = {0: {"remap": [1.0], "bytearray": [5.0], "kernel": [1.1]},
               1: {"remap grow": [1e-4], "kernel grow": [1e-4], "memcpy grow": [0.08]},
               2: {"remap": [1e-7], "bytearray": [1e-7]}}
    records = bench.summarize(cases, samples)
    text = bench.table(records)
    lines = bench.target_lines(records, {("fill", 256 * MiB): 256.0})
    assert "5.0x" in text and any(line.startswith("met") for line in lines)
    assert sum("fill 512 MiB" in line for line in lines) == 2
    json.dumps(records)


def test_peak_rss_is_measured_in_a_child():
    assert 3 <= bench.peak_rss_mib("fill", "remap", 4 * MiB) <= 12


def test_the_environment_says_whether_the_host_takes_back_free_memory():
    """Free page reporting decides what a fresh huge page costs: the bench names it."""
    from remap._bench.kernel import environment
    reporting = environment()["free_page_reporting"]
    assert reporting == "off" or reporting.startswith("on (blocks of ")


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "remap", "--help"], capture_output=True, text=True,
                         check=True)
    assert "bench" in out.stdout and "demo" in out.stdout


def test_peers_refuse_to_grow_under_a_numpy_view():
    assert set(bench.refusals().values()) <= {"BufferError", "ValueError"}
    assert bench.grow_under_numpy(8 * MiB) > 0


def test_workload_peers_agree():
    from remap._bench import workloads

    kept = {name: bytes(workloads.receive_peer(name, 8192, 64 * 1024).file.getbuffer()
                        [workloads.receive_peer(name, 8192, 64 * 1024).read_at:])
            if name == "BytesIO" else bytes(workloads.receive_peer(name, 8192, 64 * 1024))
            for name in workloads.RECEIVE}
    assert len(set(kept.values())) == 1 and len(kept["remap"]) == 8192
    path = workloads.stream_file(3 * MiB)
    try:
        read = {name: bytes(workloads.readinto_peer(name, path, 256 * 1024))
                for name in workloads.READINTO}
    finally:
        import os

        os.unlink(path)
    assert len(set(read.values())) == 1 and len(read["remap"]) == 3 * MiB
    for name in workloads.CHURN:
        workloads.churn_peer(name, 64 * 1024, 4096, 2)
    for name in workloads.STREAM_READER:
        workloads.stream_reader_peer(name, 8192, 64 * 1024)


def test_every_slice_statement_slices_n_bytes_on_both_peers():
    from remap._bench.slices import SLICE_PEERS, SLICES, slice_names

    for peer in SLICE_PEERS:
        for n in (64, 4096):
            names = slice_names(peer, n)
            for statement in SLICES.values():
                assert len(eval(statement, names)) == n, (peer, statement, n)


def test_every_bufferio_reader_runs_on_both_peers():
    from remap._bench.files import READERS, read_round
    for label, reader, data in READERS:
        seconds = read_round(["remap", "BytesIO"], reader, data, files=1)
        assert set(seconds) == {"remap", "BytesIO"}, label


def test_the_message_row_parses_every_message_on_both_peers():
    from remap._bench.files import PEERS, message_round
    for cls in PEERS.values():
        file = cls(b"head" + b"body")
        assert (file.read(4), file.read()) == (b"head", b"body")
    assert set(message_round(["remap", "BytesIO"], (b"x" * 100,) * 3)) == {"remap", "BytesIO"}


def test_every_stream_peer_runs_over_tcp_and_unix(monkeypatch):
    from remap._bench import streams
    monkeypatch.setattr(streams, "TOTAL", 1 << 20)
    for unix in (False, True):
        for lines in (False, True):
            seconds = streams.stream_round(list(streams.peers()), unix, 64 << 10, lines)
            assert set(seconds) == set(streams.peers()) and all(t > 0 for t in seconds.values())
