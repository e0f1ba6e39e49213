"""Applications as OpenLineage run events (spec 2-0-2), for Marquez, OpenMetadata, DataHub…

One run per application and one per query, the query's run pointing at its application's
through the ``parent`` facet, at the times the log gives (never the wall clock). Run ids are
UUIDs derived from the application key and execution id, so exporting the same logs again
names the same runs and a consumer that upserts by run id changes nothing.

Datasets are named as OpenLineage's own Spark integration names them (``naming.md`` of the
spec, and its Java client's file-system rules): ``file`` + path for local files, the bucket
as namespace and the key as name for ``s3``/``gs``/``wasbs``, ``scheme://authority`` +
path for HDFS, ABFS and the rest; a catalog table is its location when the log shows one,
with a ``symlinks`` facet naming the table (and a table without one is named in
:attr:`OpenLineageOptions.table_namespace`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from sparklineage import __version__
from sparklineage.application import Application
from sparklineage.lineage.model import ColumnLineage, Query
from sparklineage.lineage.naming import (
    Dataset,
    JdbcName,
    KafkaName,
    PathName,
    TableName,
    ViewName,
    path_name,
)
from sparklineage.redact import redact_text
from sparklineage.sinks.report import iso_time

PRODUCER = f"https://pypi.org/project/spark-eventlog-lineage/{__version__}/"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_FACETS = "https://openlineage.io/spec/facets"
FACET_SCHEMAS = {  # facet key -> (schema file version, definition)
    "parent": ("1-2-0/ParentRunFacet.json", "ParentRunFacet"),
    "errorMessage": ("1-0-1/ErrorMessageRunFacet.json", "ErrorMessageRunFacet"),
    "processing_engine": ("1-1-1/ProcessingEngineRunFacet.json", "ProcessingEngineRunFacet"),
    "jobType": ("2-0-4/JobTypeJobFacet.json", "JobTypeJobFacet"),
    "sql": ("1-1-0/SQLJobFacet.json", "SQLJobFacet"),
    "schema": ("1-2-0/SchemaDatasetFacet.json", "SchemaDatasetFacet"),
    "columnLineage": ("1-2-0/ColumnLineageDatasetFacet.json", "ColumnLineageDatasetFacet"),
    "symlinks": ("1-0-1/SymlinksDatasetFacet.json", "SymlinksDatasetFacet"),
    "lifecycleStateChange": (
        "1-0-1/LifecycleStateChangeDatasetFacet.json",
        "LifecycleStateChangeDatasetFacet",
    ),
}
# Run ids: UUIDv5 under this namespace, of the application key (and execution id).
RUN_ID_NAMESPACE = uuid.UUID("5d3c3a8e-7f1b-4c55-9a43-3b9e1f0c2a61")

_OBJECT_STORES = {
    "s3": "s3",
    "s3a": "s3",
    "s3n": "s3",
    "gs": "gs",
    "wasb": "wasbs",
    "wasbs": "wasbs",
}
_LIFECYCLE = {
    "create_table": "CREATE", "ctas": "CREATE", "create_view": "CREATE", "save_as_table": "CREATE",
    "drop_table": "DROP", "drop_view": "DROP", "rename_table": "RENAME",
    "truncate_table": "TRUNCATE", "insert_overwrite": "OVERWRITE",
    "insert_overwrite_directory": "OVERWRITE", "alter_table": "ALTER",
    # as OpenLineage's Spark integration says a row-level UPDATE, DELETE or MERGE
    "update_rows": "OVERWRITE", "merge": "OVERWRITE",
}  # fmt: skip
_DIRECT = {"identity": "IDENTITY", "transformation": "TRANSFORMATION", "aggregation": "AGGREGATION"}
_CALL_SITE = re.compile(r"\bat \S+:\d+\s*$")  # "count at <stdin>:1": an action, not SQL


@dataclass(frozen=True)
class OpenLineageOptions:
    """How runs and datasets are named for an OpenLineage consumer."""

    namespace: str | None = None  # the job namespace; None: each application's own
    table_namespace: str = "hive"  # catalog tables: e.g. hive://metastore:9083


# OpenLineage-spark's job namespace where ``spark.openlineage.namespace`` is not set.
DEFAULT_NAMESPACE = "default"


def job_namespace(app: Application, options: OpenLineageOptions) -> str:
    """The namespace of an application's jobs: the one asked for, else the one its cluster
    gave OpenLineage-spark (``spark.openlineage.namespace``), so runs of a cluster that later
    installs the listener land beside these, else OpenLineage-spark's default."""
    return options.namespace or app.openlineage_namespace or DEFAULT_NAMESPACE


def run_events(
    applications: Iterable[Application], options: OpenLineageOptions
) -> Iterator[dict[str, Any]]:
    """Every run event of every application, each application's in event-time order."""
    for app in applications:
        events = list(_application_events(app, options))
        events.sort(key=lambda e: (e["eventTime"], _ORDER[e["eventType"]]))
        yield from events


