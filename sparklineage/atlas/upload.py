"""Send an :class:`AtlasPlan`: ask the catalog what it holds, send only what differs, in
bounded batches, phase by phase, and say what happened.

Before anything is sent, the catalog is read (bulk GET by unique attributes), and each entity
is a create, an update (naming the attributes that differ) or unchanged; only creates and
updates are sent, so uploading the same logs again sends nothing and changes nothing.
Datasets the catalog already holds are left as they are (a scanner owns them); one the upload
ends by deleting is sent only when a process being sent must point at it.

Order matters: renames move their entity first (a partial update of its qualifiedName, as
Atlas's Hive hook does), then datasets, applications and processes, each phase in its own
requests (processes refer to datasets and applications by unique attribute, which Atlas
resolves only against stored entities), then deletes. A request the catalog refuses (a 4xx
that is no throttle) is split in halves until the refused entities are alone: each is
reported with Atlas's error, everything else lands, at a cost of log2(batch) requests for
each refused entity. Processes that point at a refused dataset are not sent, and say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from sparklineage.atlas import typedefs
from sparklineage.atlas.client import AtlasClient
from sparklineage.atlas.datasets import AtlasDataset
from sparklineage.atlas.mapping import AtlasPlan, Key
from sparklineage.errors import AtlasError, UsageError

_LOOKUP_URL_CHARS = 4000  # query string of one bulk GET: well under every gateway's limit
_NOT_SPLIT = {401, 403, 407}  # refused for who we are, not for what we sent


@dataclass(frozen=True)
class BatchLimits:
    entities: int = 500
    bytes: int = 4 << 20


@dataclass(frozen=True)
class Change:
    """What the upload does to one entity."""

    verb: str  # create | update | unchanged | move | delete
    type_name: str
    qualified_name: str
    detail: str = ""  # update: the attributes that differ; move: the new name

    def line(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.verb} {self.type_name} {self.qualified_name}{detail}"


@dataclass
class Changes:
    """What an upload must send, the catalog asked, and what it does to each entity."""

    moves: list[tuple[AtlasDataset, AtlasDataset]] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[AtlasDataset] = field(default_factory=list)
    entities: list[Change] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # lines saying what was not uploaded

    def count(self) -> Counter[str]:
        return Counter(c.verb for c in self.entities)


@dataclass
class UploadResult:
    created: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    unreachable: bool = False  # the endpoint did not answer at all: nothing more was tried

    def summary(self) -> str:
        return summary_line(
            Counter(
                create=self.created,
                update=self.updated,
                move=self.moved,
                delete=self.deleted,
                unchanged=self.unchanged,
            ),
            f" in {self.requests} requests; {len(self.failures)} failed",
        )


def summary_line(counts: Counter[str], tail: str = "") -> str:
    """One line for ``--dry-run`` and the real run alike."""
    return (
        f"{counts['create']} created, {counts['update']} updated, {counts['move']} moved, "
        f"{counts['delete']} deleted, {counts['unchanged']} unchanged{tail}"
    )


class TypesMissingError(UsageError):
    """The catalog lacks a type the upload needs: nothing was sent."""


# ------------------------------------------------------------------------------ types


def sync_typedefs(
    client: AtlasClient, *, dry_run: bool = False, spark_types: bool = False
) -> tuple[list[str], list[str]]:
    """Create the missing types and update the changed ones; (created, updated) names."""
    create, update = typedefs.changes(_stored_typedefs(client, spark_types), spark_types)
    created = [d["name"] for defs in create.values() for d in defs]
    updated = [d["name"] for defs in update.values() for d in defs]
    if not dry_run:
        if created:
            client.request("POST", "/types/typedefs", create)
        if updated:
            client.request("PUT", "/types/typedefs", update)
    return created, updated


def check_types(client: AtlasClient, plan: AtlasPlan) -> None:
    """Stop before sending anything when the catalog lacks a type the plan uses, or has
    sparklineage's own in an older shape (an upload would half land: orphan datasets)."""
    spark_types = bool({"spark_table", "spark_db"} & plan.type_names())
    create, update = typedefs.changes(_stored_typedefs(client, spark_types), spark_types)
    stale = [d["name"] for defs in (*create.values(), *update.values()) for d in defs]
    if stale:
        flag = " --spark-types" if spark_types else ""
        raise TypesMissingError(
            f"the catalog lacks sparklineage's types or has older ones ({', '.join(stale)}): "
            f"run `sparklineage typedefs{flag}` first (same endpoint options)"
        )
    ours = {d["name"] for kind in typedefs.typedefs(spark_types=True).values() for d in kind}
    for name in sorted(plan.type_names() - ours):
        if _typedef(client, name) is None:
            raise TypesMissingError(
                f"the catalog has no type {name}: Purview's scanners and Apache Atlas's Hadoop "
                "models bring it; use an endpoint that has it, or --spark-types for tables "
                "(see docs/purview.md, 'Types')"
            )


