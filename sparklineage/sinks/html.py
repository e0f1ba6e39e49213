"""The lineage page: one self-contained HTML file that draws the report as a graph.

A lineage report is a graph, and people would rather look at one than read 500 lines of
``a → b``. The page needs no server and makes no request: its script, its style, its layout
library (dagre, vendored in ``html_page/``, see VENDOR.md there) and the lineage itself are
inline, and its Content-Security-Policy forbids fetching anything, so it opens the same from
``file://``, offline, as a CI artifact or a mail attachment.

Python's side is only the data: a compact document of applications, datasets, queries and
edges (each dataset once, referred to by index), which ``page.js`` lays out and draws. The
same document, with a state on every query and edge, is a lineage diff (``check --html``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import orjson

from sparklineage.application import Application
from sparklineage.lineage.model import Query, ref_order
from sparklineage.redact import redact_text
from sparklineage.sinks.report import iso_time, sort_key

_ASSETS = ("page.css", "dagre.min.js", "page.js")


def render_html(applications: Iterable[Application], *, title: str = "Spark lineage") -> bytes:
    """The page of a report: every application, its queries and what they read and wrote."""
    return page(lineage_document(sorted(applications, key=sort_key)), title=title)


def page(document: dict[str, Any], *, title: str) -> bytes:
    """The page around a lineage document (of :func:`lineage_document`, or a diff's)."""
    assets = {name: _asset(name) for name in _ASSETS}
    data = orjson.dumps(document).decode()
    # Inside <script>, only "</" can end the element early: JSON allows "<\/" for it.
    data = data.replace("</", "<\\/")
    template = _asset("page.html")
    return (
        template.replace("{{title}}", html.escape(title))
        .replace("{{style}}", assets["page.css"])
        .replace("{{data}}", data)
        .replace("{{layout}}", assets["dagre.min.js"].replace("</script", "<\\/script"))
        .replace("{{script}}", assets["page.js"])
        .encode()
    )


def _asset(name: str) -> str:
    return (resources.files("sparklineage.sinks") / "html_page" / name).read_text("utf-8")


class _Datasets:
    """Dataset ids, each given an index the first time it is met (the page refers to them
    by index: an id a hundred queries read is written once)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.entries: list[dict[str, Any]] = []

    def of(self, dataset_id: str, **about: Any) -> int:
        if dataset_id not in self.index:
            self.index[dataset_id] = len(self.entries)
            kind = dataset_id.partition(":")[0]
            self.entries.append({"id": dataset_id, "kind": kind, **about})
        return self.index[dataset_id]


def lineage_document(applications: Sequence[Application]) -> dict[str, Any]:
    """What the page draws: applications, datasets, queries (those that read or wrote
    something are nodes; all are counted) and read/write edges."""
    datasets = _Datasets()
    apps: list[dict[str, Any]] = []
    queries: list[dict[str, Any]] = []
    edges: list[list[Any]] = []
    for app in applications:
        apps.append(_app_entry(app))
        for query in app.queries:
            q = len(queries)
            queries.append(_query_entry(query, len(apps) - 1, datasets))
            for d in dict.fromkeys(query.inputs):
                edges.append([q, datasets.of(d.id, location=d.location, format=d.format), "r"])
            for d in dict.fromkeys(query.outputs):
                edges.append([q, datasets.of(d.id, location=d.location, format=d.format), "w"])
    return {
        "apps": apps,
        "datasets": datasets.entries,
        "queries": queries,
        "edges": edges,
        "warnings": sum(_warnings(a) for a in applications),
    }


def _warnings(app: Application) -> int:
    return len(app.warnings) + sum(len(q.warnings) for q in app.queries)


def _app_entry(app: Application) -> dict[str, Any]:
    return {
        "name": app.name or app.id,
        "id": app.id,
        "attempt": app.attempt,
        "spark": app.spark_version,
        "user": app.user,
        "source": app.source,
        "start": iso_time(app.start),
        "end": iso_time(app.end),
        "read_error": redact_text(app.read_error) if app.read_error else None,
        "warnings": [redact_text(w) for w in app.warnings],
    }


def _query_entry(query: Query, app: int, datasets: _Datasets) -> dict[str, Any]:
    """A query; its column lineage with datasets by index (``[dataset, column, [[source,
    column]…], transform]``), as the edges have them."""
    return {
        "app": app,
        "ex": query.ref,
        "op": query.operation,
        "status": query.status,
        "desc": redact_text(query.description),
        "start": iso_time(query.start),
        "end": iso_time(query.end),
        "user": query.user,
        "error": redact_text(query.error) if query.error else None,
        "warnings": [redact_text(w) for w in query.warnings],
        "unsupported": list(query.unsupported),
        "columns": [
            [
                datasets.of(c.dataset),
                c.column,
                [[datasets.of(d), column] for d, column in c.sources],
                c.transform,
            ]
            for c in query.columns
        ],
    }


def render_diff_html(expected: dict[str, Any], actual: dict[str, Any], *, title: str) -> bytes:
    """The page of a lineage diff (``check --html``): both sides' queries and edges, each
    marked added, removed or changed, so a reviewer sees what a change did to lineage."""
    return page(diff_document(expected, actual), title=title)


def diff_document(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """A lineage document of two expected-file lineages (application name → execution →
    query), with a state on what differs: ``added`` (in the logs only), ``removed`` (in the
    expected file only), ``changed`` (a query in both that differs)."""
    datasets = _Datasets()
    apps: list[dict[str, Any]] = []
    queries: list[dict[str, Any]] = []
    edges: list[list[Any]] = []
    counts = {"added": 0, "removed": 0, "changed": 0}
    for name in sorted(expected.keys() | actual.keys()):
        old_app, new_app = expected.get(name, {}), actual.get(name, {})
        side = "expected and logs" if old_app and new_app else "logs" if new_app else "expected"
        apps.append({"name": name, "id": name, "source": f"{name}: in the {side}", "warnings": []})
        for execution in sorted(old_app.keys() | new_app.keys(), key=ref_order):
            old, new = old_app.get(execution), new_app.get(execution)
            q = len(queries)
            queries.append(_diff_query(len(apps) - 1, execution, old, new))
            for field, mark in (("inputs", "r"), ("outputs", "w")):
                before = set((old or {}).get(field, ()))
                after = set((new or {}).get(field, ()))
                for dataset_id in sorted(before | after):
                    state = (
                        ""
                        if dataset_id in before & after
                        else "added"
                        if dataset_id in after
                        else "removed"
                    )
                    if state:
                        counts[state] += 1
                    edges.append([q, datasets.of(dataset_id), mark, state])
            counts["changed"] += bool(queries[-1]["state"])
    return {
        "apps": apps,
        "datasets": datasets.entries,
        "queries": queries,
        "edges": edges,
        "warnings": 0,
        "diff": counts,
    }


def _state(expected: bool, actual: bool) -> str:
    """Added (in the logs only), removed (expected only), or "" (on both sides)."""
    return "" if expected and actual else "added" if actual else "removed"


def _diff_query(app: int, execution: str, old: Any, new: Any) -> dict[str, Any]:
    """A query of either side; its state, and what changed in it, one line each."""
    from sparklineage.check import query_changes

    query = new or old
    changes = query_changes(old or {}, new or {}) if old and new else []
    state = _state(old is not None, new is not None) or ("changed" if changes else "")
    return {
        "app": app,
        "ex": execution,
        "op": query["operation"],
        "status": query.get("status"),
        "desc": "",
        "user": query.get("user"),
        "warnings": [],
        "unsupported": [],
        "columns": [],
        "state": state,
        "changes": [redact_text(c) for c in changes],
    }
