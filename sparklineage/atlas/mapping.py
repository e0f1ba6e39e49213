"""A lineage report as what a catalog should hold: datasets, applications, processes, and
what the applications renamed and dropped.

Works on :class:`~sparklineage.application.Application` objects, freshly read from logs or
read back from a report file (:mod:`sparklineage.sinks.report`): both map the same way. One
``spark_application`` per application attempt (qualifiedName: its key, the application id
with ``/attempt`` added for attempts), one ``spark_process`` per query that reads or writes
a dataset (``<application>/<executionId>``), linked to its application; or, with ``rollup``,
one process per application, the shape the JVM connector had.

Datasets are followed as catalog entities through the queries, in order: a RENAME moves the
entity to its new name (earlier queries' processes then point at it under that name, as Atlas's
Hive hook keeps a renamed table's guid and history); a DROP marks it gone, a later write of
the name brings it back. What is known only as a name Spark cut, and queries left with neither
inputs nor outputs, are left out (counted in the plan). Nothing here talks to a catalog: what
of this plan must really be sent is decided in :mod:`sparklineage.atlas.upload`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from sparklineage.atlas.datasets import AtlasDataset, atlas_dataset
from sparklineage.lineage.model import ColumnLineage, Query, plan_text
from sparklineage.lineage.naming import Dataset
from sparklineage.redact import redact_text

if TYPE_CHECKING:
    from sparklineage.application import Application

Key = tuple[str, str]  # (typeName, qualifiedName): how Atlas tells entities apart

_DROPS = {"drop_table", "drop_view", "drop_database"}


@dataclass(frozen=True)
class MappingOptions:
    cluster: str = "primary"
    spark_types: bool = False  # spark_table / spark_db instead of the scanners' hive types
    rollup: bool = False  # one process per application
    all_processes: bool = False  # also queries with neither inputs nor outputs


@dataclass
class AtlasPlan:
    """Everything one upload means, before the catalog is asked what it already holds."""

    datasets: dict[Key, AtlasDataset] = field(default_factory=dict)  # databases too
    applications: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[Key, AtlasDataset] = field(default_factory=dict)  # gone at the end
    moves: list[tuple[AtlasDataset, AtlasDataset]] = field(default_factory=list)  # renames
    truncated: list[str] = field(default_factory=list)  # dataset ids Spark cut: not assets
    empty_processes: int = 0  # queries with neither inputs nor outputs, left out

    @property
    def deletes(self) -> list[AtlasDataset]:
        return list(self.dropped.values())

    def type_names(self) -> set[str]:
        """Every entity type the plan would send."""
        entities = [*self.applications, *self.processes]
        return {d.type_name for d in self.datasets.values()} | {e["typeName"] for e in entities}

    def payloads(self) -> dict[str, Any]:
        """The plan as JSON, for ``extract --format atlas``."""
        return {
            "datasets": {"entities": [d.entity() for d in self.datasets.values()]},
            "applications": {"entities": self.applications},
            "processes": {"entities": self.processes},
            "moves": [{"from": a.reference(), "to": b.reference()} for a, b in self.moves],
            "deletes": [d.reference() for d in self.deletes],
            "left_out": {"truncated": self.truncated, "empty_processes": self.empty_processes},
        }


def plan_upload(applications: Iterable[Application], options: MappingOptions) -> AtlasPlan:
    """The Atlas plan of applications (a report's, or logs just read), in their order."""
    plan = AtlasPlan()
    entities = _Entities()
    for app in applications:
        _map_application(app, options, entities, plan)
    entities.settle(plan)
    return plan


class _Entities:
    """Which catalog entity each dataset name stands for, query after query.

    An entity is born under the first name it is met with; a rename rebinds it to the new
    name; a drop unbinds it. Processes are built once every query was walked, so they point
    at each entity under the name it ends with.
    """

    def __init__(self) -> None:
        self._bound: dict[Key, int] = {}  # name -> entity
        self.first: list[AtlasDataset] = []  # entity -> the name it was first met under
        self.last: list[AtlasDataset] = []  # entity -> the name it ends with
        self.gone: list[bool] = []

    def of(self, dataset: AtlasDataset) -> int:
        """The entity a name stands for now (a new one if none does)."""
        key = _key(dataset)
        if key not in self._bound:
            self._bound[key] = len(self.first)
            self.first.append(dataset)
            self.last.append(dataset)
            self.gone.append(False)
        return self._bound[key]

    def written(self, entity: int) -> None:
        self.gone[entity] = False

    def renamed(self, old: AtlasDataset, new: AtlasDataset) -> int:
        entity = self.of(old)
        del self._bound[_key(old)]
        self._bound[_key(new)] = entity
        self.last[entity] = new
        self.gone[entity] = False
        return entity

    def dropped(self, entity: int) -> None:
        self.gone[entity] = True
        self._bound.pop(_key(self.last[entity]), None)

    def settle(self, plan: AtlasPlan) -> None:
        """Every entity into the plan under its last name; renames as moves; what ends
        dropped (and no other entity of its name lives on) as deletes."""
        alive = {_key(d) for d, gone in zip(self.last, self.gone, strict=True) if not gone}
        for first, last, gone in zip(self.first, self.last, self.gone, strict=True):
            plan.datasets.setdefault(_key(last), last)
            if _key(first) != _key(last):
                plan.moves.append((first, last))
            if gone and _key(last) not in alive:
                plan.dropped[_key(last)] = last


@dataclass(frozen=True)
class _Process:
    """What one process entity is made of: one query, or (``rollup``) a whole application."""

    label: int | str  # the execution id, "job-N" (an RDD query) or "application"
    operation: str
    status: str
    description: str = ""
    start: int | None = None
    end: int | None = None
    columns: tuple[ColumnLineage, ...] = ()
    user: str | None = None  # who ran it on a multi-user server
    statement: str | None = None
    plan: str | None = None  # None: the catalog keeps the plan text it has

    @classmethod
    def of(cls, query: Query) -> _Process:
        return cls(
            label=query.execution_id if query.execution_id is not None else query.ref,
            operation=query.operation,
            status=query.status,
            description=query.description,
            start=query.start,
            end=query.end,
            columns=query.columns,
            user=query.user,
            statement=query.statement,
            plan=plan_text(query) if query.plan is not None else None,
        )


@dataclass
class _Mapped:
    """One process with its datasets as entities (resolved to names once all are walked)."""

    process: _Process
    inputs: list[int]
    outputs: list[int]
    ids: dict[str, int]  # dataset id -> entity, for the column mapping


def _map_application(
    app: Application, options: MappingOptions, entities: _Entities, plan: AtlasPlan
) -> None:
    plan.applications.append(_application_entity(app))
    mapped = [_walk(query, options, entities, plan) for query in app.queries]
    if options.rollup:
        mapped = [_rolled_up(mapped)] if mapped else []
    for item in mapped:
        inputs = _named(item.inputs, entities)
        outputs = _named(item.outputs, entities)
        if item.process.operation == "rename_table":  # one entity, moved: it is the output
            inputs = [d for d in inputs if d not in outputs]
        if not (inputs or outputs or options.all_processes):
            plan.empty_processes += 1
            continue
        qualified = {i: entities.last[e].qualified_name for i, e in item.ids.items()}
        columns = column_mapping(item.process.columns, qualified)
        plan.processes.append(_process_entity(app, item.process, inputs, outputs, columns))


def _walk(query: Query, options: MappingOptions, entities: _Entities, plan: AtlasPlan) -> _Mapped:
    """A query's datasets as entities, renames and drops applied (successful queries only)."""
    inputs = _datasets(query.inputs, options, plan)
    outputs = _datasets(query.outputs, options, plan)
    target = _datasets([query.target] if query.target else [], options, plan)
    process = _Process.of(query)
    succeeded = query.status == "succeeded"
    operation = query.operation
    if operation == "rename_table" and succeeded and len(inputs) == len(outputs) == 1:
        moved = entities.renamed(inputs[0], outputs[0])
        ids = {inputs[0].report_id: moved, outputs[0].report_id: moved}
        return _Mapped(process, [moved], [moved], ids)
    read = [entities.of(d) for d in inputs]
    written = [entities.of(d) for d in (*outputs, *target)]
    ids = {d.report_id: e for d, e in zip([*inputs, *outputs], [*read, *written], strict=False)}
    for entity in written:
        if not succeeded:
            continue
        if operation in _DROPS:
            entities.dropped(entity)
        else:
            entities.written(entity)
    return _Mapped(process, read, written[: len(outputs)], ids)


def _rolled_up(mapped: list[_Mapped]) -> _Mapped:
    processes = [m.process for m in mapped]
    rolled = _Process(
        label="application",
        operation="application",
        status="failed" if any(p.status == "failed" for p in processes) else "succeeded",
        columns=tuple(c for p in processes for c in p.columns),
    )
    inputs = [e for m in mapped for e in m.inputs]
    outputs = [e for m in mapped for e in m.outputs]
    return _Mapped(rolled, inputs, outputs, {i: e for m in mapped for i, e in m.ids.items()})


def _datasets(
    datasets: Iterable[Dataset], options: MappingOptions, plan: AtlasPlan
) -> list[AtlasDataset]:
    """The catalog entities of datasets, once each; names Spark cut are no asset."""
    mapped: dict[Key, AtlasDataset] = {}
    for dataset in datasets:
        if dataset.truncated:
            if dataset.id not in plan.truncated:
                plan.truncated.append(dataset.id)
            continue
        entity = atlas_dataset(dataset, cluster=options.cluster, spark_types=options.spark_types)
        if entity is not None:
            mapped.setdefault(_key(entity), entity)
    return list(mapped.values())


def _named(entity_ids: list[int], entities: _Entities) -> list[AtlasDataset]:
    """Entities under their last names, once each, in order."""
    named: dict[Key, AtlasDataset] = {}
    for entity in entity_ids:
        dataset = entities.last[entity]
        named.setdefault(_key(dataset), dataset)
    return list(named.values())


def _key(dataset: AtlasDataset) -> Key:
    return (dataset.type_name, dataset.qualified_name)


def _text(value: Any) -> Any:
    """Free text as it may be sent: a report file may come from a sparklineage that kept
    secrets, so every text attribute goes through the one redaction once more (idempotent)."""
    return redact_text(value) if isinstance(value, str) else value


def _application_entity(app: Application) -> dict[str, Any]:
    return {
        "typeName": "spark_application",
        "attributes": {
            "qualifiedName": _text(app.key),
            "name": _text(app.name or app.id),
            "currentUser": _text(app.user),
            "sparkVersion": app.spark_version,
            "inputs": [],
            "outputs": [],
        },
    }


def _process_entity(
    app: Application,
    process: _Process,
    inputs: list[AtlasDataset],
    outputs: list[AtlasDataset],
    columns: str | None,
) -> dict[str, Any]:
    execution = process.label
    target = outputs[0].name if outputs else "read"
    attributes = {
        "qualifiedName": _text(f"{app.key}/{execution}"),
        "name": _text(f"{app.name or app.id} #{execution} {process.operation} {target}"),
        "executionId": execution if isinstance(execution, int) else None,
        # On a Thrift or Connect server the query's own user, not the server's OS user.
        "currUser": _text(process.user or app.user),
        "operation": process.operation,
        "status": process.status,
        "details": _text(process.description),
        "startTime": process.start,
        "endTime": process.end,
        "columnMapping": columns,
        "inputs": [d.reference() for d in inputs],
        "outputs": [d.reference() for d in outputs],
    }
    if process.statement:  # the SQL a server's client sent (Atlas's own attribute)
        attributes["queryText"] = _text(process.statement)
    if process.plan is not None:  # a report written without --plans leaves the catalog's plan
        attributes["sparkPlanDescription"] = _text(process.plan)
    return {
        "typeName": "spark_process",
        "attributes": attributes,
        "relationshipAttributes": {
            "application": {
                "typeName": "spark_application",
                "uniqueAttributes": {"qualifiedName": _text(app.key)},
            }
        },
    }


def column_mapping(columns: Iterable[ColumnLineage], qualified: dict[str, str]) -> str | None:
    """Purview's ``columnMapping``: a JSON string, one item per (source, sink) dataset pair,
    with the direct column edges between them (indirect ones are not column-to-column).
    ``qualified``: the qualifiedName each dataset id ends up with."""
    pairs: dict[tuple[str, str], list[dict[str, str]]] = {}
    for column in columns:
        if column.transform not in ("identity", "transformation", "aggregation"):
            continue
        sink = qualified.get(column.dataset)
        for source_id, source_column in column.sources:
            origin = qualified.get(source_id)
            if sink and origin:
                edge = {"Source": source_column, "Sink": column.column}
                if edge not in pairs.setdefault((origin, sink), []):
                    pairs[(origin, sink)].append(edge)
    if not pairs:
        return None
    mapping: list[dict[str, Any]] = [
        {
            "DatasetMapping": {"Source": source, "Sink": sink},
            "ColumnMapping": sorted(edges, key=lambda e: (e["Sink"], e["Source"])),
        }
        for (source, sink), edges in sorted(pairs.items())
    ]
    return orjson.dumps(mapping).decode()
