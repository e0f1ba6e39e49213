"""The report for people at a terminal: one block per application, readable at a glance."""

from __future__ import annotations

from collections.abc import Iterable

from sparklineage.application import Application
from sparklineage.lineage.model import Query
from sparklineage.sinks.report import iso_time, sort_key


def render_text(applications: Iterable[Application]) -> str:
    return "\n".join(_application_block(a) for a in sorted(applications, key=sort_key))


def _application_block(app: Application) -> str:
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
    lines.extend(_query_line(q) for q in app.queries)
    return "\n".join(lines) + "\n"


def _query_line(query: Query) -> str:
    """``  #3 ctas: table:a, path:b → table:c`` with the status when it is not a success."""
    reads = ", ".join(d.id for d in query.inputs) or "–"
    writes = ", ".join(d.id for d in query.outputs) or "–"
    status = "" if query.status == "succeeded" else f" [{query.status}]"
    unsupported = f"  (unsupported: {', '.join(query.unsupported)})" if query.unsupported else ""
    return f"  #{query.execution_id} {query.operation}{status}: {reads} → {writes}{unsupported}"