def render_ndjson(applications: Iterable[Application], options: OpenLineageOptions) -> bytes:
    """One run event per line (what ``extract --format openlineage`` writes)."""
    return b"".join(orjson.dumps(e) + b"\n" for e in run_events(applications, options))


_ORDER = {"START": 0, "RUNNING": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2, "OTHER": 3}


def application_run_id(app: Application) -> str:
    return str(uuid.uuid5(RUN_ID_NAMESPACE, app.key))


def query_run_id(app: Application, query: Query) -> str:
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{app.key}/{query.ref}"))


def _application_events(app: Application, options: OpenLineageOptions) -> Iterator[dict[str, Any]]:
    start = app.start if app.start is not None else app.end
    if start is None:
        return  # no time at all in the log: nothing to place the runs at
    job = {"namespace": job_namespace(app, options), "name": _job_name(app.name or app.id)}
    run_id = application_run_id(app)
    engine = _facet(
        "processing_engine",
        version=app.spark_version or "unknown",
        name="spark",
        openlineageAdapterVersion=__version__,
    )
    job_facets = {"jobType": _facet("jobType", processingType="BATCH", integration="SPARK",
                                    jobType="APPLICATION")}  # fmt: skip
    run = {"runId": run_id, "facets": {"processing_engine": engine}}
    yield _event("START", start, run, {**job, "facets": job_facets})
    parent = _facet("parent", run={"runId": run_id}, job=job)
    naming = _Naming(options, _tables_by_location(app))
    for query in app.queries:
        yield from _query_events(app, query, start, parent, engine, naming)
    if app.end is not None and app.complete:
        yield _event("COMPLETE", app.end, {"runId": run_id}, job)


def _query_events(
    app: Application,
    query: Query,
    app_start: int,
    parent: dict[str, Any],
    engine: dict[str, Any],
    naming: _Naming,
) -> Iterator[dict[str, Any]]:
    started = query.start if query.start is not None else app_start
    run: dict[str, Any] = {
        "runId": query_run_id(app, query),
        "facets": {"parent": parent, "processing_engine": engine},
    }
    job = {"namespace": parent["job"]["namespace"], "name": _query_job_name(app, query)}
    job_facets: dict[str, Any] = {
        "jobType": _facet(
            "jobType",
            processingType="STREAMING" if query.operation == "stream_write" else "BATCH",
            integration="SPARK",
            jobType="SQL_JOB",
        )
    }
    sql = _sql_text(query)
    if sql:
        job_facets["sql"] = _facet("sql", query=sql, dialect="spark")
    inputs = [naming.dataset(d) for d in query.inputs]
    outputs = [_output(query, d, naming) for d in query.outputs]
    yield _event("START", started, run, {**job, "facets": job_facets}, inputs, outputs)
    if query.status == "running":
        return
    ended = query.end if query.end is not None else started
    done: dict[str, Any] = {"runId": run["runId"]}
    if query.status == "failed":
        message = redact_text(query.error or "the query failed")
        done["facets"] = {
            "errorMessage": _facet("errorMessage", message=message, programmingLanguage="JAVA")
        }
    kind = "FAIL" if query.status == "failed" else "COMPLETE"
    yield _event(kind, ended, done, job, inputs, outputs)


