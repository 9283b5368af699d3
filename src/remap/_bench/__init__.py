"""python -m remap bench: remap against bytearray, BytesIO, mmap, numpy, array and the raw kernel."""

from remap._bench.kernel import (
    RawMapping, environment, huge_page_faults, warm_memory,
)
from remap._bench.peers import (
    CREATE, FILL, RESIZE, grow_kernel, grow_under_numpy, refusals, touch_pages, touched_kernel,
)
from remap._bench.report import plot, size_text, summarize, table, target_lines
from remap._bench.runner import (
    available, copy_seconds, create_round, fill_round, peak_rss_mib, peak_table, plan, release,
    resize_round, run,
)
from remap._bench.kernel import GiB
from remap._bench.workloads import churn_peer, readinto_peer, receive_peer, stream_reader_peer

__all__ = ["CREATE", "FILL", "RESIZE", "RawMapping", "available", "bench", "churn_peer",
           "copy_seconds", "create_round", "environment", "fill_round", "grow_kernel",
           "grow_under_numpy", "huge_page_faults", "peak_rss_mib", "peak_table",
           "plan", "plot", "readinto_peer", "receive_peer", "refusals", "release", "resize_round", "run",
           "size_text", "stream_reader_peer", "summarize", "table", "target_lines", "touch_pages",
           "touched_kernel", "warm_memory"]


def bench(full=False, repeats=None, json_path=None, plot_path=None, only=None):
    """Run the comparison, print the table, the peak memory and the targets; return the records.

    only, a set of case kinds, runs just those cases and leaves out the peak-memory table.
    """
    import json

    from remap._bench.threads import thread_report

    if only == {"threads"}:  # the thread tables alone: no warm-up, no case table
        print("\n".join(thread_report()))
        return []
    env = environment()
    print("environment: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    warm = 6 * GiB if full else 3 * GiB
    print(f"warming memory: touching {size_text(warm)} of huge-page memory once "
          "(the host backs it lazily)")
    warm_memory(warm)
    cases = [case for case in plan(full) if only is None or case[1] in only]
    faults_before = huge_page_faults()
    records = summarize(cases, run(cases, repeats or (5 if full else 3)))
    print(table(records))
    (allocated, fell_back), (allocated0, fell_back0) = huge_page_faults(), faults_before
    print(f"huge pages during the run: {allocated - allocated0} faulted in, "
          f"{fell_back - fell_back0} fell back to 4 KiB pages")
    peaks = peak_table(full) if only is None else {}
    print("\npeak RSS growth (MiB), each case in a child process:")
    for (scenario, size), by_peer in peaks.items():
        print(f"  {scenario} {size_text(size)}: "
              + ", ".join(f"{peer} {mib:.0f}" for peer, mib in by_peer.items() if mib is not None))
    if "numpy" in available(FILL) and only is None:
        print("\ngrow under a numpy view, the peers: " + ", ".join(
            f"{peer} {what}" for peer, what in refusals().items()) + "; remap grows (max_size)")
    print("\ntargets:")
    print("\n".join(target_lines(records, {key: by_peer["remap"] for key, by_peer in peaks.items()})))
    if only is None or "threads" in only:
        print("\n" + "\n".join(thread_report()))
    if json_path:
        with open(json_path, "w") as out:
            json.dump({"environment": env, "records": records,
                       "peak_rss_mib": {f"{s} {size}": p for (s, size), p in peaks.items()}},
                      out, indent=1)
    if plot_path:
        plot(records, plot_path)
    return records
