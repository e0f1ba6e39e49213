"""Ingestion benchmark: how close ``sparklineage extract`` reads to the cost of the read itself.

Run by hand, not by pytest::

    python benchmarks/ingest.py [--size-gib 1.0] [--repeat 3] [--workdir DIR] [--markdown]

It scales a real Spark event log up to a production-like size (task events ~99% of the
lines), writes a plain copy and a multi-frame zstd copy under the work directory (reused by
later runs), then times, each ``--repeat`` times, in child processes:

- the *floor*: a few lines of Python that read the lines, keep those whose event type lineage
  needs (a substring test on the line's start) and decode them with orjson — the obvious
  minimal reader for the same job, the yardstick extract is held to;
- ``sparklineage extract`` on the same file, whose report is checked against what was planted.

It reports median wall time, throughput (MB/s of the *uncompressed* log), extract/floor
throughput ratio (target ≥ 0.7) and peak RSS of each child (target < 150 MiB for extract),
and the peak RSS of extract on a smaller log, to show memory does not grow with log size.
Other work may share the machine: the ratios, measured in the same run, matter more than
the absolute figures.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
import zstandard

HERE = Path(__file__).resolve().parent
# The public corpus lives in ../shared beside the checkout.
DEFAULT_SEED = (
    HERE.parents[1]
    / "shared/corpus/public/kubeflow-mcp-shs/eventlog_v2_spark-cc4d115f011443d787f03a71a476a745"
    / "events_1_spark-cc4d115f011443d787f03a71a476a745"
)
DEFAULT_WORKDIR = HERE / ".work"
GIB = 1 << 30
MIB = 1 << 20
MB = 1_000_000  # throughput is in decimal megabytes per second
ZSTD_FRAME_BYTES = 1 << 20  # one frame per MiB, as Spark's zstd-jni writer flushes
ZSTD_LEVEL = 1  # spark.io.compression.zstd.level's default
GENERATOR_VERSION = 3  # bump when the synthetic log changes, so old copies are rebuilt

# Event types the lineage stages read. Markers are substrings of the "Event" value.
MARKERS: tuple[bytes, ...] = (
    b"SparkListenerLogStart",
    b"SparkListenerApplicationStart",
    b"SparkListenerApplicationEnd",
    b"SparkListenerEnvironmentUpdate",
    b"SparkListenerJobStart",
    b"SparkListenerJobEnd",
    b"SQLExecutionStart",
    b"SQLAdaptiveExecutionUpdate",
    b"SQLExecutionEnd",
    b"catalyst.catalog.",
    b"StreamingQueryListener$QueryProgressEvent",
)
# The event type is the first field Spark writes, so the marker test looks at the line's start
# only, with one regular expression for all markers: the cheapest substring test in Python
# (a loop of `marker in line` over whole ~5 KB task lines costs several times more and would
# flatter extract).
MARKER_WINDOW = 100

# The floor: run as `python -c FLOOR PATH CODEC`; prints how many lines it kept.
FLOOR = f"""\
import io, re, sys, orjson
wanted = re.compile(b"|".join(map(re.escape, {MARKERS!r}))).search
path, codec = sys.argv[1], sys.argv[2]
stream = open(path, "rb", buffering=1 << 20)
if codec == "zstd":
    import zstandard
    reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    stream = io.BufferedReader(reader, 1 << 20)
kept = 0
for line in stream:
    if wanted(line, 0, {MARKER_WINDOW}):
        orjson.loads(line)
        kept += 1
