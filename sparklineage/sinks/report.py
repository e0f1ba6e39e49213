"""The lineage report, sparklineage's own versioned JSON output (documented in docs/report.md).

Stable and diff-friendly: applications sorted by id and attempt, keys in a fixed order,
times as ISO-8601 UTC strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import orjson

from sparklineage.application import Application
from sparklineage.lineage.model import ColumnLineage, Query, plan_text
from sparklineage.lineage.naming import Dataset
from sparklineage.lineage.servers import Session

SCHEMA = "sparklineage.report/1"


def iso_time(millis: int | None) -> str | None:
    """Epoch milliseconds as ``2024-01-01T12:00:00.123Z``."""
    if millis is None:
        return None
    moment = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def application_entry(app: Application, *, plans: bool = False) -> dict[str, Any]:
    """One application as the report shows it; a server's sessions only where it has them."""
    entry = {
        "id": app.id,
        "attempt": app.attempt,
        "name": app.name,
        "user": app.user,
        "spark_version": app.spark_version,
        "start": iso_time(app.start),
        "end": iso_time(app.end),
        "source": app.source,
        "complete": app.complete,
        "layout": app.layout,
        "codec": app.codec,
        "sql_executions": app.sql_executions,
        "malformed_lines": app.malformed_lines,
        "read_error": app.read_error,
        "warnings": list(app.warnings),
        "queries": [query_entry(q, plans=plans, server=bool(app.sessions)) for q in app.queries],
    }
    if app.sessions:
        entry["sessions"] = [session_entry(s) for s in app.sessions]
    return entry


def session_entry(session: Session, *, with_user: bool = True) -> dict[str, Any]:
    """A server session: its id, server, user, client address and when it was open."""
    entry: dict[str, Any] = {"id": session.id, "server": session.server}
    if with_user:
        entry["user"] = session.user
    entry.update(
        client=session.client,
        start=iso_time(session.start),
        end=iso_time(session.end),
    )
    if with_user:
        entry["statements"] = session.statements
    return entry


def query_entry(query: Query, *, plans: bool = False, server: bool = False) -> dict[str, Any]:
    """One query as the report shows it (its plan text only when asked: plans are big); a
    query of a multi-user server (``server``) says who ran it, where and what."""
    entry = {
        "execution_id": query.execution_id,
        "child_execution_ids": list(query.child_execution_ids),
        "operation": query.operation,
        "status": query.status,
        "description": query.description,
        "start": iso_time(query.start),
        "end": iso_time(query.end),
        "inputs": [dataset_entry(d) for d in query.inputs],
        "outputs": [dataset_entry(d) for d in query.outputs],
        "target": dataset_entry(query.target) if query.target else None,
        "columns": [column_entry(c) for c in query.columns],
        "unsupported": list(query.unsupported),
        "warnings": list(query.warnings),
        "error": query.error,
    }
    if server or query.session is not None:
        entry["user"] = query.user
        entry["session"] = session_entry(query.session, with_user=False) if query.session else None
        entry["statement"] = query.statement
    if plans:
        entry["plan"] = plan_text(query)
    return entry


def column_entry(column: ColumnLineage) -> dict[str, Any]:
    return {
        "dataset": column.dataset,
        "column": column.column,
        "sources": [{"dataset": d, "column": c} for d, c in column.sources],
        "transform": column.transform,
        "via": column.via,
    }


def dataset_entry(dataset: Dataset) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": dataset.id,
        "kind": dataset.kind,
        "location": dataset.location,
        "format": dataset.format,
    }
    if dataset.truncated:
        entry["truncated"] = True
    return entry


def sort_key(app: Application) -> tuple[str, str, str]:
    return (app.id, app.attempt or "", app.source)


def report_document(applications: Iterable[Application], *, plans: bool = False) -> dict[str, Any]:
    """The whole report for a run; with ``plans``, each query's plan text too."""
    entries = [application_entry(a, plans=plans) for a in sorted(applications, key=sort_key)]
    return {"schema": SCHEMA, "applications": entries}


def render_json(applications: Iterable[Application], *, plans: bool = False) -> bytes:
    document = report_document(applications, plans=plans)
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