def _event(
    kind: str,
    millis: int,
    run: dict[str, Any],
    job: dict[str, Any],
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": iso_time(millis),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": run,
        "job": job,
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def _facet(key: str, **fields: Any) -> dict[str, Any]:
    path, definition = FACET_SCHEMAS[key]
    return {"_producer": PRODUCER, "_schemaURL": f"{_FACETS}/{path}#/$defs/{definition}", **fields}


# ------------------------------------------------------------------ datasets


def dataset_identifier(dataset: Dataset, options: OpenLineageOptions) -> tuple[str, str]:
    """(namespace, name) of a dataset as OpenLineage names it."""
    name = dataset.name
    if isinstance(name, PathName):
        return _path_identifier(name)
    if isinstance(name, TableName | ViewName):
        if dataset.location:
            return _path_identifier(path_name(dataset.location))
        return options.table_namespace, name.text()
    if isinstance(name, JdbcName):
        return _jdbc_namespace(name.url), name.table
    if isinstance(name, KafkaName):
        return f"kafka://{name.servers.split(',')[0]}", name.topic
    return "sparklineage", dataset.id  # relations and databases: no storage of their own


def _path_identifier(path: PathName) -> tuple[str, str]:
    if path.scheme == "file":
        return ("file" if not path.authority else f"file://{path.authority}"), path.path or "/"
    store = _OBJECT_STORES.get(path.scheme)
    if store is not None and path.authority:
        return f"{store}://{path.authority}", path.path.lstrip("/") or "/"
    if path.authority is None:
        return path.scheme, path.path or "/"
    return f"{path.scheme}://{path.authority}", path.path or "/"


def _jdbc_namespace(url: str) -> str:
    """``jdbc:postgresql://host:5432/db`` as ``postgres://host:5432`` (naming.md)."""
    found = re.match(r"^jdbc:([a-z0-9]+):(?://)?([^/;?]*)", url)
    if not found:
        return url
    driver, authority = found.groups()
    scheme = {"postgresql": "postgres", "sqlserver": "mssql", "mariadb": "mysql"}.get(
        driver, driver
    )
    return f"{scheme}://{authority}"


def _tables_by_location(app: Application) -> dict[str, str]:
    """The tables of an application whose location its log shows: location -> table."""
    return {
        d.location: d.name.text()
        for q in app.queries
        for d in (*q.inputs, *q.outputs)
        if isinstance(d.name, TableName) and d.location
    }


@dataclass(frozen=True)
class _Naming:
    """How one application's datasets are named: the options, and which paths are tables."""

    options: OpenLineageOptions
    tables: dict[str, str]  # location -> table, for the symlinks of paths read or written

    def dataset(self, dataset: Dataset) -> dict[str, Any]:
        namespace, name = dataset_identifier(dataset, self.options)
        entry: dict[str, Any] = {"namespace": namespace, "name": name}
        table = self._table_of(dataset)
        if table:
            link = {"namespace": self.options.table_namespace, "name": table, "type": "TABLE"}
            entry["facets"] = {"symlinks": _facet("symlinks", identifiers=[link])}
        return entry

    def _table_of(self, dataset: Dataset) -> str | None:
        """The table a dataset named by its location is (a table, or a path the application
        also knows as a table's): the table is what users search for."""
        if isinstance(dataset.name, TableName | ViewName) and dataset.location:
            return dataset.name.text()
        if isinstance(dataset.name, PathName):
            return self.tables.get(dataset.name.uri)
        return None


def _output(query: Query, dataset: Dataset, naming: _Naming) -> dict[str, Any]:
    options = naming.options
    entry = naming.dataset(dataset)
    facets: dict[str, Any] = entry.get("facets", {})
    columns = [c for c in query.columns if c.dataset == dataset.id]
    if columns:
        written = sorted({c.column for c in columns})
        facets["schema"] = _facet("schema", fields=[{"name": c} for c in written])
        facets["columnLineage"] = _facet("columnLineage", fields=_fields(columns, query, options))
    change = _LIFECYCLE.get(query.operation)
    if change:
        lifecycle = _facet("lifecycleStateChange", lifecycleStateChange=change)
        if change == "RENAME" and query.inputs:
            old_namespace, old_name = dataset_identifier(query.inputs[0], options)
            lifecycle["previousIdentifier"] = {"namespace": old_namespace, "name": old_name}
        facets["lifecycleStateChange"] = lifecycle
    if facets:
        entry["facets"] = facets
    return entry


def _fields(
    columns: list[ColumnLineage], query: Query, options: OpenLineageOptions
) -> dict[str, Any]:
    by_id = {d.id: d for d in query.inputs}
    fields: dict[str, Any] = {}
    for column in columns:
        inputs = fields.setdefault(column.column, {"inputFields": []})["inputFields"]
        kind, subtype = (
            ("DIRECT", _DIRECT[column.transform])
            if column.transform in _DIRECT
            else ("INDIRECT", column.transform.upper())
        )
        for source_id, source_column in column.sources:
            source = by_id.get(source_id)
            if source is None:
                continue
            namespace, name = dataset_identifier(source, options)
            inputs.append(
                {
                    "namespace": namespace,
                    "name": name,
                    "field": source_column,
                    "transformations": [{"type": kind, "subtype": subtype}],
                }
            )
    return fields


# ------------------------------------------------------------------ jobs


def _job_name(text: str) -> str:
    """Names as OpenLineage-spark normalises them: lower case, ``_`` for anything else."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "spark"


def _query_job_name(app: Application, query: Query) -> str:
    """``{app}.{operation}.{target}`` (OpenLineage-spark: ``{appName}.{command}.{table}``)."""
    target = query.outputs[0] if query.outputs else query.target
    parts = [_job_name(app.name or app.id), query.operation]
    if target is not None:
        parts.append(_job_name(dataset_target(target)))
    return ".".join(parts)


def dataset_target(dataset: Dataset) -> str:
    name = dataset.name
    if isinstance(name, PathName):
        return name.path.rstrip("/").rpartition("/")[2] or name.uri
    return name.text()


def _sql_text(query: Query) -> str | None:
    """The SQL the query ran, where the log has it: a server's statement, or a description
    that is SQL (a DataFrame action's description is its call site, not SQL)."""
    text = query.statement or query.description
    if not text or _CALL_SITE.search(text):
        return None
    return redact_text(text)