print(kept)
"""

# Seed events that describe the application once (kept in the head, in seed order), the task
# events that are multiplied, and the end. Every other event is body, repeated in order.
HEAD_TYPES = frozenset(
    {
        "SparkListenerLogStart",
        "SparkListenerResourceProfileAdded",
        "SparkListenerEnvironmentUpdate",
        "SparkListenerApplicationStart",
        "SparkListenerExecutorAdded",
        "SparkListenerBlockManagerAdded",
    }
)
TASK_TYPES = frozenset(
    {"SparkListenerTaskStart", "SparkListenerTaskEnd", "SparkListenerTaskGettingResult"}
)
END_TYPE = "SparkListenerApplicationEnd"
SQL_START = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"

# Ids made unique per repetition: (kind, pattern whose group 1 is the decimal id, or a
# comma-separated list of them).
_ID_PATTERNS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("execution", re.compile(rb'"(?:executionId|rootExecutionId)":(\d+)')),
    ("execution", re.compile(rb'"spark\.sql\.execution\.(?:root\.)?id":"(\d+)"')),
    ("job", re.compile(rb'"Job ID":(\d+)')),
    ("stage", re.compile(rb'"Stage ID":(\d+)')),
    ("stage", re.compile(rb'"Stage IDs":\[([\d,]+)\]')),
    ("task", re.compile(rb'"Task ID":(\d+)')),
)
_NUMBER = re.compile(rb"\d+")
_VALUE = re.compile(rb"(?<=[:,\[])\d+(?=[,}\]])")  # an integer JSON value, not a digit in a string


# ---------------------------------------------------------------- the synthetic log


@dataclass(frozen=True)
class Template:
    """A seed line cut around its ids, so a copy with other ids is a cheap ``join``."""

    chunks: tuple[bytes, ...]  # len(slots) + 1 literal pieces
    slots: tuple[tuple[str, int], ...]  # (kind, seed value) between the pieces

    def render(self, offsets: dict[str, int], task_copy: int, task_factor: int) -> bytes:
        """The line with every id shifted; task ids spread so copies never collide."""
        parts = [self.chunks[0]]
        for (kind, value), chunk in zip(self.slots, self.chunks[1:], strict=True):
            if kind == "task":
                value = value * task_factor + task_copy
            parts.append(str(value + offsets[kind]).encode())
            parts.append(chunk)
        return b"".join(parts)


def make_template(line: bytes, rng: random.Random | None = None) -> Template:
    """Cut ``line`` at every id that must differ from one repetition to the next.

    With ``rng``, the line's other integer values (metrics, times) are also changed at random,
    by up to half (times by up to 100 s): copies of one task line then differ the way real
    task lines do, and the zstd copy compresses about as well as a real log rather than a
    hundred times better.
    """
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in _ID_PATTERNS:
        for match in pattern.finditer(line):
            start = match.start(1)
            for number in _NUMBER.finditer(match.group(1)):
                spans.append((start + number.start(), start + number.end(), kind))
    if rng is not None:
        taken = {start for start, _, _ in spans}
        spans.extend(
            (m.start(), m.end(), "jitter") for m in _VALUE.finditer(line) if m.start() not in taken
        )
    spans.sort()
    chunks, slots, pos, literal = [], [], 0, b""
    for start, end, kind in spans:
        value = int(line[start:end])
        if kind == "jitter":
            assert rng is not None
            spread = value // 2 if value < 10**9 else 100_000  # epoch millis: within 100 s
            jittered = rng.randint(value - spread, value + spread) if value > 1 else value
            literal += line[pos:start] + str(jittered).encode()
        else:
            chunks.append(literal + line[pos:start])
            slots.append((kind, value))
            literal = b""
        pos = end
    chunks.append(literal + line[pos:])
    return Template(tuple(chunks), tuple(slots))


@dataclass(frozen=True)
class Seed:
    """A real log split into what is written once and what is repeated."""

    path: Path
    app_id: str
    head: list[bytes]
    body: list[tuple[Template, ...]]  # per seed line, its copies in one repetition
    tail: list[bytes]
    max_ids: dict[str, int]  # highest id of each kind in the body: the step between repetitions
    sql_per_repetition: int
    task_lines_per_repetition: int


def event_type(line: bytes) -> str:
    """The event's type; the seed is small, so a full parse costs nothing here."""
    return str(json.loads(line)["Event"])


