"""One application attempt, read from its log: who ran it, on what Spark, and how it went.

This is the one pass over an application's event stream: the summary is folded here, and
every event is also handed to the lineage stage, which builds the application's queries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

from sparklineage.errors import LogReadError, shown
from sparklineage.events import (
    ApplicationEnd,
    ApplicationStart,
    EnvironmentUpdate,
    Event,
    EventStream,
    LogStart,
    SQLExecutionStart,
)
from sparklineage.lineage.model import Query
from sparklineage.lineage.queries import LineageCollector
from sparklineage.lineage.servers import Session
from sparklineage.logs import LogSource
from sparklineage.logs.discovery import (
    Discovery,
    Probed,
    Unprobed,
    Walked,
    discovered,
    probe,
)
from sparklineage.logs.lines import MAX_LINE_BYTES
from sparklineage.redact import redact_text


@dataclass(frozen=True)
class Application:
    """What the report says of one application attempt (DESIGN §3)."""

    id: str
    attempt: str | None
    name: str | None
    user: str | None
    spark_version: str | None
    start: int | None  # epoch milliseconds
    end: int | None
    source: str
    complete: bool
    layout: str
    codec: str
    sql_executions: int
    malformed_lines: int
    queries: tuple[Query, ...] = ()
    warnings: tuple[str, ...] = ()
    read_error: str | None = None  # the log could not be read to its end
    sessions: tuple[Session, ...] = ()  # client sessions of a Thrift or Connect server
    openlineage_namespace: str | None = None  # spark.openlineage.namespace, where it is set

    @property
    def key(self) -> str:
        """The attempt's one key: its Atlas qualifiedName and its row in the sync state."""
        return f"{self.id}/{self.attempt}" if self.attempt else self.id


def without_copies(applications: Sequence[Application]) -> list[Application]:
    """One application per attempt: a log found twice (a Databricks copy next to the rolling
    log, a backup folder) would land in a catalog twice. A copy has the same id, attempt,
    name, start and lineage (``local-<millis>`` ids of two machines collide, and test logs
    made from one another share all but their queries: those are kept apart, nothing is
    lost). The most complete copy is kept (read to its end, finished, then the first source
    in sort order: the same whichever engine read them in whatever order), with a warning
    naming the copies left out, at the first copy's place."""
    copies: dict[tuple[object, ...], list[Application]] = {}
    for app in applications:
        copies.setdefault(copy_identity(app), []).append(app)
    return [kept_copy(same) for same in copies.values()]


def copy_identity(app: Application) -> tuple[object, ...]:
    """What two copies of one application share (see :func:`without_copies`)."""
    lineage = tuple(
        (q.ref, q.operation, tuple(d.id for d in q.inputs), tuple(d.id for d in q.outputs))
        for q in app.queries
    )
    return (app.key, app.name, app.start, lineage)


def kept_copy(same: Sequence[Application]) -> Application:
    """Of the copies of one application, the one to keep (read to its end, then finished,
    then the first source), with a warning naming where the others were."""
    best = min(same, key=lambda a: (a.read_error is not None, not a.complete, a.source))
    others = sorted(a.source for a in same if a is not best)
    if not others:
        return best
    note = f"the same application was also found at {', '.join(others)}: reported once"
    return replace(best, warnings=(*best.warnings, redact_text(note)))


@dataclass(frozen=True)
class ReadOptions:
    """How logs are read, the same in every command: ``--strict``, ``--max-line-mib``."""

    strict: bool = False  # the first malformed line fails the log
    max_line: int = MAX_LINE_BYTES  # longer lines are skipped as malformed


@dataclass
class _Summary:
    """Mutable accumulator for one pass; frozen into an :class:`Application` at the end."""

    spark_version: str | None = None
    start: ApplicationStart | None = None
    end: ApplicationEnd | None = None
    sql_executions: int = 0
    openlineage_namespace: str | None = None
    lineage: LineageCollector = field(default_factory=LineageCollector)

    def add(self, event: Event) -> None:
        self.lineage.add(event)
        if isinstance(event, SQLExecutionStart):
            self.sql_executions += 1
        elif isinstance(event, LogStart):
            self.spark_version = self.spark_version or event.spark_version
        elif isinstance(event, ApplicationStart):
            self.start = event
        elif isinstance(event, ApplicationEnd):
            self.end = event
        elif isinstance(event, EnvironmentUpdate):
            namespace = event.get("spark.openlineage.namespace")
            self.openlineage_namespace = namespace or self.openlineage_namespace


