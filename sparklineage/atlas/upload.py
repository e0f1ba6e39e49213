"""Send an :class:`AtlasPlan` in bounded batches, phase by phase, and say what happened.

Order matters: datasets, applications and processes, each phase in its own requests
(processes refer to datasets and applications by unique attribute, which Atlas resolves only
against stored entities), then deletes. A batch that fails is reported and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from sparklineage.atlas import typedefs
from sparklineage.atlas.client import AtlasClient
from sparklineage.atlas.datasets import AtlasDataset
from sparklineage.atlas.mapping import AtlasPlan
from sparklineage.errors import AtlasError


@dataclass(frozen=True)
class BatchLimits:
    entities: int = 500
    bytes: int = 4 << 20


@dataclass
class UploadResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    unreachable: bool = False  # the endpoint did not answer at all: nothing more was tried

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.deleted} deleted "
            f"in {self.requests} requests; {len(self.failures)} failed"
        )


def sync_typedefs(client: AtlasClient, *, dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Create the missing types and update the changed ones; (created, updated) names."""
    names = [d["name"] for kind in typedefs.typedefs().values() for d in kind]
    existing = {}
    for name in names:
        try:
            existing[name] = client.request("GET", f"/types/typedef/name/{name}")
        except AtlasError as exc:
            if exc.status != 404:
                raise
    create, update = typedefs.changes(existing)
    created = [d["name"] for defs in create.values() for d in defs]
    updated = [d["name"] for defs in update.values() for d in defs]
    if not dry_run:
        if created:
            client.request("POST", "/types/typedefs", create)
        if updated:
            client.request("PUT", "/types/typedefs", update)
    return created, updated


def upload(client: AtlasClient, plan: AtlasPlan, limits: BatchLimits) -> UploadResult:
    """Send everything in ``plan``; failures are collected, not raised. When the endpoint
    cannot be reached at all (retries spent on connection errors), the rest is not tried:
    it would only fail the same way, minutes later."""
    result = send_entities(client, plan, limits)
    if not result.unreachable:
        send_deletes(client, plan.deletes, result)
    return result


def send_entities(client: AtlasClient, plan: AtlasPlan, limits: BatchLimits) -> UploadResult:
    """The first part of an upload: datasets, applications, processes, phase by phase.
    ``sync`` journals between this and :func:`send_deletes`."""
    result = UploadResult()
    phases = ([d.entity() for d in plan.datasets.values()], plan.applications, plan.processes)
    try:
        for entities in phases:
            for batch in batches(entities, limits):
                _send_batch(client, batch, result)
    except _Unreachable as exc:
        result.unreachable = True
        result.failures.append(f"{exc}; nothing more was sent")
    return result


def send_deletes(
    client: AtlasClient, deletes: list[AtlasDataset], result: UploadResult | None = None
) -> UploadResult:
    """The last part of an upload: soft-delete what the applications dropped. Deleting what
    is already gone changes nothing, so this can be repeated after an interruption."""
    result = result if result is not None else UploadResult()
    try:
        for dataset in deletes:
            _delete(client, dataset, result)
    except _Unreachable as exc:
        result.unreachable = True
        result.failures.append(f"{exc}; nothing more was sent")
    return result


class _Unreachable(Exception):
    """The endpoint did not answer at all: stop the upload."""


def preview(client: AtlasClient, plan: AtlasPlan) -> list[tuple[str, str, str]]:
    """(create|update|delete, type, qualifiedName) of every entity, asking the server which
    exist; sends nothing that changes anything."""
    entities = [d.entity() for d in plan.datasets.values()] + plan.applications + plan.processes
    changes = [
        (_exists_verb(client, e), e["typeName"], e["attributes"]["qualifiedName"]) for e in entities
    ]
    changes += [("delete", d.type_name, d.qualified_name) for d in plan.deletes]
    return changes


def _exists_verb(client: AtlasClient, entity: dict[str, Any]) -> str:
    params = {"attr:qualifiedName": entity["attributes"]["qualifiedName"]}
    try:
        client.request("GET", f"/entity/uniqueAttribute/type/{entity['typeName']}", None, params)
    except AtlasError as exc:
        if exc.status == 404:
            return "create"
        raise
    return "update"


def batches(entities: list[dict[str, Any]], limits: BatchLimits) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices within both the entity count and the encoded size."""
    batch: list[dict[str, Any]] = []
    size = 0
    for entity in entities:
        entity_size = len(orjson.dumps(entity))
        if batch and (len(batch) >= limits.entities or size + entity_size > limits.bytes):
            yield batch
            batch, size = [], 0
        batch.append(entity)
        size += entity_size
    if batch:
        yield batch


def _send_batch(client: AtlasClient, batch: list[dict[str, Any]], result: UploadResult) -> None:
    result.requests += 1
    try:
        answer = client.request("POST", "/entity/bulk", {"entities": batch}) or {}
    except AtlasError as exc:
        if exc.status is None:
            raise _Unreachable(str(exc)) from None
        names = ", ".join(e["attributes"]["qualifiedName"] for e in batch[:3])
        more = f" and {len(batch) - 3} more" if len(batch) > 3 else ""
        result.failures.append(f"batch of {len(batch)} ({names}{more}): {exc}")
        return
    mutated = answer.get("mutatedEntities") or {}
    result.created += len(mutated.get("CREATE") or ())
    result.updated += len(mutated.get("UPDATE") or ()) + len(mutated.get("PARTIAL_UPDATE") or ())


def _delete(client: AtlasClient, dataset: AtlasDataset, result: UploadResult) -> None:
    """DROP: a soft delete by unique attribute (already gone is fine)."""
    result.requests += 1
    try:
        client.request(
            "DELETE", _by_name(dataset), None, {"attr:qualifiedName": dataset.qualified_name}
        )
        result.deleted += 1
    except AtlasError as exc:
        if exc.status is None:
            raise _Unreachable(str(exc)) from None
        if exc.status != 404:
            result.failures.append(f"delete {dataset.qualified_name}: {exc}")


def _by_name(dataset: AtlasDataset) -> str:
    return f"/entity/uniqueAttribute/type/{dataset.type_name}"