def load_seed(path: Path, task_share: float) -> Seed:
    """Split a plain log into head, repeatable body and tail; size the task multiplier.

    Task lines are multiplied so that they make up ``task_share`` of the body's lines, as in a
    busy production log; the SQL, job and stage events stay once per repetition.
    """
    head: list[bytes] = []
    body_lines: list[tuple[str, bytes]] = []
    tail: list[bytes] = []
    app_id = None
    with open(path, "rb") as handle:
        lines = [line if line.endswith(b"\n") else line + b"\n" for line in handle if line.strip()]
    for line in lines:
        try:
            kind = event_type(line)
        except (ValueError, KeyError, TypeError):
            raise SystemExit(f"{path}: not a plain (uncompressed) Spark event log") from None
        if tail or kind == END_TYPE:
            tail.append(line)
        elif kind in HEAD_TYPES:
            head.append(line)
            if kind == "SparkListenerApplicationStart":
                app_id = json.loads(line).get("App ID")
        else:
            body_lines.append((kind, line))
    tasks = sum(kind in TASK_TYPES for kind, _ in body_lines)
    sql = sum(kind == SQL_START for kind, _ in body_lines)
    if not (app_id and tasks and sql):
        raise SystemExit(f"{path}: a seed needs an application id, task events and SQL executions")
    others = len(body_lines) - tasks
    factor = max(1, math.ceil(task_share / (1 - task_share) * others / tasks))
    rng = random.Random(0)  # the same log on every run and machine
    body = [
        tuple(make_template(line, rng) for _ in range(factor))
        if kind in TASK_TYPES
        else (make_template(line),)
        for kind, line in body_lines
    ]
    max_ids = {kind: 0 for kind, _ in _ID_PATTERNS}
    for copies in body:
        for kind, value in copies[0].slots:
            max_ids[kind] = max(max_ids[kind], value)
    return Seed(path, app_id, head, body, tail, max_ids, sql, tasks * factor)


def repetition(seed: Seed, index: int) -> Iterator[bytes]:
    """The body's lines for one repetition, with ids none of the others use."""
    factor = max(len(copies) for copies in seed.body)
    offsets = {kind: index * (top + 1) for kind, top in seed.max_ids.items()}
    offsets["task"] *= factor
    for copies in seed.body:
        for number, template in enumerate(copies):
            yield template.render(offsets, number, factor)


@dataclass(frozen=True)
class SyntheticLog:
    """A generated log and what was planted in it, kept next to it as ``.meta.json``."""

    plain: str
    zstd: str
    app_id: str
    size: int  # bytes of the plain log
    zstd_size: int
    lines: int
    task_lines: int
    wanted_lines: int  # lines the floor's marker test keeps
    sql_executions: int
    seed: str
    seed_size: int
    target: int
    generator: int = GENERATOR_VERSION


def is_wanted(line: bytes) -> bool:
    """The floor's test, for counting what it should keep."""
    head = line[:MARKER_WINDOW]
    return any(marker in head for marker in MARKERS)


def write_plain(seed: Seed, target: int, path: Path) -> dict[str, int]:
    """Head once, body repeated until the log reaches ``target`` bytes, then the end."""
    counts = {"size": 0, "lines": 0, "task_lines": 0, "wanted_lines": 0, "sql_executions": 0}
    tail_size = sum(map(len, seed.tail))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb", buffering=8 * MIB) as out:

        def emit(lines: Sequence[bytes], tasks: int = 0) -> None:
            out.writelines(lines)
            counts["size"] += sum(map(len, lines))
            counts["lines"] += len(lines)
            counts["task_lines"] += tasks
            counts["wanted_lines"] += sum(map(is_wanted, lines))

        emit(seed.head)
        for index in itertools.count():
            if counts["size"] + tail_size >= target:
                break
            emit(list(repetition(seed, index)), seed.task_lines_per_repetition)
            counts["sql_executions"] += seed.sql_per_repetition
        emit(seed.tail)
    os.replace(tmp, path)
    return counts


def write_zstd(plain: Path, path: Path) -> int:
    """Compress ``plain`` in independent frames of a MiB each, as Spark's writer leaves them.

    Each frame comes from its own streaming compressor, so, like zstd-jni's, its header does
    not carry the content size.
    """
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    tmp = path.with_name(path.name + ".tmp")
    with open(plain, "rb") as src, open(tmp, "wb", buffering=8 * MIB) as out:
        while chunk := src.read(ZSTD_FRAME_BYTES):
            frame = compressor.compressobj()
            out.write(frame.compress(chunk))
            out.write(frame.flush())
    os.replace(tmp, path)
    return path.stat().st_size


