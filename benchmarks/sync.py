"""Sync benchmark: what a cron run costs when little or nothing changed, and what --jobs buys.

Run by hand, not by pytest::

    python benchmarks/sync.py [--logs 5000] [--first-logs 200] [--repeat 3] [--markdown]

It fills a History Server directory with ``--logs`` copies of real fixture logs (plain,
zstd, lz4 single files and rolling zstd directories, each under its own name), starts the
Atlas-compatible test server on 127.0.0.1, lands them all once, and times in child processes:

- the *floor*: a Python process that walks the directory and stats every file, the least
  any tool must do to notice what changed; and the CLI's own start (``--version``), which
  every run pays whatever the directory;
- ``sync`` when nothing changed (the state has every log): target within 2× floor + start;
- ``sync`` after one log changed: the same, plus reading and sending that one log;
- the first ``sync`` of ``--first-logs`` logs with ``--jobs 1`` and ``--jobs 2``.

Other work may share the machine: the ratios, measured in the same run, matter more than the
absolute figures.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.atlas_server import AtlasServer  # noqa: E402 (the repository root, just added)
from tests.catalog import prepare_catalog  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "eventlogs"
SEEDS = (
    "spark-3.5/local-1795493857959",  # dml, plain
    "spark-3.5/local-1795493040133.zstd",
    "spark-3.5/local-1795492989320.lz4",
    "spark-4.0/eventlog_v2_local-1795493262337",  # rolling, zstd parts
)
FLOOR = """
import os, sys
def walk(path):
    for entry in os.scandir(path):
        entry.stat()
        if entry.is_dir():
            walk(entry.path)
walk(sys.argv[1])
"""


def build(directory: Path, count: int) -> None:
    """``count`` logs, copies of the seeds, each under a name of its own."""
    for i in range(count):
        seed = FIXTURES / SEEDS[i % len(SEEDS)]
        name = seed.name.replace("local-", f"local-{i:06d}")
        if seed.is_dir():
            shutil.copytree(seed, directory / name)
        else:
            shutil.copy2(seed, directory / name)


def timed(command: Sequence[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]}… failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def median(command: Sequence[str], repeat: int) -> float:
    return statistics.median(timed(command) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=5000)
    parser.add_argument("--first-logs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sparklineage-bench-") as scratch:
        work = Path(scratch)
        (work / "events").mkdir()
        build(work / "events", args.logs)
        (work / "first").mkdir()
        build(work / "first", args.first_logs)
        with AtlasServer() as server:
            prepare_catalog(server)
            results = measure(work, server.url, args.repeat)
    report(results, args.logs, args.first_logs, args.markdown)


def measure(work: Path, url: str, repeat: int) -> dict[str, float]:
    def sync(directory: str, state: str, *extra: str) -> list[str]:
        base = [sys.executable, "-m", "sparklineage", "sync", str(work / directory)]
        return [*base, "--endpoint", url, "--state", str(work / state), "-q", *extra]

    events = work / "events"
    timed(sync("events", "events.sqlite3", "--jobs", "2"))  # lands everything once
    results = {
        "floor": median([sys.executable, "-c", FLOOR, str(events)], repeat),
        "start": median([sys.executable, "-m", "sparklineage", "--version"], repeat),
        "nothing changed": median(sync("events", "events.sqlite3"), repeat),
    }
    changed = []
    for _ in range(repeat):
        victim = next(p for p in sorted(events.iterdir()) if p.is_file())
        with open(victim, "ab") as log:
            log.write(b"\n")  # the log grew (an empty line: no event, nothing to send)
        changed.append(timed(sync("events", "events.sqlite3")))
    results["one log changed"] = statistics.median(changed)
    results["first, --jobs 1"] = timed(sync("first", "one.sqlite3", "--jobs", "1"))
    results["first, --jobs 2"] = timed(sync("first", "two.sqlite3", "--jobs", "2"))
    return results


def report(results: dict[str, float], logs: int, first_logs: int, markdown: bool) -> None:
    idle = results["floor"] + results["start"]
    jobs_1 = results["first, --jobs 1"]
    rows = [
        (f"floor: walk and stat {logs} logs", results["floor"], "—"),
        ("CLI start (--version)", results["start"], "—"),
        ("sync, nothing changed", results["nothing changed"], results["nothing changed"] / idle),
        ("sync, one log changed", results["one log changed"], results["one log changed"] / idle),
        (f"first sync of {first_logs}, --jobs 1", jobs_1, 1.0),
        (
            f"first sync of {first_logs}, --jobs 2",
            results["first, --jobs 2"],
            results["first, --jobs 2"] / jobs_1,
        ),
    ]
    if markdown:
        print("| run | seconds | ratio |\n|---|---:|---:|")
        for name, seconds, ratio in rows:
            shown = ratio if isinstance(ratio, str) else f"{ratio:.2f}×"
            print(f"| {name} | {seconds:.2f} | {shown} |")
        print("\nRatios: the sync runs against floor + CLI start; --jobs 2 against --jobs 1.")
        return
    for name, seconds, ratio in rows:
        shown = ratio if isinstance(ratio, str) else f"{ratio:.2f}×"
        print(f"{name:36} {seconds:8.2f} s  {shown:>7}")


if __name__ == "__main__":
    main()