def read_application(
    source: LogSource,
    *,
    reading: ReadOptions = ReadOptions(),
    keep_plans: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> Application:
    """Read one application's log whole and summarise it.

    A log that breaks off (damaged codec stream) still gives what was read before the
    break, with ``read_error`` set; under ``reading.strict`` a malformed line raises instead.
    ``keep_plans`` keeps each query's plan text (for a catalog; it costs time and memory).
    """
    stream = EventStream(
        source, strict=reading.strict, on_progress=on_progress, max_line=reading.max_line
    )
    summary = _Summary(lineage=LineageCollector(keep_plans=keep_plans))
    read_error = None
    try:
        for event in stream:
            summary.add(event)
    except LogReadError as exc:
        if reading.strict:
            raise
        read_error = str(exc)
    except OSError as exc:  # the file went away or became unreadable while being read
        read_error = f"{shown(source.path)}: cannot read ({exc.strerror or exc})"
    except Exception as exc:  # a bug of ours on an event nobody foresaw: this log only
        read_error = _unhandled(source, exc)
    try:
        return _freeze(source, summary, stream, read_error)
    except Exception as exc:  # building the queries failed as a whole: the summary stands
        summary.lineage = LineageCollector()
        return _freeze(source, summary, stream, _unhandled(source, exc))


def probe_and_read(
    item: Unprobed, *, reading: ReadOptions, plans: bool
) -> tuple[Probed, Application | None]:
    """One application the walk found, probed then read: the unit of parallel work
    (``--jobs`` workers, Spark executors), so that probing is shared out too."""
    probed = probe(item)
    if probed.source is None:
        return probed, None
    return probed, read_application(probed.source, reading=reading, keep_plans=plans)


def assembled(
    walked: Walked, results: Sequence[tuple[Probed, Application | None]]
) -> tuple[Discovery, list[Application]]:
    """Discovery and the applications read, from items probed and read apart (in the walk's
    order): the applications in the order one process reads them (those given)."""
    found = discovered(walked, [probed for probed, _ in results])
    read = {(p.source.layout, p.source.path): a for p, a in results if p.source and a}
    keys = ((s.layout, s.path) for s in found.sources)
    return found, [read[key] for key in keys if key in read]


def of_users(applications: Iterable[Application], users: Collection[str]) -> list[Application]:
    """Only the queries and sessions ``users`` ran on a multi-user server (``extract --user``);
    applications where none of them ran anything are left out."""
    kept = []
    for app in applications:
        queries = tuple(q for q in app.queries if q.user in users)
        sessions = tuple(s for s in app.sessions if s.user in users)
        if queries or sessions:
            kept.append(replace(app, queries=queries, sessions=sessions))
    return kept


def _unhandled(source: LogSource, exc: Exception) -> str:
    return (
        f"{shown(source.path)}: reading stopped at an event sparklineage could not "
        f"handle ({type(exc).__name__}: {str(exc)[:200]}); what came before is reported"
    )


def _freeze(
    source: LogSource, summary: _Summary, stream: EventStream, read_error: str | None
) -> Application:
    start = summary.start
    warnings = [*source.notes, *_read_warnings(source, stream)]
    if start is None or not start.app_id:
        warnings.append("no application start event with an id: the id is the log's file name")
    layout_done = not source.in_progress
    if layout_done and summary.end is None and read_error is None:
        warnings.append(
            "no application end event although the log is finished: it may be truncated"
        )
    return Application(
        id=(start.app_id if start and start.app_id else source.name),
        attempt=start.attempt if start else None,
        name=start.name if start else None,
        user=start.user if start else None,
        spark_version=summary.spark_version or source.spark_version_hint,
        start=start.time if start else None,
        end=summary.end.time if summary.end else None,
        source=redact_text(shown(source.path)),
        complete=layout_done and summary.end is not None and read_error is None,
        layout=source.layout,
        codec=source.codec.value,
        sql_executions=summary.sql_executions,
        malformed_lines=stream.stats.malformed_lines,
        queries=summary.lineage.queries(),
        warnings=tuple(redact_text(w) for w in warnings),
        read_error=read_error,
        sessions=summary.lineage.sessions(),
        openlineage_namespace=summary.openlineage_namespace,
    )


def _read_warnings(source: LogSource, stream: EventStream) -> list[str]:
    stats = stream.stats
    warnings = [f"malformed line skipped: {sample}" for sample in stats.malformed_samples]
    if stats.malformed_lines > len(stats.malformed_samples):
        warnings.append(
            f"{stats.malformed_lines - len(stats.malformed_samples)} more malformed lines skipped"
        )
    if stats.torn_tail:
        warnings.append("the last line is incomplete (log still being written, or cut): ignored")
    if stats.truncated:
        warnings.append(
            f"the log ends inside a compressed block (still being written): {stats.truncated}"
        )
    if source.compacted:
        warnings.append(
            "the History Server compacted this log: finished SQL executions in the compacted part "
            "were dropped, so their lineage cannot be recovered"
        )
    return warnings