def ensure_log(seed_path: Path, size_gib: float, workdir: Path, task_share: float) -> SyntheticLog:
    """The synthetic log of this size, generated now or reused from an earlier run."""
    target = math.ceil(size_gib * GIB)
    seed_path = seed_path.resolve()
    seed_size = seed_path.stat().st_size
    seed = load_seed(seed_path, task_share)
    base = workdir / f"{seed.app_id}-{target // MIB}MiB"
    plain, packed = base, base.with_name(base.name + ".zstd")
    meta_path = base.with_name(base.name + ".meta.json")
    log = _reusable(meta_path, str(seed_path), seed_size, target)
    if log is None:
        _say(f"generating {plain} ({target / GIB:.2f} GiB) from {seed_path.name}…")
        started = time.perf_counter()
        counts = write_plain(seed, target, plain)
        _say(f"  {counts['size'] / GIB:.2f} GiB in {time.perf_counter() - started:.0f} s")
        log = SyntheticLog(
            plain=str(plain),
            zstd=str(packed),
            app_id=seed.app_id,
            zstd_size=-1,
            seed=str(seed_path),
            seed_size=seed_size,
            target=target,
            **counts,
        )
    if not (packed.exists() and packed.stat().st_size == log.zstd_size):
        _say(f"compressing {packed.name} (zstd level {ZSTD_LEVEL}, 1 MiB frames)…")
        log = SyntheticLog(**{**asdict(log), "zstd_size": write_zstd(plain, packed)})
    meta_path.write_text(json.dumps(asdict(log), indent=2) + "\n")
    return log


