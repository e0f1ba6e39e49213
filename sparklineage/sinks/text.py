"""The report for people at a terminal: one block per application, readable at a glance."""

from __future__ import annotations

from collections.abc import Iterable

from sparklineage.application import Application
from sparklineage.lineage.model import UNLOGGED_WRITE, UNNAMED_READ, ColumnLineage, Query
from sparklineage.sinks.report import iso_time, sort_key


def render_text(applications: Iterable[Application], *, columns: bool = False) -> str:
    """Applications and their queries; with ``columns``, each written column's sources."""
    blocks = (_application_block(a, columns) for a in sorted(applications, key=sort_key))
    return "\n".join(blocks)


def _application_block(app: Application, columns: bool) -> str:
    attempt = f" (attempt {app.attempt})" if app.attempt else ""
    name = f"  {app.name!r}" if app.name else ""
    state = "complete" if app.complete else "incomplete"
    lines = [
        f"{app.id}{attempt}{name}",
        f"  Spark {app.spark_version or '?'}, user {app.user or '?'}, "
        f"{iso_time(app.start) or '?'} → {iso_time(app.end) or '?'}, {state}",
        f"  {app.layout} log, codec {app.codec}: {app.source}",
        f"  {app.sql_executions} SQL executions, {app.malformed_lines} malformed lines",
    ]
    if app.read_error:
        lines.append(f"  error: {app.read_error}")
    lines.extend(f"  warning: {w}" for w in app.warnings)
    if app.sessions:
        users = ", ".join(sorted({s.user or "?" for s in app.sessions}))
        plural = "s" if len(app.sessions) > 1 else ""
        lines.append(f"  {len(app.sessions)} server session{plural}, users: {users}")
    for query in app.queries:
        lines.append(_query_line(query))
        if columns:
            lines.extend(_column_line(c) for c in query.columns)
    return "\n".join(lines) + "\n"


def _column_line(column: ColumnLineage) -> str:
    """``      total ← table:db.orders.amount (aggregation)``."""
    sources = ", ".join(f"{dataset}.{name}" for dataset, name in column.sources)
    return f"      {column.column} ← {sources} ({column.transform})"


def _query_line(query: Query) -> str:
    """``  #3 ctas: table:a, path:b → table:c`` with the status when it is not a success and,
    on a multi-user server, who ran it (``  #3 ctas by alice: …``). ``–`` is "none";
    what a query read or wrote that the log does not name is ``(not in the log)``."""
    reads = ", ".join([*(d.id for d in query.inputs), *_unnamed(query, UNNAMED_READ)]) or "–"
    writes = ", ".join([*(d.id for d in query.outputs), *_unnamed(query, UNLOGGED_WRITE)])
    writes = writes or "–"
    status = "" if query.status == "succeeded" else f" [{query.status}]"
    unsupported = f"  (unsupported: {', '.join(query.unsupported)})" if query.unsupported else ""
    edges = query.target.id if query.target else f"{reads} → {writes}"
    user = f" by {query.user}" if query.user else ""
    return f"  {_label(query)} {query.operation}{user}{status}: {edges}{unsupported}"


def _label(query: Query) -> str:
    """``#3`` for a SQL query, ``job-7`` for an RDD query (it has no execution id)."""
    return f"#{query.execution_id}" if query.execution_id is not None else query.ref


def _unnamed(query: Query, warning: str) -> list[str]:
    """``(not in the log)`` when a warning of the query says the log names no such dataset."""
    return ["(not in the log)"] if any(warning in w for w in query.warnings) else []
