"""The lineage report, sparklineage's own versioned JSON output (documented in docs/report.md),
written here and read back here into the same dataclasses.

Stable and diff-friendly: applications sorted by id and attempt, keys in a fixed order,
times as ISO-8601 UTC strings. Reading is the other half of the boundary: ``upload REPORT``
and ``check`` take reports, and whatever reads one gets :class:`Application` objects, never
the JSON, so a report file and freshly read logs go down the same path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, TypeVar

import orjson

from sparklineage.application import Application
from sparklineage.errors import UsageError, shown
from sparklineage.lineage.model import ColumnLineage, Query, compressed_plan, plan_text
from sparklineage.lineage.naming import Dataset, parse_id
from sparklineage.lineage.servers import Session
from sparklineage.redact import redact_url

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
    if app.openlineage_namespace:
        entry["openlineage_namespace"] = app.openlineage_namespace
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
        **({"job_ids": list(query.job_ids)} if query.job_ids else {}),  # an RDD query's jobs
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
    if plans and query.plan is not None:
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


# ------------------------------------------------------------------ reading a report back


def load_report(path: str) -> list[Application] | None:
    """The applications of the report in ``path``, or None when it is no report (a log: a
    ``.json`` name with the report's schema is what makes a file a report; a directory of
    part files that ``extract --format parts`` wrote is one too).

    A file that claims the schema but does not hold what this module writes (edited by hand,
    cut, another tool that borrowed the name) is refused whole, in one line naming it.
    """
    if os.path.isdir(path):
        return load_parts(path)
    if not path.endswith(".json") or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            document = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return None
    try:
        return applications_of(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(
            f"{shown(path)}: not a sparklineage report that can be read "
            f"({type(exc).__name__}: {str(exc)[:200]}); write it again with "
            "`sparklineage extract LOGS -o FILE`"
        ) from None


def load_parts(path: str) -> list[Application] | None:
    """The applications of the part files under ``path`` (``extract --format parts``: the
    whole output, or one ``date=…`` partition of it), day by day, each day as a report
    orders it; None when ``path`` holds no such parts (a log directory)."""
    parts = _part_files(path)
    if not parts or not _is_part_file(parts[0]):
        return None
    applications: list[Application] = []
    for day in sorted({os.path.dirname(p) for p in parts}):
        lines = (
            (part, number, line)
            for part in parts
            if os.path.dirname(part) == day
            for number, line in enumerate(_lines(part), 1)
        )
        applications.extend(sorted((_part_line(*line) for line in lines), key=sort_key))
    return applications


def _part_files(path: str) -> list[str]:
    """The part files of an output root (in its ``date=…`` directories) or of one day."""
    days = [path]
    if not os.path.basename(os.path.normpath(path)).startswith("date="):
        days = sorted(os.path.join(path, d) for d in os.listdir(path) if d.startswith("date="))
    return [
        os.path.join(day, name)
        for day in days
        if os.path.isdir(day)
        for name in sorted(os.listdir(day))
        if name.startswith("part-")
    ]


def _is_part_file(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(SCHEMA) + 16).startswith(b'{"schema":"' + SCHEMA.encode())


def _lines(path: str) -> list[bytes]:
    with open(path, "rb") as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


def _part_line(path: str, number: int, line: bytes) -> Application:
    """One line of a part file: a report document holding one application."""
    try:
        (app,) = applications_of(orjson.loads(line))
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
        raise UsageError(
            f"{shown(path)}:{number}: not a line of sparklineage part files "
            f"({type(exc).__name__}: {str(exc)[:200]}); write them again with "
            "`sparklineage extract LOGS --engine spark --format parts -o OUT`"
        ) from None
    return app


def applications_of(document: dict[str, Any]) -> list[Application]:
    """The applications of a report document, as :func:`application_entry` wrote them.

    Ids of an older report may hold credentials: they are read redacted (datasets and the
    column entries that point at them alike), so nothing read back names a secret.
    """
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r}, not {SCHEMA!r}")
    return [_application(entry) for entry in _list(document, "applications")]


def _application(entry: dict[str, Any]) -> Application:
    sessions = tuple(_session(s) for s in _list(entry, "sessions", optional=True))
    by_id = {s.id: s for s in sessions}
    return Application(
        id=_text(entry, "id"),
        attempt=_maybe(entry, "attempt", str),
        name=_maybe(entry, "name", str),
        user=_maybe(entry, "user", str),
        spark_version=_maybe(entry, "spark_version", str),
        start=_millis(entry, "start"),
        end=_millis(entry, "end"),
        source=_text(entry, "source"),
        complete=_typed(entry, "complete", bool),
        layout=_text(entry, "layout"),
        codec=_text(entry, "codec"),
        sql_executions=_typed(entry, "sql_executions", int),
        malformed_lines=_typed(entry, "malformed_lines", int),
        queries=tuple(_query(q, by_id) for q in _list(entry, "queries")),
        warnings=_texts(entry, "warnings"),
        read_error=_maybe(entry, "read_error", str),
        sessions=sessions,
        openlineage_namespace=_maybe(entry, "openlineage_namespace", str),
    )


def _session(entry: dict[str, Any], user: str | None = None) -> Session:
    return Session(
        id=_text(entry, "id"),
        server=_text(entry, "server"),
        user=_maybe(entry, "user", str) if "user" in entry else user,
        client=_maybe(entry, "client", str),
        start=_millis(entry, "start"),
        end=_millis(entry, "end"),
        statements=_typed(entry, "statements", int) if "statements" in entry else 0,
    )


def _query(entry: dict[str, Any], sessions: dict[str, Session]) -> Query:
    user = _maybe(entry, "user", str)
    session = _maybe(entry, "session", dict)
    plan = _maybe(entry, "plan", str)
    return Query(
        execution_id=_maybe(entry, "execution_id", int),
        job_ids=tuple(_typed({"id": i}, "id", int) for i in _list(entry, "job_ids", optional=True)),
        child_execution_ids=tuple(
            _typed({"id": i}, "id", int) for i in _list(entry, "child_execution_ids")
        ),
        operation=_text(entry, "operation"),
        status=_text(entry, "status"),
        description=_text(entry, "description"),
        start=_millis(entry, "start"),
        end=_millis(entry, "end"),
        inputs=tuple(_dataset(d) for d in _list(entry, "inputs")),
        outputs=tuple(_dataset(d) for d in _list(entry, "outputs")),
        target=_dataset(entry["target"]) if entry.get("target") is not None else None,
        columns=tuple(_column(c) for c in _list(entry, "columns")),
        plan=compressed_plan(plan) if plan is not None else None,
        unsupported=_texts(entry, "unsupported"),
        warnings=_texts(entry, "warnings"),
        error=_maybe(entry, "error", str),
        user=user,
        session=(sessions.get(_text(session, "id")) or _session(session, user))
        if session
        else None,
        statement=_maybe(entry, "statement", str),
    )


def _dataset(entry: Any) -> Dataset:
    if not isinstance(entry, dict):
        raise TypeError(f"a dataset is {type(entry).__name__}, not an object")
    return Dataset(
        parse_id(redact_url(_text(entry, "id"))),
        location=_maybe(entry, "location", str),
        format=_maybe(entry, "format", str),
        truncated=_typed(entry, "truncated", bool) if "truncated" in entry else False,
    )


def _column(entry: dict[str, Any]) -> ColumnLineage:
    sources = tuple(
        (redact_url(_text(s, "dataset")), _text(s, "column")) for s in _list(entry, "sources")
    )
    return ColumnLineage(
        dataset=redact_url(_text(entry, "dataset")),
        column=_text(entry, "column"),
        sources=sources,
        transform=_text(entry, "transform"),
        via=_text(entry, "via"),
    )


_T = TypeVar("_T")


def _typed(entry: dict[str, Any], key: str, kind: type[_T]) -> _T:
    if not isinstance(entry, dict):
        raise TypeError(f"{type(entry).__name__} where an object with {key!r} was expected")
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key!r} is {type(value).__name__}, not {kind.__name__}")
    return value


def _maybe(entry: dict[str, Any], key: str, kind: type[_T]) -> _T | None:
    return None if entry.get(key) is None else _typed(entry, key, kind)


def _text(entry: dict[str, Any], key: str) -> str:
    return _typed(entry, key, str)


def _list(entry: dict[str, Any], key: str, *, optional: bool = False) -> list[Any]:
    if optional and key not in entry:
        return []
    return _typed(entry, key, list)


def _texts(entry: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_text({key: item}, key) for item in _list(entry, key))


def _millis(entry: dict[str, Any], key: str) -> int | None:
    """A report time back in epoch milliseconds (the report writes whole milliseconds)."""
    moment = _maybe(entry, key, str)
    if moment is None:
        return None
    return round(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() * 1000)