def _reusable(meta_path: Path, seed: str, seed_size: int, target: int) -> SyntheticLog | None:
    """The log described by ``meta_path`` if it was made from this seed for this size."""
    try:
        log = SyntheticLog(**json.loads(meta_path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    same_recipe = (log.seed, log.seed_size, log.target, log.generator) == (
        seed,
        seed_size,
        target,
        GENERATOR_VERSION,
    )
    plain = Path(log.plain)
    if same_recipe and plain.exists() and plain.stat().st_size == log.size:
        return log
    return None


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Run:
    """One child process: how long it took, how much memory it held at most, what it said."""

    seconds: float
    max_rss: int  # bytes
    stdout: bytes


def run_child(argv: Sequence[str], workdir: Path, accept: Sequence[int] = (0,)) -> Run:
    """Run ``argv`` and return its wall time and its own peak RSS (exiting other than
    ``accept`` ends the benchmark: a failed run is no measurement).

    The peak RSS is taken by GNU ``time`` when there is one: Linux hands a child, at
    ``exec``, the high-water mark of the process it was forked from, so ``os.wait4`` (or
    ``getrusage(RUSAGE_CHILDREN)``) on a child of this script reports at least this script's
    own peak — the generator's buffers — whatever the child uses. A child of the small
    ``time`` process does not inherit anything worth counting.
    """
    with (
        tempfile.TemporaryFile(dir=workdir) as out,
        tempfile.TemporaryFile(dir=workdir) as err,
        tempfile.NamedTemporaryFile(dir=workdir) as rss,
    ):
        timer = gnu_time()
        command = [timer, "-f", "%M", "-o", rss.name, *argv] if timer else list(argv)
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in accept:
            err.seek(0)
            message = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{argv[0]} exited {proc.returncode}:\n{message}")
        max_rss_kib = int(rss.read().split()[-1]) if timer else usage.ru_maxrss
        out.seek(0)
        return Run(seconds, max_rss_kib * 1024, out.read())


@functools.cache
def gnu_time() -> str | None:
    """``/usr/bin/time`` if it is GNU time (it understands ``-f %M``: peak RSS in KiB)."""
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True, check=False)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


@dataclass(frozen=True)
class Case:
    """One thing timed: a reader (floor or extract) on one copy of the log."""

    name: str
    reader: str  # floor | extract (the JSON report) | openlineage (extract --format openlineage)
    codec: str  # none | zstd
    path: str


def case_argv(case: Case, report: Path) -> list[str]:
    """The command line of a case; extract writes its report where it can be checked."""
    if case.reader == "floor":
        return [sys.executable, "-c", FLOOR, case.path, case.codec]
    fmt = "openlineage" if case.reader == "openlineage" else "json"
    return [extract_command(), "extract", case.path, "--format", fmt, "-o", str(report)]


def extract_command() -> str:
    """The ``sparklineage`` script next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("sparklineage")
    return str(beside) if beside.exists() else "sparklineage"


def check_output(case: Case, run: Run, log: SyntheticLog, report: Path) -> None:
    """Fail loudly when a reader did not read what was planted: a fast wrong run is no result."""
    if case.reader == "floor":
        kept = int(run.stdout)
        if kept != log.wanted_lines:
            raise SystemExit(
                f"{case.name}: the floor kept {kept} lines, {log.wanted_lines} planted"
            )
        return
    if case.reader == "openlineage":
        events = [json.loads(line) for line in report.read_bytes().splitlines()]
        runs = {e["run"]["runId"] for e in events}
        if (
            len(runs) < 2
            or events[0]["eventType"] != "START"
            or events[-1]["eventType"] != "COMPLETE"
        ):
            raise SystemExit(f"{case.name}: {len(events)} events of {len(runs)} runs: wrong")
        return
    document = json.loads(report.read_bytes())
    apps = document["applications"]
    problems = []
    if len(apps) != 1:
        problems.append(f"{len(apps)} applications instead of 1")
    else:
        app = apps[0]
        if app["sql_executions"] != log.sql_executions:
            problems.append(f"sql_executions {app['sql_executions']} != {log.sql_executions}")
        if app["id"] != log.app_id or not app["complete"] or app["malformed_lines"]:
            problems.append(f"unexpected entry {app!r}")
    if problems:
        raise SystemExit(f"{case.name}: extract report is wrong: {'; '.join(problems)}")


def warm_cache(paths: Sequence[str]) -> None:
    """Read the files once so no case pays for the first read from disk."""
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            while handle.read(8 * MIB):
                pass


def measure(
    cases: Sequence[Case], log: SyntheticLog, repeat: int, workdir: Path
) -> dict[str, list[Run]]:
    """Run every case ``repeat`` times, round-robin so a burst of other load hits all alike."""
    warm_cache([log.plain, log.zstd])
    runs: dict[str, list[Run]] = {case.name: [] for case in cases}
    report = workdir / "report.json"
    for round_ in range(1, repeat + 1):
        for case in cases:
            report.unlink(missing_ok=True)  # a report left by an earlier run proves nothing
            run = run_child(case_argv(case, report), workdir)
            check_output(case, run, log, report)
            runs[case.name].append(run)
            _say(
                f"  [{round_}/{repeat}] {case.name:<16} {run.seconds:6.2f} s "
                f"{run.max_rss / MIB:6.1f} MiB"
            )
    report.unlink(missing_ok=True)
    return runs


# ---------------------------------------------------------------- reporting


@dataclass(frozen=True)
class Row:
    """One line of the table: medians over the repetitions of a case."""

    case: str
    log_bytes: int  # uncompressed
    seconds: float
    mb_per_s: float
    ratio: float | None  # extract's throughput over the floor's on the same input
    max_rss: int  # bytes, the highest over the repetitions


def summarise(cases: Sequence[Case], runs: dict[str, list[Run]], log_bytes: int) -> list[Row]:
    """Median time per case, and extract's throughput as a share of its floor's."""
    medians = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    floors = {c.codec: medians[c.name] for c in cases if c.reader == "floor"}
    rows = []
    for case in cases:
        seconds = medians[case.name]
        floor = floors.get(case.codec)
        ratio = floor / seconds if case.reader != "floor" and floor else None
        max_rss = max(r.max_rss for r in runs[case.name])
        rows.append(Row(case.name, log_bytes, seconds, log_bytes / MB / seconds, ratio, max_rss))
    return rows


HEADERS = ("case", "log (uncompressed)", "median wall", "throughput", "× floor", "peak RSS")


def row_cells(row: Row) -> tuple[str, ...]:
    return (
        row.case,
        f"{row.log_bytes / GIB:.2f} GiB",
        f"{row.seconds:.2f} s",
        f"{row.mb_per_s:.0f} MB/s",
        "—" if row.ratio is None else f"{row.ratio:.2f}",
        f"{row.max_rss / MIB:.0f} MiB",
    )


def format_table(rows: Sequence[Row], markdown: bool) -> str:
    """The rows as aligned text, or as a Markdown table to paste into docs/performance.md."""
    cells = [HEADERS, *map(row_cells, rows)]
    if markdown:
        lines = ["| " + " | ".join(c) + " |" for c in cells]
        lines.insert(1, "|" + "|".join(["---", *(["---:"] * (len(HEADERS) - 1))]) + "|")
        return "\n".join(lines)
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        for r in cells
    )


def machine_facts() -> dict[str, str]:
    """What the figures were measured on, for the reader of docs/performance.md."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU model": cpu,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "orjson / zstandard": f"{orjson.__version__} / {zstandard.__version__}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def describe(log: SyntheticLog) -> str:
    """One line on what the synthetic log holds."""
    return (
        f"{log.size / GIB:.2f} GiB plain / {log.zstd_size / MIB:.0f} MiB zstd, "
        f"{log.lines:,} lines, {log.task_lines / log.lines:.1%} task events, "
        f"{log.sql_executions} SQL executions, {log.wanted_lines:,} lines lineage reads"
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0, help="log size (default 1.0)")
    parser.add_argument(
        "--small-gib",
        type=float,
        default=None,
        help="size of the log extract's peak RSS is compared on (default half; 0 skips it)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median counts")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="a plain real event log")
    parser.add_argument(
        "--task-share", type=float, default=0.99, help="share of task-event lines (default 0.99)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if args.small_gib is None:
        args.small_gib = args.size_gib / 2
    if not 0 < args.task_share < 1 or args.repeat < 1 or args.size_gib <= 0:
        parser.error("need 0 < --task-share < 1, --repeat ≥ 1 and --size-gib > 0")
    return args


def cases_for(log: SyntheticLog, readers: Sequence[str] = ("floor", "extract")) -> list[Case]:
    """Floor and extract on the plain copy, then on the zstd copy."""
    return [
        Case(f"{reader} ({'plain' if codec == 'none' else codec})", reader, codec, path)
        for codec, path in (("none", log.plain), ("zstd", log.zstd))
        for reader in readers
    ]


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if gnu_time() is None:
        _say("no GNU time at /usr/bin/time: peak RSS includes this script's own (os.wait4)")
    started = time.perf_counter()
    log = ensure_log(args.seed, args.size_gib, args.workdir, args.task_share)
    _say(describe(log))
    cases = cases_for(log, ("floor", "extract", "openlineage"))
    rows = summarise(cases, measure(cases, log, args.repeat, args.workdir), log.size)
    small_log = None
    if args.small_gib > 0:
        small_log = ensure_log(args.seed, args.small_gib, args.workdir, args.task_share)
        _say(describe(small_log))
        small_cases = cases_for(small_log, ("extract",))
        small_runs = measure(small_cases, small_log, args.repeat, args.workdir)
        rows += summarise(small_cases, small_runs, small_log.size)
    _say(f"done in {time.perf_counter() - started:.0f} s")

    facts = machine_facts()
    if args.markdown:
        print("\n".join(f"- {k}: {v}" for k, v in facts.items()))
        print(f"- log: {describe(log)}")
        if small_log:
            print(f"- smaller log: {describe(small_log)}")
        print(f"- runs per case: {args.repeat} (median wall time, highest peak RSS)\n")
    else:
        print("\n".join(f"{k}: {v}" for k, v in facts.items()))
        print(f"runs per case: {args.repeat}; log: {describe(log)}\n")
    print(format_table(rows, args.markdown))
    print(openlineage_cost(rows))


def openlineage_cost(rows: Sequence[Row]) -> str:
    """``--format openlineage``'s time as a multiple of the JSON report's, per codec (the
    target: at most 1.2×)."""
    by_case = {row.case: row.seconds for row in rows}
    parts = [
        f"{codec} {by_case[f'openlineage ({codec})'] / by_case[f'extract ({codec})']:.2f}×"
        for codec in ("plain", "zstd")
        if f"openlineage ({codec})" in by_case and f"extract ({codec})" in by_case
    ]
    return "openlineage / json report: " + ", ".join(parts)


if __name__ == "__main__":
    main()