def _stored_typedefs(client: AtlasClient, spark_types: bool) -> dict[str, dict[str, Any]]:
    names = [
        d["name"] for kind in typedefs.typedefs(spark_types=spark_types).values() for d in kind
    ]
    stored = {name: _typedef(client, name) for name in names}
    return {name: d for name, d in stored.items() if d is not None}


def _typedef(client: AtlasClient, name: str) -> dict[str, Any] | None:
    try:
        found = client.request("GET", f"/types/typedef/name/{name}")
    except AtlasError as exc:
        if exc.status == 404:
            return None
        raise
    if not isinstance(found, dict) or found.get("name") != name:
        raise AtlasError(f"GET /types/typedef/name/{name}: the answer is not a type definition")
    return found


# ------------------------------------------------------------------------------ changes


def prepare(client: AtlasClient, plan: AtlasPlan) -> Changes:
    """What of ``plan`` the catalog does not hold yet, entity by entity (reads only)."""
    stored = read_catalog(client, _keys(plan))
    changes = Changes(left_out=_left_out(plan))
    for first, last in plan.moves:
        old, new = _key_of(first), _key_of(last)
        if old in stored and new not in stored:
            changes.moves.append((first, last))
            changes.entities.append(Change("move", *old, last.qualified_name))
            stored[new] = stored.pop(old)
    changes.processes = _changed(plan.processes, stored, changes)
    changes.applications = _changed(plan.applications, stored, changes)
    needed = {_ref_key(r) for p in changes.processes for r in _references(p)}
    created: set[Key] = set()
    for key, dataset in plan.datasets.items():
        if key in stored or (key in plan.dropped and key not in needed):
            # The catalog's own asset (a scanner's, or ours), or gone with nothing to point
            # at it: either way nothing to send.
            if not (key in stored and key in plan.dropped):  # else its delete says it
                changes.entities.append(Change("unchanged", *key))
            continue
        changes.datasets.append(dataset.entity())
        changes.entities.append(Change("create", *key))
        created.add(key)
    changes.deletes = [d for k, d in plan.dropped.items() if k in stored or k in created]
    changes.entities += [Change("delete", *_key_of(d)) for d in changes.deletes]
    return changes


def _left_out(plan: AtlasPlan) -> list[str]:
    lines = []
    if plan.truncated:
        cut = ", ".join(plan.truncated[:3]) + (" …" if len(plan.truncated) > 3 else "")
        lines.append(f"{len(plan.truncated)} names Spark cut were not uploaded as assets: {cut}")
    if plan.empty_processes:
        lines.append(
            f"{plan.empty_processes} queries with neither inputs nor outputs were left out "
            "(--all-processes sends them)"
        )
    return lines


def _keys(plan: AtlasPlan) -> list[Key]:
    entities = [*plan.applications, *plan.processes]
    keys = [*plan.datasets, *plan.dropped, *(_key_of(first) for first, _ in plan.moves)]
    return keys + [(e["typeName"], e["attributes"]["qualifiedName"]) for e in entities]


def _changed(
    entities: list[dict[str, Any]], stored: dict[Key, dict[str, Any]], changes: Changes
) -> list[dict[str, Any]]:
    """The entities that differ from the catalog's; each one's change noted."""
    send = []
    for entity in entities:
        key = (entity["typeName"], entity["attributes"]["qualifiedName"])
        have = stored.get(key)
        differing = _differing(entity, have) if have is not None else []
        if have is None:
            changes.entities.append(Change("create", *key))
        elif differing:
            changes.entities.append(Change("update", *key, ", ".join(differing)))
        else:
            changes.entities.append(Change("unchanged", *key))
            continue
        send.append(entity)
    return send


