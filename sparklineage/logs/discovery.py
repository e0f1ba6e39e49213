"""Find the applications in files and directories, in every layout Spark writes.

One :class:`LogSource` is one application attempt: the file or files that hold its events,
in the order they must be read, with what the layout says about it (codec, still running,
compacted). Layouts:

- ``single``: ``{appId}[_{attempt}][.{codec}][.inprogress]``, one file.
- ``rolling``: ``eventlog_v2_{appId}[_{attempt}]/events_{N}_…[.{codec}][.compact]``, read in
  N order; complete once an ``appstatus_…`` marker without ``.inprogress`` is there.
- ``databricks``: cluster log delivery, ``eventlog`` plus rolled
  ``eventlog-YYYY-MM-DD--HH-MM[.gz]``, in time order with the bare ``eventlog`` last.
- ``legacy``: Spark 1.0–1.2 directories, ``EVENT_LOG_{N}`` plus ``SPARK_VERSION_…`` and
  ``APPLICATION_COMPLETE`` marker files.

Files are recognised by content, not by name: whatever decodes to ``{"Event":`` is a log,
whatever name it has (public logs are called ``event_log_1``, ``eventlog.zstd``…). Other
files in a directory are passed over quietly; a file named on the command line that is not a
log is a problem reported for that file.

Directories are walked by :func:`~sparklineage.logs.walk.walk`, the one walk ``sync`` lists
with too, so that both commands agree on layouts, on what is passed over and on loops; what
is discovery's own is the probing of what the walk found (codec, a log or not, why not).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sparklineage.errors import LogReadError, NoLogsFoundError, UsageError, shown
from sparklineage.logs.codecs import SNIFF_BYTES, SUFFIXES, Codec, open_decoded, sniff_codec
from sparklineage.logs.walk import (
    DATABRICKS_ROLLED,
    INPROGRESS,
    LEGACY_PART,
    ROLLING_PREFIX,
    Found,
    Unlistable,
    in_progress_by_names,
    layout_at,
    layout_of,
    listed,
    local_entry,
    local_listing,
    walk,
)

__all__ = [  # the layout rules are the walk's; named here too, where they were first
    "INPROGRESS",
    "ROLLING_PREFIX",
    "Discovery",
    "LogFile",
    "LogSource",
    "Probed",
    "Unprobed",
    "Walked",
    "discover",
    "discover_walked",
    "discovered",
    "in_progress_by_names",
    "layout_of",
    "probe",
    "walk_paths",
]

COMPACT = ".compact"
_ROLLING_PART = re.compile(r"^events_(\d+)_(.+)$")
_DATABRICKS_ROLLED = DATABRICKS_ROLLED
_LEGACY_PART = LEGACY_PART
_LEGACY_VERSION = "SPARK_VERSION_"
# Names Spark gives application ids: a file named so that is no readable log is a problem.
_APP_ID_NAME = re.compile(r"^(app|local|application|spark|driver)[-_]")
_EVENT_START = b'{"Event":'
_STREAMING_START = b'{"Event":"org.apache.spark.sql.streaming.StreamingQueryListener$'


@dataclass(frozen=True)
class LogFile:
    """One file of an application's log, with the codec its bytes are in."""

    path: str
    codec: Codec
    size: int


@dataclass(frozen=True)
class LogSource:
    """One application attempt's log as it lies on disk."""

    name: str  # application id as the file or directory names it (events may say otherwise)
    path: str  # the file or directory the user would point at
    layout: str  # single | rolling | databricks | legacy
    files: tuple[LogFile, ...]
    in_progress: bool  # the layout says the application was still running
    compacted: bool = False  # the History Server compacted part of it (SQL executions lost)
    spark_version_hint: str | None = None  # from legacy marker files, when events lack it
    notes: tuple[str, ...] = ()  # what the layout itself tells the user (warnings)

    @property
    def codec(self) -> Codec:
        """The codec of the log (of its last file, where a layout mixes them)."""
        return self.files[-1].codec if self.files else Codec.NONE

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Discovery:
    """What was found under the paths given: applications, files that could not be used,
    and what was passed over on purpose (``warnings``: symlink loops, special files)."""

    sources: tuple[LogSource, ...]
    problems: tuple[LogReadError, ...]
    warnings: tuple[str, ...] = ()


