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

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from sparklineage.errors import CorruptLogError, MalformedLineError, shown
from sparklineage.logs import LineBatch, LogSource, iter_line_batches
from sparklineage.logs.lines import MAX_LINE_BYTES, OVERSIZED
from sparklineage.redact import redact_property, redact_text

SQL_UI = "org.apache.spark.sql.execution.ui."
CATALOG = "org.apache.spark.sql.catalyst.catalog."
STREAMING = "org.apache.spark.sql.streaming.StreamingQueryListener$"
THRIFT = "org.apache.spark.sql.hive.thriftserver.ui.SparkListenerThriftServer"
CONNECT = "org.apache.spark.sql.connect.service.SparkListenerConnect"
CONNECT_TAG = "SparkConnect_OperationTag_"  # the job tag of a Connect operation's executions

_EVENT_PREFIX = b'{"Event":"'
_TYPE_OFFSET = len(_EVENT_PREFIX)
# Task events (TaskStart, TaskEnd, TaskGettingResult) are ~99% of a busy log and never wanted:
# one test turns them away before the wanted types, however many of those there are.
_TASK_EVENT = b"SparkListenerTask"
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
class JobStart:
    job_id: int
    time: int | None
    execution_id: int | None  # spark.sql.execution.id: the SQL execution the job runs for
    job_group: str | None
    description: str | None
    operation_tag: str | None = None  # the Spark Connect operation's job tag, if any
    # What its stages' RDDs read: (the SparkContext method, a path), e.g. ("textFile", "/in/a").
    rdd_reads: tuple[tuple[str, str], ...] = ()
    action: str | None = None  # the RDD operation the job runs for (spark.rdd.scope's name)
    call_site: str | None = None  # where the user's code started it, as Spark shortens it


@dataclass(frozen=True, slots=True)
class JobEnd:
    job_id: int
    time: int | None
    succeeded: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class SQLExecutionStart:
    execution_id: int
    root_execution_id: int | None  # 3.4+: the execution this one runs for (CTAS, saveAsTable…)
    description: str
    plan_description: str  # physicalPlanDescription: plan text, command arguments
    plan_info: Mapping[str, Any]  # sparkPlanInfo tree as Spark wrote it
    time: int | None
    # What ties the execution to a server operation: its job group (the Thrift server's
    # operation, 4.x) or its Spark Connect operation tag.
    job_group: str | None = None
    operation_tag: str | None = None


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

    @property
    def pre(self) -> bool:
        """Pre events announce an intent; only the others say it happened."""
        return self.kind.endswith("PreEvent")


@dataclass(frozen=True, slots=True)
class StreamingQueryProgress:
    """One micro-batch: the only place a stream's sources and sink are named."""

    run_id: str
    sources: tuple[str, ...]
    sink: str | None


@dataclass(frozen=True, slots=True)
class ServerSessionStarted:
    """A client session opened on a Thrift JDBC/ODBC or Spark Connect server."""

    server: str  # thrift | connect
    session_id: str
    user: str | None
    client: str | None  # the client's address (Thrift only)
    time: int | None


@dataclass(frozen=True, slots=True)
class ServerSessionClosed:
    session_id: str
    time: int | None


@dataclass(frozen=True, slots=True)
class ServerOperationStarted:
    """One statement (Thrift) or request (Connect) of a session: who sent what."""

    server: str
    operation_id: str
    session_id: str
    user: str | None
    statement: str  # the SQL text; a Connect request's plan as protobuf text
    group: str | None  # Thrift: the job group of its executions; Connect: their job tag
    time: int | None


@dataclass(frozen=True, slots=True)
class ServerOperationEnded:
    operation_id: str
    time: int | None
    error: str | None
    closed: bool = False  # closed (results released) rather than finished or failed


Event = (
    LogStart
    | ApplicationStart
    | ApplicationEnd
    | EnvironmentUpdate
    | JobStart
    | JobEnd
    | SQLExecutionStart
    | SQLAdaptiveExecutionUpdate
    | SQLExecutionEnd
    | CatalogEvent
    | StreamingQueryProgress
    | ServerSessionStarted
    | ServerSessionClosed
    | ServerOperationStarted
    | ServerOperationEnded
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
    "spark.openlineage.namespace",
    "spark.sql.maxMetadataStringLength",
    "spark.sql.debug.maxToStringFields",
    "spark.sql.ui.explainMode",
    "spark.databricks.clusterUsageTags.clusterName",
    "spark.master",
    "fs.defaultFS",
    "hive.metastore.uris",
    "hive.metastore.warehouse.dir",
)


