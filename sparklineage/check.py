"""``sparklineage check``: the lineage of a run against an expected file, as a readable diff.

The expected file keeps only what does not change from one run of the same job to the next:
applications by name (their ids are new every run), queries by execution id with their
operation, status, the ids of what they read and wrote, their column lineage
(``column ← dataset.column (transform)``) and, on a multi-user server, the user who ran them
(a job that starts running under the wrong principal is a change). No times, no log paths,
no session ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from sparklineage.application import Application
from sparklineage.errors import UsageError
from sparklineage.lineage.model import ref_order
from sparklineage.redact import redact_text

SCHEMA = "sparklineage.expected/1"


def expected_document(applications: Iterable[Application]) -> dict[str, Any]:
    """The deterministic, sorted lineage of a run: what the expected file holds."""
    return {"schema": SCHEMA, "applications": _by_name(applications)}


def render_expected(applications: Iterable[Application]) -> bytes:
    return orjson.dumps(expected_document(applications), option=orjson.OPT_INDENT_2) + b"\n"


def _by_name(applications: Iterable[Application]) -> dict[str, Any]:
    """Applications keyed by name; a name met twice gets ``#2``, ``#3`` in start order."""
    keyed: dict[str, Any] = {}
    for app in sorted(applications, key=lambda a: (a.name or a.id, a.start or 0, a.attempt or "")):
        base = app.name or app.id
        key, n = base, 1
        while key in keyed:
            n += 1
            key = f"{base}#{n}"
        keyed[key] = {
            q.ref: {
                "operation": q.operation,
                "status": q.status,
                "inputs": [d.id for d in q.inputs],
                "outputs": [d.id for d in q.outputs],
                **({"target": q.target.id} if q.target else {}),  # database DDL, REFRESH
                **({"user": q.user} if q.user else {}),  # queries of a multi-user server
                "columns": sorted(
                    f"{c.dataset}.{c.column} ← {source}.{column} ({c.transform})"
                    for c in q.columns
                    for source, column in c.sources
                ),
            }
            for q in app.queries
        }
    return keyed


def load_expected(data: bytes, source: str) -> dict[str, Any]:
    """The applications of an expected file, or a usage error saying what is wrong with it."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{source}: not a JSON expected-lineage file ({exc})") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise UsageError(f"{source}: not a sparklineage expected file (schema {SCHEMA!r} missing)")
    applications: Any = document.get("applications")
    problem = _shape_problem(applications)
    if problem:
        raise UsageError(
            f"{source}: not a valid expected file ({problem}); write it again with --update"
        )
    return applications


_LISTS = ("inputs", "outputs", "columns")
_QUERY_KEY = re.compile(r"\d+|job-\d+")  # a root execution id, or an RDD query's first job


def _shape_problem(applications: Any) -> str | None:
    """What in an expected file's applications is not as :func:`expected_document` writes
    it (a hand edit gone wrong), or None."""
    if not isinstance(applications, dict):
        return "applications is not an object"
    for name, queries in applications.items():
        if not isinstance(queries, dict):
            return f"application {name!r} is not an object of queries"
        for execution, query in queries.items():
            where = f"application {name!r} query {execution!r}"
            if not _QUERY_KEY.fullmatch(execution):
                return f"{where}: the key is not an execution id or job-N"
            if not isinstance(query, dict) or not isinstance(query.get("operation"), str):
                return f"{where} has no operation"
            for field in ("status", "target", "user"):
                if query.get(field) is not None and not isinstance(query[field], str):
                    return f"{where}: {field} is not a string"
            for field in _LISTS:
                items = query.get(field, [])
                if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                    return f"{where}: {field} is not a list of strings"
    return None


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What changed, one line each: applications, queries, operations, edges; redacted, as
    an expected file written before a secret was known to be one may still show it."""
    lines: list[str] = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            lines.append(f"- application {name!r}: expected, not in the logs")
        elif name not in expected:
            lines.append(f"+ application {name!r}: in the logs, not expected")
        else:
            lines.extend(
                f"application {name!r}: {d}"
                for d in _query_differences(expected[name], actual[name])
            )
    return [redact_text(line) for line in lines]


def _shown(ref: str) -> str:
    """``#3`` for an execution, ``job-7`` for an RDD query, as the text output names them."""
    return ref if ref.startswith("job-") else f"#{ref}"


def _query_differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for execution in sorted(expected.keys() | actual.keys(), key=ref_order):
        old, new = expected.get(execution), actual.get(execution)
        if new is None:
            lines.append(f"- query {_shown(execution)} {_summary(old)}")
        elif old is None:
            lines.append(f"+ query {_shown(execution)} {_summary(new)}")
        else:
            lines.extend(f"query {_shown(execution)}: {d}" for d in query_changes(old, new))
    return lines


def query_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed in one query of the expected file, one line each (``- reads …``)."""
    lines = []
    for field in ("operation", "status", "target", "user"):
        if old.get(field) != new.get(field):
            lines.append(f"{field} {old.get(field) or '–'} → {new.get(field) or '–'}")
    for side, verb in (("inputs", "reads"), ("outputs", "writes"), ("columns", "column")):
        before, after = set(old.get(side, ())), set(new.get(side, ()))
        lines.extend(f"- {verb} {d}" for d in sorted(before - after))
        lines.extend(f"+ {verb} {d}" for d in sorted(after - before))
    return lines


def _summary(query: dict[str, Any] | None) -> str:
    query = query or {}
    by = f" by {query['user']}" if query.get("user") else ""
    if query.get("target"):
        return f"{query['operation']}{by}: {query['target']}"
    reads = ", ".join(query.get("inputs", ())) or "–"
    writes = ", ".join(query.get("outputs", ())) or "–"
    return f"{query['operation']}{by}: {reads} → {writes}"