def _differing(entity: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """The attributes we send that the stored entity does not have as we would set them."""
    have = stored.get("attributes") or {}
    have_relations = stored.get("relationshipAttributes") or {}
    wanted = {**entity["attributes"], **(entity.get("relationshipAttributes") or {})}
    return [
        name
        for name, value in wanted.items()
        if not _same(value, have_relations.get(name, have.get(name)))
    ]


def _same(ours: Any, theirs: Any) -> bool:
    """Equal as Atlas stores it: references by qualifiedName, a set as a set, nothing as
    nothing (Atlas answers null for an empty array)."""
    if ours in (None, []) or theirs in (None, []):
        return ours in (None, []) and theirs in (None, [])
    if isinstance(ours, list) and isinstance(theirs, list):
        return sorted(map(_ref_name, ours)) == sorted(map(_ref_name, theirs))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _ref_name(ours) == _ref_name(theirs)
    return bool(ours == theirs)


def _ref_name(ref: Any) -> str:
    if isinstance(ref, dict):
        unique = ref.get("uniqueAttributes") or {}
        return str(unique.get("qualifiedName") or ref.get("guid") or "")
    return str(ref)


def _references(entity: dict[str, Any]) -> Iterator[dict[str, Any]]:
    attributes = entity["attributes"]
    yield from (*attributes.get("inputs", ()), *attributes.get("outputs", ()))


def _ref_key(ref: dict[str, Any]) -> Key:
    return (ref["typeName"], ref["uniqueAttributes"]["qualifiedName"])


def _key_of(dataset: AtlasDataset) -> Key:
    return (dataset.type_name, dataset.qualified_name)


def read_catalog(client: AtlasClient, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    """The ACTIVE entities of these (type, qualifiedName) keys that the catalog holds, read
    with bulk GETs by unique attribute, a few dozen names a request."""
    by_type: dict[str, list[str]] = {}
    for type_name, qualified_name in dict.fromkeys(keys):
        by_type.setdefault(type_name, []).append(qualified_name)
    stored: dict[Key, dict[str, Any]] = {}
    for type_name, names in by_type.items():
        for chunk in _url_chunks(names):
            params = {f"attr_{i}:qualifiedName": name for i, name in enumerate(chunk)}
            path = f"/entity/bulk/uniqueAttribute/type/{type_name}"
            answer = client.request("GET", path, None, {**params, "minExtInfo": "true"})
            for entity in _answer_entities(answer, path):
                found = (entity.get("attributes") or {}).get("qualifiedName")
                if found in chunk and entity.get("status", "ACTIVE") == "ACTIVE":
                    stored[(type_name, str(found))] = entity
    return stored


def _url_chunks(names: list[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for name in names:
        if chunk and size + len(name) + 24 > _LOOKUP_URL_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(name)
        size += len(name) + 24
    if chunk:
        yield chunk


def _answer_entities(answer: Any, path: str) -> list[dict[str, Any]]:
    """``entities`` of an AtlasEntitiesWithExtInfo answer (absent when nothing was found)."""
    if answer is None:
        return []
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if entities is None and isinstance(answer, dict):
        return []
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise AtlasError(f"GET {path}: the answer is not a list of entities")
    return entities


# ------------------------------------------------------------------------------ sending


def upload(
    client: AtlasClient, changes: Changes, limits: BatchLimits, collection: str | None = None
) -> UploadResult:
    """Send everything in ``changes``; failures are collected, not raised. When the endpoint
    cannot be reached at all (retries spent on connection errors), the rest is not tried:
    it would only fail the same way, minutes later."""
    result = send_entities(client, changes, limits, collection)
    if not result.unreachable:
        send_deletes(client, changes.deletes, result)
    return result


def send_entities(
    client: AtlasClient, changes: Changes, limits: BatchLimits, collection: str | None = None
) -> UploadResult:
    """The first part of an upload: moves, datasets, applications, processes, phase by
    phase. ``sync`` journals between this and :func:`send_deletes`."""
    result = UploadResult(unchanged=changes.count()["unchanged"])
    verbs = {(c.type_name, c.qualified_name): c.verb for c in changes.entities}
    sender = _Sender(client, limits, collection, result, verbs)
    try:
        for first, last in changes.moves:
            sender.move(first, last)
        sender.phase(changes.datasets)
        sender.phase(changes.applications)
        sender.phase(sender.sendable(changes.processes))
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


class _Sender:
    """Batches of one upload, split where the catalog refuses them; what was refused."""

    def __init__(
        self,
        client: AtlasClient,
        limits: BatchLimits,
        collection: str | None,
        result: UploadResult,
        verbs: dict[Key, str],
    ) -> None:
        self._client = client
        self._limits = limits
        self._params = {"collectionId": collection} if collection else None
        self._result = result
        self._verbs = verbs
        self.refused: set[Key] = set()

    def phase(self, entities: list[dict[str, Any]]) -> None:
        for batch in batches(entities, self._limits):
            self._send(batch)

    def sendable(self, processes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Processes whose datasets and application landed; the others reported."""
        kept = []
        for process in processes:
            refs = [*_references(process), process["relationshipAttributes"]["application"]]
            missing = [_ref_key(r) for r in refs if _ref_key(r) in self.refused]
            if not missing:
                kept.append(process)
                continue
            type_name, qualified_name = missing[0]
            self._result.failures.append(
                f"{process['typeName']} {process['attributes']['qualifiedName']}: not sent, "
                f"it points at {type_name} {qualified_name}, which the catalog refused"
            )
        return kept

    def move(self, first: AtlasDataset, last: AtlasDataset) -> None:
        """RENAME: the entity takes its new name and keeps its guid (a partial update by
        unique attribute, as Atlas's Hive hook sends for ALTER TABLE RENAME)."""
        self._result.requests += 1
        body = {
            "entity": {
                "typeName": first.type_name,
                "attributes": {"qualifiedName": last.qualified_name, "name": last.name},
            }
        }
        try:
            self._client.request(
                "PUT", _by_name(first), body, {"attr:qualifiedName": first.qualified_name}
            )
        except AtlasError as exc:
            if exc.status is None:
                raise _Unreachable(str(exc)) from None
            self._result.failures.append(
                f"move {first.type_name} {first.qualified_name} to {last.qualified_name}: {exc}"
            )
            return
        self._result.moved += 1

    def _send(self, batch: list[dict[str, Any]]) -> None:
        self._result.requests += 1
        try:
            answer = self._client.request("POST", "/entity/bulk", {"entities": batch}, self._params)
        except AtlasError as exc:
            if exc.status is None:
                raise _Unreachable(str(exc)) from None
            if len(batch) > 1 and 400 <= exc.status < 500 and exc.status not in _NOT_SPLIT:
                half = len(batch) // 2
                self._send(batch[:half])
                self._send(batch[half:])
            else:
                self._refused(batch, exc)
            return
        if not isinstance(answer, dict | None):
            self._refused(
                batch, AtlasError("POST /entity/bulk: the answer is not a mutation result")
            )
            return
        for entity in batch:
            verb = self._verbs.get((entity["typeName"], entity["attributes"]["qualifiedName"]))
            self._result.created += verb == "create"
            self._result.updated += verb == "update"

    def _refused(self, batch: list[dict[str, Any]], exc: AtlasError) -> None:
        for entity in batch:
            self.refused.add((entity["typeName"], entity["attributes"]["qualifiedName"]))
        if len(batch) == 1:
            [entity] = batch
            what = f"{entity['typeName']} {entity['attributes']['qualifiedName']}"
        else:
            names = ", ".join(e["attributes"]["qualifiedName"] for e in batch[:3])
            more = f" and {len(batch) - 3} more" if len(batch) > 3 else ""
            what = f"batch of {len(batch)} ({names}{more})"
        self._result.failures.append(f"{what}: {exc}")


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
            result.failures.append(f"delete {dataset.type_name} {dataset.qualified_name}: {exc}")


def _by_name(dataset: AtlasDataset) -> str:
    return f"/entity/uniqueAttribute/type/{dataset.type_name}"