class WrongShape(ValueError):
    """A field of a wanted event holds what Spark never writes there: the line is malformed."""


_MAX_ID = 2**63 - 1  # Spark's ids are Java ints and longs
_MAX_TIME = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: later is no time Spark wrote


def _shape(key: str, value: Any, wanted: str) -> WrongShape:
    return WrongShape(f"{key} is {type(value).__name__} {str(value)[:40]!r}, not {wanted}")


def _id(e: Mapping[str, Any], key: str) -> int:
    """A mandatory id (executionId, Job ID): a non-negative integer, never a bool."""
    value = e.get(key)
    if type(value) is not int or not 0 <= value <= _MAX_ID:
        raise _shape(key, value, "an id")
    return value


def _optional_id(e: Mapping[str, Any], key: str) -> int | None:
    return None if e.get(key) is None else _id(e, key)


def _time(e: Mapping[str, Any], key: str) -> int | None:
    """Epoch milliseconds; absent is None, a number outside the years 1970–9999 is wrong."""
    value = e.get(key)
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= _MAX_TIME:
        raise _shape(key, value, "a time in epoch milliseconds")
    return value


def _string(e: Mapping[str, Any], key: str) -> str | None:
    """A string field; absent is None. Numbers are taken as their text (vendors vary)."""
    value = e.get(key)
    if value is None or isinstance(value, str):
        return value
    if type(value) in (int, float):
        return str(value)
    raise _shape(key, value, "a string")


def _text(e: Mapping[str, Any], key: str) -> str | None:
    """Free text from the log, fit to keep: its secrets redacted."""
    value = _string(e, key)
    return None if value is None else redact_text(value)