def discover(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Find every application under ``paths`` (files or directories, walked recursively)."""
    walked = walk_paths(paths)
    return discovered(walked, [probe(item) for item in walked.items])


@dataclass(frozen=True)
class Unprobed:
    """What the walk found, before its files are probed. Probing opens every file and
    decodes its head, the costly part of discovery: ``--jobs`` workers and Spark executors
    probe (then read) in parallel what one process walked. A problem of the walk itself (a
    directory that cannot be listed) is an item too, so problems keep their order."""

    path: str
    size: int = 0  # bytes of its files, as listed (for progress and balancing)
    found: Found | None = None  # walked: a layout and its entries
    named: bool = False  # a file named on the command line
    problem: LogReadError | None = None


@dataclass(frozen=True)
class Probed:
    """An item probed: the application it holds, if any, and what was wrong."""

    source: LogSource | None
    problems: tuple[LogReadError, ...] = ()


@dataclass(frozen=True)
class Walked:
    """Discovery before probing: the items, in walk order, and what the walk passed over."""

    items: tuple[Unprobed, ...]
    warnings: tuple[str, ...]
    # Each directory given: where its items start and end, and the warnings said by then (a
    # directory with no log, no problem and no warning so far is a mistake worth an error).
    directories: tuple[tuple[str, int, int, int], ...] = ()


def walk_paths(paths: Iterable[str | os.PathLike[str]]) -> Walked:
    """The walk of ``paths``, nothing read: a path that does not exist is a usage error."""
    items: list[Unprobed] = []
    directories: list[tuple[str, int, int, int]] = []
    walk = _Walk()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{shown(path)}: no such file or directory")
        if path.is_dir():
            start = len(items)
            items.extend(walk.items(path))
            directories.append((str(path), start, len(items), len(walk.warnings)))
        else:
            items.append(Unprobed(str(path), _size(path), named=True))
    return Walked(tuple(items), tuple(walk.warnings), tuple(directories))


def probe(item: Unprobed) -> Probed:
    """The application an item holds, its files probed (codec, readable, a log at all)."""
    if item.problem is not None:
        return Probed(None, (item.problem,))
    problems: list[LogReadError] = []
    if item.found is not None:
        source = _probed(item.found, problems)
    else:
        source = _named_file(Path(item.path), problems)
    return Probed(source, tuple(problems))


def discovered(walked: Walked, probed: Sequence[Probed]) -> Discovery:
    """Discovery from the walk and its items probed (in the walk's order): applications
    sorted by path, each once; a directory given that holds no log at all is an error."""
    for directory, start, end, warnings in walked.directories:
        found = any(p.source for p in probed[start:end])
        if not found and not warnings and not any(p.problems for p in probed[:end]):
            raise NoLogsFoundError(
                f"{shown(directory)}: no Spark event logs found (looked for files that "
                'decode to JSON lines starting with {"Event":, in every codec and layout)'
            )
    sources = [p.source for p in probed if p.source is not None]
    unique = {(s.layout, s.path): s for s in sources}
    ordered = tuple(sorted(unique.values(), key=lambda s: s.path))
    problems = tuple(problem for p in probed for problem in p.problems)
    return Discovery(ordered, problems, walked.warnings)


def discover_walked(path: str | os.PathLike[str]) -> Discovery:
    """What walking a directory finds at ``path``, a file or a directory found by a listing
    (``sync``): as in a walk, a file that is not a log is passed over quietly."""
    problems: list[LogReadError] = []
    given = Path(path)
    walk = _Walk()
    if given.is_dir():
        sources = list(walk.sources(given, problems))
    else:
        sources = [s for s in [_single_file(given, problems, named=False)] if s is not None]
    return Discovery(tuple(sources), tuple(problems), tuple(walk.warnings))


class _Walk:
    """The applications in local directories and below, as :func:`~sparklineage.logs.walk.walk`
    finds them, each probed; what the walk passed over becomes a warning (symlink loops,
    special files) or a problem (a directory that cannot be listed). One set of entered
    directories for every path given, so a directory reached twice is read once."""

    def __init__(self) -> None:
        self._entered: set[tuple[int, int] | str] = set()
        self.warnings: list[str] = []

    def items(self, top: Path) -> Iterator[Unprobed]:
        """What the walk finds under ``top``, each to be probed."""
        try:
            root = local_entry(str(top))
        except OSError as exc:
            self.warnings.append(f"{shown(top)}: passed over ({exc.strerror})")
            return
        for found in walk(root, local_listing, self._entered):
            if isinstance(found, Found):
                yield Unprobed(found.path, sum(e.size for e in found.files), found=found)
            elif found.why == "loop":
                self.warnings.append(
                    f"{shown(Path(found.path))}: a link to a directory already walked (or a "
                    "symlink loop): passed over"
                )
            elif found.why == "special":
                self.warnings.append(f"{shown(found.path)}: not a regular file: passed over")
            else:
                reason = f"cannot list directory ({found.reason})"
                yield Unprobed(found.path, problem=LogReadError(str(Path(found.path)), reason))

    def sources(self, top: Path, problems: list[LogReadError]) -> Iterator[LogSource]:
        """What the walk finds under ``top``, probed as it goes (``sync``'s copies)."""
        for item in self.items(top):
            probed = probe(item)
            problems.extend(probed.problems)
            if probed.source is not None:
                yield probed.source


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _probed(found: Found, problems: list[LogReadError]) -> LogSource | None:
    """The application the walk found, its files probed (codec, readable, a log at all)."""
    path = Path(found.path)
    if found.layout == "single":
        return _single_file(path, problems, named=False)
    if found.layout == "rolling":
        return _rolling(path, found, problems)
    names = {e.name for e in found.files}
    if found.layout == "databricks":
        return _databricks(path, names, problems)
    return _legacy(path, names, problems)


def _directory_layout(directory: Path, problems: list[LogReadError]) -> LogSource | None:
    """The application a directory holds as a whole (rolling, Databricks, legacy), if any."""
    try:
        entries = listed(str(directory), local_listing)
    except Unlistable as exc:
        problems.append(LogReadError(str(directory), f"cannot list directory ({exc.reason})"))
        return None
    found = layout_at(directory.name, str(directory), entries)
    return None if found is None else _probed(found, problems)


def _named_file(path: Path, problems: list[LogReadError]) -> LogSource | None:
    """A file the user named: a part of a directory layout stands for its whole directory."""
    parent = path.parent
    if parent.name.startswith(ROLLING_PREFIX) or (
        path.name == "eventlog" or _DATABRICKS_ROLLED.match(path.name)
    ):
        return _directory_layout(parent, problems)
    return _single_file(path, problems, named=True)


def _single_file(path: Path, problems: list[LogReadError], *, named: bool) -> LogSource | None:
    """A one-file application log, or None (with a problem when the user named the file)."""
    name = path.name
    in_progress = name.endswith(INPROGRESS)
    stem = name.removesuffix(INPROGRESS)
    log_file = _probe(path, problems, named=named)
    if log_file is None:
        return None
    notes = _suffix_notes(stem, log_file.codec)
    return LogSource(
        name=_strip_codec_suffix(stem),
        path=str(path),
        layout="single",
        files=(log_file,),
        in_progress=in_progress,
        compacted=stem.endswith(COMPACT),
        notes=notes,
    )


def _rolling(directory: Path, found: Found, problems: list[LogReadError]) -> LogSource | None:
    """``eventlog_v2_{appId}`` directories: numbered parts and an appstatus marker."""
    parts: list[tuple[int, Path]] = []
    for entry in found.entries:  # a part that is a directory or a FIFO is a problem: probed
        match = _ROLLING_PART.match(entry.name)
        if match:
            parts.append((int(match.group(1)), Path(entry.path)))
    status_names = [e.name for e in found.files if e.name.startswith("appstatus_")]
    parts.sort()
    files = _probe_parts((p for _, p in parts), problems)
    if not files:
        if not parts:
            problems.append(
                LogReadError(str(directory), "rolling log directory has no events_N_ files")
            )
        return None
    notes: list[str] = []
    numbers = [n for n, _ in parts]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        notes.append(f"rolling log parts are not consecutive ({numbers}): events may be missing")
    compacted = any(p.name.removesuffix(INPROGRESS).endswith(COMPACT) for _, p in parts)
    if not status_names:
        notes.append("no appstatus_ marker in the rolling log directory: completion unknown")
    return LogSource(
        name=directory.name.removeprefix(ROLLING_PREFIX),
        path=str(directory),
        layout="rolling",
        files=tuple(files),
        in_progress=found.in_progress,
        compacted=compacted,
        notes=tuple(notes),
    )


def _databricks(directory: Path, names: set[str], problems: list[LogReadError]) -> LogSource | None:
    """Databricks cluster log delivery: rolled ``eventlog-<time>[.gz]`` files, then ``eventlog``."""
    rolled = sorted(n for n in names if _DATABRICKS_ROLLED.match(n))
    ordered = [*rolled, "eventlog"] if "eventlog" in names else rolled
    files = _probe_parts((directory / n for n in ordered), problems)
    if not files:
        return None
    return LogSource(
        name=directory.name,
        path=str(directory),
        layout="databricks",
        files=tuple(files),
        in_progress=False,
    )


def _legacy(directory: Path, names: set[str], problems: list[LogReadError]) -> LogSource | None:
    """Spark 1.0–1.2 log directories, with their version and completion in marker files."""
    parts = sorted((int(m.group(1)), n) for n in names if (m := _LEGACY_PART.match(n)))
    files = _probe_parts((directory / n for _, n in parts), problems)
    if not files:
        return None
    version = next(
        (n.removeprefix(_LEGACY_VERSION) for n in names if n.startswith(_LEGACY_VERSION)), None
    )
    return LogSource(
        name=directory.name,
        path=str(directory),
        layout="legacy",
        files=tuple(files),
        in_progress=in_progress_by_names("legacy", names),
        spark_version_hint=version,
    )


def _probe_parts(paths: Iterable[Path], problems: list[LogReadError]) -> list[LogFile]:
    """The readable files among the parts of a directory layout, in the order given."""
    return [f for p in paths if (f := _probe(p, problems, named=True, part=True)) is not None]


def _probe(
    path: Path, problems: list[LogReadError], *, named: bool, part: bool = False
) -> LogFile | None:
    """Recognise an event-log file by its bytes; None if it is not one.

    A file that should be a log (named by the user, part of a layout, compressed by a Spark
    codec, or named like an application id) but is not readable as one is recorded as a
    problem; any other file is something else kept in the directory, passed over quietly.
    An empty ``part`` of a layout is the file Spark has just opened: skipped, no problem.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block open() for ever
            problems.append(LogReadError(str(path), "not a regular file: not read"))
            return None
        size = info.st_size
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        problems.append(LogReadError(str(path), f"cannot read ({exc.strerror})"))
        return None
    codec = sniff_codec(head)
    reason = _not_a_log_reason(path, codec, head, part=part)
    if part and size == 0:
        return None
    if reason is None:
        return LogFile(str(path), codec or Codec.NONE, size)
    expected = named or (
        size > 0 and (codec not in (None, Codec.NONE) or _looks_like_log(path.name))
    )
    if expected:
        problems.append(LogReadError(str(path), reason))
    return None


def _not_a_log_reason(path: Path, codec: Codec | None, head: bytes, *, part: bool) -> str | None:
    """Why the file is not a readable event log, or None when it is one. A file that starts
    with a StreamingQueryListener event is a streaming query's own event file (what Spark's
    tests keep, or a listener's dump), not an application's log; a later part of a rolling
    log may start with any event."""
    if not head:
        return "empty file: no events yet (or not an event log)"
    if codec is None:
        return f"not a Spark event log (starts with bytes {head.hex(' ')})"
    try:
        with open_decoded(str(path), codec) as stream:
            start = stream.read(len(_STREAMING_START))
    except LogReadError as exc:
        return exc.reason
    if not start:
        return f"empty {codec.value} stream: no events yet"
    if not start.startswith(_EVENT_START):
        what = "JSON" if codec is Codec.NONE else f"{codec.value} data"
        return f'{what} that is not a Spark event log (no {{"Event": at its start)'
    if start == _STREAMING_START and not part:
        return (
            "StreamingQueryListener events only: a streaming query's event file, "
            "not an application's log"
        )
    return None


def _looks_like_log(name: str) -> bool:
    """Named like an application's log: an application id, a codec suffix or .inprogress."""
    stem = name.removesuffix(INPROGRESS)
    return (
        name != stem
        or bool(_APP_ID_NAME.match(name))
        or stem.removesuffix(COMPACT).rpartition(".")[2] in SUFFIXES
    )


def _suffix_notes(stem: str, codec: Codec) -> tuple[str, ...]:
    """A note when the name's codec suffix disagrees with what the bytes are."""
    suffix = stem.removesuffix(COMPACT).rpartition(".")[2]
    named = SUFFIXES.get(suffix)
    if named is not None and named is not codec:
        return (f"file is named .{suffix} but holds {codec.value} data; read as {codec.value}",)
    return ()


def _strip_codec_suffix(stem: str) -> str:
    """The application id part of a single-file log name."""
    stem = stem.removesuffix(COMPACT)
    base, dot, suffix = stem.rpartition(".")
    return base if dot and suffix in SUFFIXES else stem
