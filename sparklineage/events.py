"""Pick out and decode the events lineage needs, in one pass over an application's lines.

An event log is mostly task and executor bookkeeping (``SparkListenerTaskEnd`` alone is
~99% of a busy log). Every line starts ``{"Event":"<type>"``, so the type is tested with one
``bytes.startswith`` at a fixed offset and only the few wanted types are parsed (orjson);
everything else is skipped without parsing. Lines that do not start like an event are
parsed on a slow path, to tell a reordered event from a malformed line.

Decoded events are small frozen dataclasses. Plan trees stay the plain JSON mapping Spark
wrote (``sparkPlanInfo``): turning them into plan nodes is the next stage's work.

Free text enters sparklineage here, so here it is redacted (:func:`~sparklineage.redact.
redact_text`): descriptions and SQL text, plan text, error messages, names; every stage
after this one sees no secret. Only the plan trees stay as Spark wrote them: what is taken
from them is either a dataset id (redacted by the naming rules) or a warning (redacted
with the query).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sparklineage.errors import CorruptLogError, MalformedLineError, shown
from sparklineage.logs import LineBatch, LogSource, iter_line_batches
from sparklineage.logs.lines import OVERSIZED
from sparklineage.redact import redact_property, redact_text

SQL_UI = "org.apache.spark.sql.execution.ui."
CATALOG = "org.apache.spark.sql.catalyst.catalog."
STREAMING = "org.apache.spark.sql.streaming.StreamingQueryListener$"

_EVENT_PREFIX = b'{"Event":"'
_TYPE_OFFSET = len(_EVENT_PREFIX)
MALFORMED_SAMPLES = 5  # malformed lines quoted by location; the rest are counted


# ---------------------------------------------------------------- the typed events


@dataclass(frozen=True, slots=True)
class LogStart:
    """First line of a log: the Spark version that wrote it (Databricks: its metadata event)."""

    spark_version: str | None


@dataclass(frozen=True, slots=True)
class ApplicationStart:
    app_id: str | None
    attempt: str | None
    name: str | None
    user: str | None
    time: int | None


@dataclass(frozen=True, slots=True)
class ApplicationEnd:
    time: int | None


@dataclass(frozen=True, slots=True)
class EnvironmentUpdate:
    """The few properties lineage needs (catalogs, warehouse, metastore), secrets redacted."""

    properties: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.properties if k == key), None)


@dataclass(frozen=True, slots=True)
class RddInfo:
    rdd_id: int
    name: str
    callsite: str | None


@dataclass(frozen=True, slots=True)
class JobStart:
    job_id: int
    time: int | None
    stage_ids: tuple[int, ...]
    execution_id: int | None  # spark.sql.execution.id: the SQL execution the job runs for
    job_group: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class JobEnd:
    job_id: int
    time: int | None
    succeeded: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class StageSubmitted:
    stage_id: int
    attempt: int
    name: str | None
    rdds: tuple[RddInfo, ...]


@dataclass(frozen=True, slots=True)
class StageCompleted:
    stage_id: int
    attempt: int
    name: str | None
    rdds: tuple[RddInfo, ...]
    failure: str | None


@dataclass(frozen=True, slots=True)
class SQLExecutionStart:
    execution_id: int
    root_execution_id: int | None  # 3.4+: the execution this one runs for (CTAS, saveAsTable…)
    description: str
    details: str
    plan_description: str  # physicalPlanDescription: plan text, command arguments
    plan_info: Mapping[str, Any]  # sparkPlanInfo tree as Spark wrote it
    time: int | None
    modified_configs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SQLAdaptiveExecutionUpdate:
    execution_id: int
    plan_description: str
    plan_info: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SQLExecutionEnd:
    execution_id: int
    time: int | None
    error: str | None  # errorMessage, 3.4+; empty string means success there


@dataclass(frozen=True, slots=True)
class CatalogEvent:
    """A DDL effect the catalog logged (create/drop/alter/rename table, database, partitions)."""

    kind: str  # e.g. CreateTableEvent, DropDatabasePreEvent, CreatePartitionsEvent
    database: str | None
    name: str | None
    new_name: str | None = None
    detail: str | None = None  # AlterTableEvent's kind: table | dataSchema | stats
    partitions: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def pre(self) -> bool:
        """Pre events announce an intent; only the others say it happened."""
        return self.kind.endswith("PreEvent")


@dataclass(frozen=True, slots=True)
class StreamingQueryStarted:
    query_id: str
    run_id: str
    name: str | None
    time: str | None


@dataclass(frozen=True, slots=True)
class StreamingQueryProgress:
    """One micro-batch: the only place a stream's sources and sink are named."""

    query_id: str
    run_id: str
    name: str | None
    batch_id: int | None
    time: str | None
    sources: tuple[str, ...]
    sink: str | None