def _object(e: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A nested JSON object; absent (or null) is empty."""
    value = e.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _shape(key, value, "an object")
    return value


def _array(e: Mapping[str, Any], key: str) -> list[Any]:
    """A JSON array; absent (or null) is empty."""
    value = e.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _shape(key, value, "an array")
    return value


def _objects(e: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """An array whose every item is an object."""
    items = _array(e, key)
    if not all(isinstance(item, dict) for item in items):
        raise WrongShape(f"{key} holds an item that is not an object")
    return items


def _log_start(e: dict[str, Any]) -> LogStart:
    return LogStart(_string(e, "Spark Version"))


def _application_start(e: dict[str, Any]) -> ApplicationStart:
    return ApplicationStart(
        app_id=_string(e, "App ID"),
        attempt=_string(e, "App Attempt ID"),
        name=_text(e, "App Name"),
        user=_text(e, "User"),
        time=_time(e, "Timestamp"),
    )


def _application_end(e: dict[str, Any]) -> ApplicationEnd:
    return ApplicationEnd(_time(e, "Timestamp"))


def _property_pairs(e: dict[str, Any], section: str) -> Iterator[tuple[str, Any]]:
    """One section of an environment update: an object, or (Spark 1.x) a list of pairs."""
    props = e.get(section)
    if isinstance(props, dict):
        yield from props.items()
    elif isinstance(props, list):
        for pair in props:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise WrongShape(f"{section} holds an item that is not a [key, value] pair")
            yield pair[0], pair[1]
    elif props is not None:
        raise _shape(section, props, "an object")


def _environment_update(e: dict[str, Any]) -> EnvironmentUpdate:
    kept: dict[str, str] = {}
    for section in ("Hadoop Properties", "Spark Properties"):  # Spark's own win on a clash
        for key, value in _property_pairs(e, section):
            if key.startswith(_KEPT_PROPERTIES):
                kept[key] = redact_property(key, str(value))
    return EnvironmentUpdate(tuple(sorted(kept.items())))


def _job_start(e: dict[str, Any]) -> JobStart:
    props = _object(e, "Properties")
    stages = _objects(e, "Stage Infos")
    return JobStart(
        job_id=_id(e, "Job ID"),
        time=_time(e, "Submission Time"),
        execution_id=_execution_property(props),
        job_group=_string(props, "spark.jobGroup.id"),
        description=_text(props, "spark.job.description"),
        operation_tag=_connect_tag((_string(props, "spark.job.tags") or "").split(",")),
        rdd_reads=_rdd_reads(stages),
        action=_scope_name(_string(props, "spark.rdd.scope")),
        call_site=_text(props, "callSite.short")
        or (_text(stages[-1], "Stage Name") if stages else None),
    )


# The SparkContext methods that read files: each names its RDDs after the paths it was given
# (``textFile`` and ``wholeTextFiles`` name the mapped RDD on top of the input RDD).
RDD_READS = frozenset(
    {
        "textFile",
        "wholeTextFiles",
        "binaryFiles",
        "hadoopFile",
        "newAPIHadoopFile",
        "sequenceFile",
        "objectFile",
    }
)
_SCOPE_NAME = re.compile(r'"name":"(\w+)"')


def _rdd_reads(stages: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """The paths a job's RDDs read: RDDs made by a reading method whose name is a path (the
    others are named after their class), each comma-separated path on its own, as Hadoop
    splits them; redacted (a path may hold credentials)."""
    reads: dict[tuple[str, str], None] = {}
    for stage in stages:
        for rdd in _objects(stage, "RDD Info"):
            method = _scope_name(_string(rdd, "Scope"))
            name = _string(rdd, "Name")
            if method in RDD_READS and name and "/" in name:
                for path in name.split(","):
                    if path.strip():
                        reads[(method, redact_text(path.strip()))] = None
    return tuple(reads)


def _scope_name(scope: str | None) -> str | None:
    """The operation of an RDD scope (``{"id":"2","name":"saveAsTextFile"}``)."""
    found = _SCOPE_NAME.search(scope) if scope else None
    return found.group(1) if found else None


def _connect_tag(tags: list[Any]) -> str | None:
    """The Spark Connect operation tag among a job's or an execution's tags."""
    return next((t for t in tags if isinstance(t, str) and t.startswith(CONNECT_TAG)), None)


def _execution_property(props: Mapping[str, Any]) -> int | None:
    """spark.sql.execution.id: a job property, so Spark writes it as a string of digits."""
    value = _string(props, "spark.sql.execution.id")
    if value is None:
        return None
    if not value.isdigit() or int(value) > _MAX_ID:
        raise _shape("spark.sql.execution.id", value, "an id")
    return int(value)


def _job_end(e: dict[str, Any]) -> JobEnd:
    result = _object(e, "Job Result")
    succeeded = result.get("Result") == "JobSucceeded"
    error = None if succeeded else _text(_object(result, "Exception"), "Message")
    return JobEnd(
        job_id=_id(e, "Job ID"),
        time=_time(e, "Completion Time"),
        succeeded=succeeded,
        error=error,
    )


def _sql_execution_start(e: dict[str, Any]) -> SQLExecutionStart:
    return SQLExecutionStart(
        execution_id=_id(e, "executionId"),
        root_execution_id=_optional_id(e, "rootExecutionId"),
        description=_text(e, "description") or "",
        plan_description=_text(e, "physicalPlanDescription") or "",
        plan_info=_object(e, "sparkPlanInfo"),
        time=_time(e, "time"),
        job_group=_string(e, "jobGroupId"),
        operation_tag=_connect_tag(_array(e, "jobTags")),
    )


def _sql_adaptive_update(e: dict[str, Any]) -> SQLAdaptiveExecutionUpdate:
    return SQLAdaptiveExecutionUpdate(
        execution_id=_id(e, "executionId"),
        plan_description=_text(e, "physicalPlanDescription") or "",
        plan_info=_object(e, "sparkPlanInfo"),
    )


def _sql_execution_end(e: dict[str, Any]) -> SQLExecutionEnd:
    return SQLExecutionEnd(
        execution_id=_id(e, "executionId"),
        time=_time(e, "time"),
        error=_text(e, "errorMessage") or None,
    )


def _catalog_event(e: dict[str, Any]) -> CatalogEvent:
    return CatalogEvent(
        kind=str(e["Event"]).removeprefix(CATALOG),
        database=_string(e, "database") or _string(e, "db"),
        name=_string(e, "name") or _string(e, "table"),
        new_name=_string(e, "newName"),
    )


def _query_progress(e: dict[str, Any]) -> StreamingQueryProgress:
    progress = _object(e, "progress")
    return StreamingQueryProgress(
        run_id=_string(progress, "runId") or "",
        sources=tuple(_string(s, "description") or "" for s in _objects(progress, "sources")),
        sink=_string(_object(progress, "sink"), "description"),
    )


def _required(e: Mapping[str, Any], key: str) -> str:
    """An id a server event cannot do without (session, operation)."""
    value = _string(e, key)
    if not value:
        raise _shape(key, value, "an id")
    return value


@dataclass(frozen=True, slots=True)
class _ServerKeys:
    """Where a server's session and operation events keep each field (the Thrift server
    and Spark Connect name them differently)."""

    server: str
    event_prefix: str
    user: str
    client: str | None
    session_time: str
    operation: str
    statement: str
    group: str
    operation_time: str
    error: str


_THRIFT_KEYS = _ServerKeys(
    "thrift", THRIFT + "Operation", "userName", "ip", "startTime", "id", "statement", "groupId",
    "startTime", "errorMsg",
)  # fmt: skip
_CONNECT_KEYS = _ServerKeys(
    "connect", CONNECT + "Operation", "userId", None, "eventTime", "operationId", "statementText",
    "jobTag", "eventTime", "errorMessage",
)  # fmt: skip


def _session_started(keys: _ServerKeys, e: dict[str, Any]) -> ServerSessionStarted:
    return ServerSessionStarted(
        server=keys.server,
        session_id=_required(e, "sessionId"),
        user=_text(e, keys.user),
        client=_text(e, keys.client) if keys.client else None,
        time=_time(e, keys.session_time),
    )


def _session_closed(time_key: str, e: dict[str, Any]) -> ServerSessionClosed:
    return ServerSessionClosed(_required(e, "sessionId"), _time(e, time_key))


def _operation_started(keys: _ServerKeys, e: dict[str, Any]) -> ServerOperationStarted:
    return ServerOperationStarted(
        server=keys.server,
        operation_id=_required(e, keys.operation),
        session_id=_required(e, "sessionId"),
        user=_text(e, keys.user),
        statement=_text(e, keys.statement) or "",
        group=_string(e, keys.group),
        time=_time(e, keys.operation_time),
    )


def _operation_ended(keys: _ServerKeys, e: dict[str, Any]) -> ServerOperationEnded:
    """Finished, failed, canceled, timed out or closed; the Thrift server keeps the time
    under ``finishTime`` or ``closeTime``, Connect under ``eventTime``."""
    kind = str(e["Event"]).removeprefix(keys.event_prefix)
    time_keys = ("eventTime",) if keys is _CONNECT_KEYS else ("finishTime", "closeTime")
    time = next((_time(e, k) for k in time_keys if e.get(k) is not None), None)
    plain_end = kind in ("Finish", "Finished", "Closed")
    error = _text(e, keys.error) or (None if plain_end else kind.lower())
    return ServerOperationEnded(_required(e, keys.operation), time, error, closed=kind == "Closed")


_thrift_operation_start = partial(_operation_started, _THRIFT_KEYS)
_connect_operation_started = partial(_operation_started, _CONNECT_KEYS)


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
    SQL_UI + "SparkListenerSQLExecutionStart": _sql_execution_start,
    SQL_UI + "SparkListenerSQLAdaptiveExecutionUpdate": _sql_adaptive_update,
    SQL_UI + "SparkListenerSQLExecutionEnd": _sql_execution_end,
    STREAMING + "QueryProgressEvent": _query_progress,
    THRIFT + "SessionCreated": partial(_session_started, _THRIFT_KEYS),
    THRIFT + "SessionClosed": partial(_session_closed, "finishTime"),
    THRIFT + "OperationStart": _thrift_operation_start,
    **dict.fromkeys(
        (
            THRIFT + f"Operation{end}"
            for end in ("Finish", "Error", "Canceled", "Timeout", "Closed")
        ),
        partial(_operation_ended, _THRIFT_KEYS),
    ),
    CONNECT + "SessionStarted": partial(_session_started, _CONNECT_KEYS),
    CONNECT + "SessionClosed": partial(_session_closed, "eventTime"),
    CONNECT + "OperationStarted": _connect_operation_started,
    **dict.fromkeys(
        (CONNECT + f"Operation{end}" for end in ("Finished", "Failed", "Canceled", "Closed")),
        partial(_operation_ended, _CONNECT_KEYS),
    ),
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
    A line longer than ``max_line`` bytes is skipped, as malformed, while it streams.
    """

    def __init__(
        self,
        source: LogSource,
        *,
        strict: bool = False,
        on_progress: Callable[[int], None] | None = None,
        max_line: int = MAX_LINE_BYTES,
    ) -> None:
        self.source = source
        self.strict = strict
        self.max_line = max_line
        self.on_progress = on_progress
        self.stats = ReadStats()

    def __iter__(self) -> Iterator[Event]:
        wanted, event_prefix, offset, task = WANTED, _EVENT_PREFIX, _TYPE_OFFSET, _TASK_EVENT
        last_file = self.source.files[-1]
        try:
            for batch in iter_line_batches(self.source, self.on_progress, self.max_line):
                for index, line in enumerate(batch.lines):
                    if line.startswith(task, offset):
                        continue  # starts like an event: never parsed, never malformed
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
    if isinstance(exc, WrongShape):
        return f"wrong shape: {exc}"
    return f"unexpected content: {type(exc).__name__} {exc}"
