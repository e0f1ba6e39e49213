"""Scale benchmark: many logs on one machine, by one process, by ``--jobs 2`` and by Spark.

Run by hand, not by pytest (the Spark row needs pyspark, the `[spark]` extra)::

    python benchmarks/scale.py [--logs 2000] [--repeat 1] [--markdown]

It fills a directory with ``--logs`` copies of real fixture logs under names of their own
(the seeds of ``benchmarks/sync.py``: plain, zstd and lz4 single files, rolling zstd
directories), and times in child processes, in one run, ``extract DIR -o FILE`` with

- ``--jobs 1``: the baseline;
- ``--jobs 2``: target ≥ 1.7× the logs per second of ``--jobs 1`` on two cores;
- ``--engine spark --master local[2]``: with its start-up (a JVM, a session, its Python
  workers), and without: the start-up is timed on its own, on one log, and taken off.
  Target: within 1.5× of ``--jobs 2`` once the start-up is paid.

It checks that the three reports are the same bytes. Other work may share the machine: the
ratios, measured in the same run, matter more than the absolute figures, and the run first
measures what two processes of pure Python arithmetic get against one (the *ceiling*: about
2.0× on two idle cores, less when something else is running), which says how far any
two-process figure of the same run could go.
"""

from __future__ import annotations

import argparse
import filecmp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.sync import build, timed  # noqa: E402 (the repository root, just added)

BURN = "sum(range(40_000_000))"


def ceiling() -> float:
    """Two processes of pure arithmetic against one, now: what two cores give this run."""
    one = [sys.executable, "-c", BURN]
    alone = timed(one) + timed(one)
    started = time.perf_counter()
    pair = [subprocess.Popen(one) for _ in range(2)]
    if any(p.wait() for p in pair):
        raise SystemExit("the ceiling's processes failed")
    return alone / (time.perf_counter() - started)


def extract(directory: Path, out: Path, *extra: str) -> list[str]:
    base = [sys.executable, "-m", "sparklineage", "extract", str(directory)]
    return [*base, "--format", "json", "-o", str(out), *extra]


def median(command: list[str], repeat: int) -> float:
    return statistics.median(timed(command) for _ in range(repeat))


def measure(work: Path, repeat: int) -> dict[str, float]:
    events, one = work / "events", work / "one"
    spark = ("--engine", "spark", "--master", "local[2]")
    results = {
        "ceiling": ceiling(),
        "jobs 1": median(extract(events, work / "jobs1.json", "--jobs", "1"), repeat),
        "jobs 2": median(extract(events, work / "jobs2.json", "--jobs", "2"), repeat),
        "spark": median(extract(events, work / "spark.json", *spark), repeat),
        "spark start": median(extract(one, work / "start.json", *spark), repeat),
    }
    for name in ("jobs2.json", "spark.json"):
        if not filecmp.cmp(work / "jobs1.json", work / name, shallow=False):
            raise SystemExit(f"{name} differs from the --jobs 1 report")
    return results


def report(results: dict[str, float], logs: int, megabytes: float, markdown: bool) -> None:
    jobs_1, jobs_2 = results["jobs 1"], results["jobs 2"]
    warm = results["spark"] - results["spark start"]
    rows = [
        ("--jobs 1", jobs_1, 1.0),
        ("--jobs 2", jobs_2, jobs_1 / jobs_2),
        ("--engine spark, local[2], with start-up", results["spark"], jobs_1 / results["spark"]),
        ("--engine spark, local[2], start-up only (one log)", results["spark start"], None),
        ("--engine spark, local[2], start-up paid", warm, jobs_1 / warm),
    ]
    head = f"{logs} logs, {megabytes:.0f} MB; speed-up against --jobs 1"
    if markdown:
        print(f"{head}\n\n| run | seconds | logs/s | speed-up |\n|---|---:|---:|---:|")
    else:
        print(head)
    for name, seconds, ratio in rows:
        rate = f"{logs / seconds:.0f}" if ratio is not None else "—"
        shown = f"{ratio:.2f}×" if ratio is not None else "—"
        line = f"| {name} | {seconds:.2f} | {rate} | {shown} |"
        print(line if markdown else f"{name:52} {seconds:8.2f} s  {rate:>6} logs/s  {shown}")
    print(
        f"\nceiling (two processes of arithmetic / one, this run): {results['ceiling']:.2f}×; "
        f"--jobs 2 / --jobs 1: {jobs_1 / jobs_2:.2f}× (target ≥ 1.7×); "
        f"Spark, start-up paid, takes {warm / jobs_2:.2f}× the time of --jobs 2 (target ≤ 1.5×)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sparklineage-scale-") as scratch:
        work = Path(scratch)
        (work / "events").mkdir()
        build(work / "events", args.logs)
        (work / "one").mkdir()
        build(work / "one", 1)
        size = sum(p.stat().st_size for p in (work / "events").rglob("*") if p.is_file())
        results = measure(work, args.repeat)
    report(results, args.logs, size / 1e6, args.markdown)


if __name__ == "__main__":
    main()