@dataclass(frozen=True, slots=True)
class StreamingQueryTerminated:
    query_id: str
    run_id: str
    error: str | None


Event = (
    LogStart
    | ApplicationStart
    | ApplicationEnd
    | EnvironmentUpdate
    | JobStart
    | JobEnd
    | StageSubmitted
    | StageCompleted
    | SQLExecutionStart
    | SQLAdaptiveExecutionUpdate
    | SQLExecutionEnd
    | CatalogEvent
    | StreamingQueryStarted
    | StreamingQueryProgress
    | StreamingQueryTerminated
)


# ---------------------------------------------------------------- decoders, one per event type

_KEPT_PROPERTIES = (
    "spark.sql.warehouse.dir",
    "spark.sql.catalogImplementation",
    "spark.sql.defaultCatalog",
    "spark.sql.catalog.",
    "spark.sql.extensions",
    "spark.sql.hive.metastore.",
    "spark.hadoop.hive.metastore.uris",
    "spark.hadoop.fs.defaultFS",
    "spark.sql.maxMetadataStringLength",
    "spark.sql.debug.maxToStringFields",
    "spark.sql.ui.explainMode",
    "spark.databricks.clusterUsageTags.clusterName",
    "spark.master",
    "fs.defaultFS",
    "hive.metastore.uris",
    "hive.metastore.warehouse.dir",
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _text(value: Any) -> str | None:
    """Free text from the log, fit to keep: its secrets redacted."""
    return None if value is None else redact_text(str(value))


def _log_start(e: dict[str, Any]) -> LogStart:
    return LogStart(_str(e.get("Spark Version")))


def _application_start(e: dict[str, Any]) -> ApplicationStart:
    return ApplicationStart(
        app_id=_str(e.get("App ID")),
        attempt=_str(e.get("App Attempt ID")),
        name=_text(e.get("App Name")),
        user=_text(e.get("User")),
        time=_int(e.get("Timestamp")),
    )


def _application_end(e: dict[str, Any]) -> ApplicationEnd:
    return ApplicationEnd(_int(e.get("Timestamp")))


def _environment_update(e: dict[str, Any]) -> EnvironmentUpdate:
    kept: dict[str, str] = {}
    for section in ("Hadoop Properties", "Spark Properties"):  # Spark's own win on a clash
        props = e.get(section) or {}
        pairs = props.items() if isinstance(props, dict) else props  # Spark 1.x: list of pairs
        for key, value in pairs:
            if key.startswith(_KEPT_PROPERTIES):
                kept[key] = redact_property(key, str(value))
    return EnvironmentUpdate(tuple(sorted(kept.items())))


def _rdds(stage_info: dict[str, Any]) -> tuple[RddInfo, ...]:
    return tuple(
        RddInfo(
            rdd_id=r.get("RDD ID", -1),
            name=str(r.get("Name", "")),
            callsite=_str(r.get("Callsite")),
        )
        for r in stage_info.get("RDD Info") or ()
    )


def _job_start(e: dict[str, Any]) -> JobStart:
    props = e.get("Properties") or {}
    return JobStart(
        job_id=e["Job ID"],
        time=_int(e.get("Submission Time")),
        stage_ids=tuple(e.get("Stage IDs") or ()),
        execution_id=_int(props.get("spark.sql.execution.id")),
        job_group=_str(props.get("spark.jobGroup.id")),
        description=_text(props.get("spark.job.description")),
    )


def _job_end(e: dict[str, Any]) -> JobEnd:
    result = e.get("Job Result") or {}
    succeeded = result.get("Result") == "JobSucceeded"
    error = None if succeeded else _text((result.get("Exception") or {}).get("Message"))
    return JobEnd(
        job_id=e["Job ID"], time=_int(e.get("Completion Time")), succeeded=succeeded, error=error
    )


def _stage_submitted(e: dict[str, Any]) -> StageSubmitted:
    info = e.get("Stage Info") or {}
    return StageSubmitted(
        stage_id=info.get("Stage ID", -1),
        attempt=info.get("Stage Attempt ID", 0),
        name=_str(info.get("Stage Name")),
        rdds=_rdds(info),
    )


def _stage_completed(e: dict[str, Any]) -> StageCompleted:
    info = e.get("Stage Info") or {}
    return StageCompleted(
        stage_id=info.get("Stage ID", -1),
        attempt=info.get("Stage Attempt ID", 0),
        name=_str(info.get("Stage Name")),
        rdds=_rdds(info),
        failure=_text(info.get("Failure Reason")),
    )


def _sql_execution_start(e: dict[str, Any]) -> SQLExecutionStart:
    configs = e.get("modifiedConfigs") or {}
    return SQLExecutionStart(
        execution_id=e["executionId"],
        root_execution_id=_int(e.get("rootExecutionId")),
        description=redact_text(e.get("description") or ""),
        details=redact_text(e.get("details") or ""),
        plan_description=redact_text(e.get("physicalPlanDescription") or ""),
        plan_info=e.get("sparkPlanInfo") or {},
        time=_int(e.get("time")),
        modified_configs=tuple(sorted((k, redact_property(k, str(v))) for k, v in configs.items())),
    )


def _sql_adaptive_update(e: dict[str, Any]) -> SQLAdaptiveExecutionUpdate:
    return SQLAdaptiveExecutionUpdate(
        execution_id=e["executionId"],
        plan_description=redact_text(e.get("physicalPlanDescription") or ""),
        plan_info=e.get("sparkPlanInfo") or {},
    )


def _sql_execution_end(e: dict[str, Any]) -> SQLExecutionEnd:
    return SQLExecutionEnd(
        execution_id=e["executionId"],
        time=_int(e.get("time")),
        error=_text(e.get("errorMessage") or None),
    )


def _catalog_event(e: dict[str, Any]) -> CatalogEvent:
    specs = e.get("partSpecs") or ()
    return CatalogEvent(
        kind=e["Event"].removeprefix(CATALOG),
        database=_str(e.get("database") or e.get("db")),
        name=_str(e.get("name") or e.get("table")),
        new_name=_str(e.get("newName")),
        detail=_str(e.get("kind")),
        partitions=tuple(
            tuple(sorted((str(k), str(v)) for k, v in spec.items())) for spec in specs
        ),
    )


def _query_started(e: dict[str, Any]) -> StreamingQueryStarted:
    return StreamingQueryStarted(
        query_id=str(e.get("id")),
        run_id=str(e.get("runId")),
        name=_text(e.get("name")),
        time=_str(e.get("timestamp")),
    )


def _query_progress(e: dict[str, Any]) -> StreamingQueryProgress:
    progress = e.get("progress") or {}
    return StreamingQueryProgress(
        query_id=str(progress.get("id")),
        run_id=str(progress.get("runId")),
        name=_text(progress.get("name")),
        batch_id=_int(progress.get("batchId")),
        time=_str(progress.get("timestamp")),
        sources=tuple(str(s.get("description")) for s in progress.get("sources") or ()),
        sink=_str((progress.get("sink") or {}).get("description")),
    )


def _query_terminated(e: dict[str, Any]) -> StreamingQueryTerminated:
    return StreamingQueryTerminated(
        query_id=str(e.get("id")), run_id=str(e.get("runId")), error=_text(e.get("exception"))
    )


_Decoder = Callable[[dict[str, Any]], Event]

# Event type (or, ending in "." / "$", a family of them) -> decoder. The one list of what is read.
DECODERS: dict[str, _Decoder] = {
    "SparkListenerLogStart": _log_start,
    "DBCEventLoggingListenerMetadata": _log_start,
    "SparkListenerApplicationStart": _application_start,
    "SparkListenerApplicationEnd": _application_end,
    "SparkListenerEnvironmentUpdate": _environment_update,
    "SparkListenerJobStart": _job_start,
    "SparkListenerJobEnd": _job_end,
    "SparkListenerStageSubmitted": _stage_submitted,
    "SparkListenerStageCompleted": _stage_completed,
    SQL_UI + "SparkListenerSQLExecutionStart": _sql_execution_start,
    SQL_UI + "SparkListenerSQLAdaptiveExecutionUpdate": _sql_adaptive_update,
    SQL_UI + "SparkListenerSQLExecutionEnd": _sql_execution_end,
    STREAMING + "QueryStartedEvent": _query_started,
    STREAMING + "QueryProgressEvent": _query_progress,
    STREAMING + "QueryTerminatedEvent": _query_terminated,
    CATALOG: _catalog_event,
}

# What the fast filter tests: the type's name and its closing quote, or a family's prefix.
WANTED: tuple[bytes, ...] = tuple(
    name.encode() if name.endswith((".", "$")) else name.encode() + b'"' for name in DECODERS
)


def _decoder_for(event_type: str) -> _Decoder | None:
    decoder = DECODERS.get(event_type)
    if decoder is None and event_type.startswith(CATALOG):
        decoder = DECODERS[CATALOG]
    return decoder


# ---------------------------------------------------------------- the stream


@dataclass
class ReadStats:
    """What reading one application's lines met besides events."""

    malformed_lines: int = 0
    malformed_samples: list[str] = field(default_factory=list)
    torn_tail: bool = False  # the log ends inside a line (still being written, or cut)
    truncated: str | None = None  # a codec stream that ends early, in a log still being written


class EventStream:
    """Iterate the wanted events of one application, in log order, counting what is off.

    ``strict`` turns the first malformed line into a :class:`MalformedLineError`; by
    default malformed lines are counted (:attr:`stats`) and reading goes on.
    ``on_progress`` is called now and then with the number of (compressed) bytes read.
    """

    def __init__(
        self,
        source: LogSource,
        *,
        strict: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.source = source
        self.strict = strict
        self.on_progress = on_progress
        self.stats = ReadStats()

    def __iter__(self) -> Iterator[Event]:
        wanted, event_prefix, offset = WANTED, _EVENT_PREFIX, _TYPE_OFFSET
        last_file = self.source.files[-1]
        try:
            for batch in iter_line_batches(self.source, self.on_progress):
                for index, line in enumerate(batch.lines):
                    if line.startswith(wanted, offset):
                        event = self._decode(line, batch, index)
                    elif line.startswith(event_prefix):
                        continue  # an event lineage does not need: never parsed
                    else:
                        event = self._odd_line(line, batch, index)
                    if event is not None:
                        yield event
        except CorruptLogError as exc:
            if not (self.source.in_progress and exc.path == last_file.path):
                raise
            self.stats.truncated = exc.reason  # a log still being written ends mid-block

    def _decode(self, line: bytes, batch: LineBatch, index: int) -> Event | None:
        try:
            data = orjson.loads(line)
            decoder = _decoder_for(data["Event"])
            return decoder(data) if decoder is not None else None
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
            self._malformed(batch, index, exc)
            return None

    def _odd_line(self, line: bytes, batch: LineBatch, index: int) -> Event | None:
        """A line that does not start like an event: blank, reordered keys, over the line
        cap (already dropped while reading), or malformed."""
        if not line.strip():
            return None
        if line == OVERSIZED:
            self._malformed(batch, index, ValueError("the line is over the line cap: skipped"))
            return None
        return self._decode(line, batch, index)

    def _malformed(self, batch: LineBatch, index: int, exc: Exception) -> None:
        last = index == len(batch.lines) - 1
        if last and batch.unterminated and batch.path == self.source.files[-1].path:
            self.stats.torn_tail = True  # the last line of the log, cut off mid-write
            return
        where = f"{shown(batch.path)}:{batch.first_line + index}"
        if self.strict:
            raise MalformedLineError(where, f"malformed event line ({_reason(exc)})")
        self.stats.malformed_lines += 1
        if len(self.stats.malformed_samples) < MALFORMED_SAMPLES:
            self.stats.malformed_samples.append(f"{where}: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    if isinstance(exc, orjson.JSONDecodeError):
        return f"not JSON: {exc}"
    return f"unexpected content: {type(exc).__name__} {exc}"
