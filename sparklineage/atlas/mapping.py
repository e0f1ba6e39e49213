"""A lineage report as what to send to Atlas: datasets, applications, processes, deletes.

Works on the report document (``sparklineage.report/1``), so a report file and freshly read
logs map the same way. One ``spark_application`` per application attempt (qualifiedName: the
application id, ``/attempt`` added for attempts), one ``spark_process`` per query that reads
or writes a dataset (``<application>/<executionId>``), linked to its application; or, with
``rollup``, one process per application, the shape the JVM connector had.

Processes point at datasets by unique attribute, and datasets are sent in earlier requests
(Atlas resolves such references only against entities already stored). What the application
left dropped (DROP TABLE/VIEW/DATABASE, and the old name of a RENAME) is soft-deleted by unique
attribute at the end; a name dropped and created again is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from sparklineage.atlas.datasets import AtlasDataset, atlas_dataset

_DROPS = {"drop_table", "drop_view", "drop_database"}


@dataclass(frozen=True)
class MappingOptions:
    cluster: str = "primary"
    spark_types: bool = False  # spark_table / spark_db instead of the scanners' hive types
    rollup: bool = False  # one process per application


@dataclass
class AtlasPlan:
    """Everything one upload does, in the order it must be done."""

    datasets: dict[tuple[str, str], AtlasDataset] = field(default_factory=dict)
    applications: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[tuple[str, str], AtlasDataset] = field(default_factory=dict)

    @property
    def deletes(self) -> list[AtlasDataset]:
        return list(self.dropped.values())

    def payloads(self) -> dict[str, Any]:
        """The plan as JSON, for ``extract --format atlas`` and ``--dry-run``."""
        return {
            "datasets": {"entities": [d.entity() for d in self.datasets.values()]},
            "applications": {"entities": self.applications},
            "processes": {"entities": self.processes},
            "deletes": [d.reference() for d in self.deletes],
        }


def plan_upload(report: dict[str, Any], options: MappingOptions) -> AtlasPlan:
    """The Atlas plan of a whole report."""
    plan = AtlasPlan()
    for app in report["applications"]:
        _map_application(app, options, plan)
    return plan


def _map_application(app: dict[str, Any], options: MappingOptions, plan: AtlasPlan) -> None:
    app_qn = app["id"] if not app.get("attempt") else f"{app['id']}/{app['attempt']}"
    plan.applications.append(_application_entity(app, app_qn))
    queries = [q for q in app["queries"] if q["inputs"] or q["outputs"]]
    for query in queries:  # query by query, also when rolled up: a later write undoes a drop
        inputs = _datasets(query["inputs"], options, plan)
        outputs = _datasets(query["outputs"], options, plan)
        _track_drops(query, inputs, outputs, plan)
        if not options.rollup:
            plan.processes.append(_process_entity(app, app_qn, query, inputs, outputs))
    if options.rollup and queries:
        rolled = _rolled_up(queries)
        inputs = _datasets(rolled["inputs"], options, plan)
        outputs = _datasets(rolled["outputs"], options, plan)
        plan.processes.append(_process_entity(app, app_qn, rolled, inputs, outputs))


def _rolled_up(queries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "execution_id": "application",
        "operation": "application",
        "status": "failed" if any(q["status"] == "failed" for q in queries) else "succeeded",
        "description": "",
        "inputs": [d for q in queries for d in q["inputs"]],
        "outputs": [d for q in queries for d in q["outputs"]],
        "columns": [c for q in queries for c in q["columns"]],
        "start": None,
        "end": None,
    }


def _datasets(
    entries: Iterable[dict[str, Any]], options: MappingOptions, plan: AtlasPlan
) -> list[AtlasDataset]:
    mapped = []
    for entry in entries:
        dataset = atlas_dataset(
            entry["id"], cluster=options.cluster, spark_types=options.spark_types
        )
        if dataset is not None:
            plan.datasets.setdefault((dataset.type_name, dataset.qualified_name), dataset)
            mapped.append(dataset)
    return mapped


def _track_drops(
    query: dict[str, Any], inputs: list[AtlasDataset], outputs: list[AtlasDataset], plan: AtlasPlan
) -> None:
    """In query order: a drop (or the old name of a rename) marks a dataset gone; any other
    write brings it back."""
    gone = outputs if query["operation"] in _DROPS else []
    if query["operation"] == "rename_table":
        gone = inputs
    if query["status"] != "succeeded":
        gone = []
    for dataset in outputs:
        plan.dropped.pop((dataset.type_name, dataset.qualified_name), None)
    for dataset in gone:
        plan.dropped[(dataset.type_name, dataset.qualified_name)] = dataset


def _application_entity(app: dict[str, Any], app_qn: str) -> dict[str, Any]:
    return {
        "typeName": "spark_application",
        "attributes": {
            "qualifiedName": app_qn,
            "name": app.get("name") or app["id"],
            "currentUser": app.get("user"),
            "sparkVersion": app.get("spark_version"),
            "inputs": [],
            "outputs": [],
        },
    }


def _process_entity(
    app: dict[str, Any],
    app_qn: str,
    query: dict[str, Any],
    inputs: list[AtlasDataset],
    outputs: list[AtlasDataset],
) -> dict[str, Any]:
    execution = query["execution_id"]
    target = outputs[0].name if outputs else "read"
    return {
        "typeName": "spark_process",
        "attributes": {
            "qualifiedName": f"{app_qn}/{execution}",
            "name": f"{app.get('name') or app['id']} #{execution} {query['operation']} {target}",
            "executionId": execution if isinstance(execution, int) else None,
            "currUser": app.get("user"),
            "operation": query["operation"],
            "status": query["status"],
            "details": query.get("description") or "",
            "sparkPlanDescription": query.get("plan"),
            "columnMapping": column_mapping(query, inputs, outputs),
            "inputs": [d.reference() for d in inputs],
            "outputs": [d.reference() for d in outputs],
        },
        "relationshipAttributes": {
            "application": {
                "typeName": "spark_application",
                "uniqueAttributes": {"qualifiedName": app_qn},
            }
        },
    }


def column_mapping(
    query: dict[str, Any], inputs: list[AtlasDataset], outputs: list[AtlasDataset]
) -> str | None:
    """Purview's ``columnMapping``: a JSON string, one item per (source, sink) dataset pair,
    with the direct column edges between them (indirect ones are not column-to-column)."""
    qualified = {d.report_id: d.qualified_name for d in (*inputs, *outputs)}
    pairs: dict[tuple[str, str], list[dict[str, str]]] = {}
    for column in query.get("columns", ()):
        if column["transform"] not in ("identity", "transformation", "aggregation"):
            continue
        sink = qualified.get(column["dataset"])
        for source in column["sources"]:
            origin = qualified.get(source["dataset"])
            if sink and origin:
                edge = {"Source": source["column"], "Sink": column["column"]}
                pairs.setdefault((origin, sink), []).append(edge)
    if not pairs:
        return None
    mapping = [
        {
            "DatasetMapping": {"Source": source, "Sink": sink},
            "ColumnMapping": sorted(edges, key=lambda e: (e["Sink"], e["Source"])),
        }
        for (source, sink), edges in sorted(pairs.items())
    ]
    return orjson.dumps(mapping).decode()
