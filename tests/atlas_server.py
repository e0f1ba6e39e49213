"""An Apache-Atlas-compatible HTTP server for tests of the Atlas / Purview uploader.

Why it exists: the uploader has to be tested over real HTTP against the rules the real service
enforces — all-or-nothing bulk requests, create-or-update by (typeName, qualifiedName) among
ACTIVE entities, placeholder guids, references by unique attribute that must already be stored,
soft delete, unchanged entities left out of the answer — and against the failures it must
survive: 401, 429 with Retry-After, 5xx, slow answers, dropped connections. A mock laxer than
Atlas lets an uploader pass here and fail against Purview, so the rules were read from the Apache
Atlas source (apache/atlas at bcfe1a25a; classes under repository/.../store/graph/v2 unless
said otherwise). Purview serves the same v2 API; its internals are not public.

Answers that differ from what one might guess, all from the source:

- unknown entity type in a bulk request: 400 ATLAS-400-00-014 "Type ENTITY with name X does not
  exist" (AtlasEntityGraphDiscoveryV2.walkEntityGraph), not 404;
- mandatory attribute missing or null: 404 ATLAS-404-00-007 "Invalid instance creation/updation
  parameters passed : spark_process.name: mandatory attribute value missing in type Asset"
  (validateAndNormalize). ATLAS-400-00-02B is only used for typedefs;
- an attributeDef sent without ``isOptional`` is mandatory (AtlasAttributeDef defaults it to
  false); adding a mandatory attribute with PUT is 400 ATLAS-400-00-00C, removing one is 400
  ATLAS-400-00-00D (AtlasStructDefStoreV2.update);
- soft delete drops the entity from unique-attribute lookups, so GET by qualifiedName afterwards
  is 404 ATLAS-404-00-009; GET by guid shows status DELETED;
- deleting by qualifiedName an entity that does not exist (or is already deleted) is 200 with no
  ``mutatedEntities`` (AtlasEntityStoreV2.deleteByUniqueAttributes, 2.1.0 to HEAD);
  ``strict_delete=True`` answers 404 ATLAS-404-00-009 instead, in case Purview does;
- a response without any change has no ``mutatedEntities`` key at all (Jackson NON_NULL);
- a new reference from entity A to a stored entity B lists B under UPDATE as well
  (EntityGraphMapper.recordEntityUpdate), so a new process reports its stored datasets;
- a reference by unique attribute also finds an entity of a subtype (findByUniqueAttributes).

Types: when ``../shared/reference/atlas-models`` is beside the checkout, the server starts
from Apache Atlas's own models with their patches (tests/atlas_models.py) and so refuses what
Atlas refuses for them: unknown types, missing mandatory attributes, values not of their
attribute's type, and references to an entity whose type is not the relationship end's
(400 ATLAS-400-00-036 INVALID_RELATIONSHIP_END_TYPE, AtlasRelationshipStoreV2.validateEnd:
a Process's ``outputs`` may not hold a ``hive_db``). Without the folder it starts from the
base types below. Every body of ``POST entity/bulk``, ``POST``/``PUT types/typedefs`` and
``PUT entity/uniqueAttribute`` is also checked against the Purview Data Map API schema
(tests/purview_schema.py): a body it refuses is answered 400 and kept in
``schema_violations``, which the fixtures require to be empty.

Deliberately stricter or simpler than Atlas:

- ``strict_relationships=True`` (default) rejects a ``relationshipAttributes`` key that no
  relationshipDef declares for the type with 400 ATLAS-400-00-023; Atlas silently drops it, and
  the lineage with it. ``meanings`` is always accepted (and ignored);
- inverse relationship ends (``DataSet.inputToProcesses``) are not maintained, classifications,
  labels, business metadata and custom attributes are ignored, and requests are processed one at
  a time under a lock (Atlas locks per entity);
- scripted faults are applied before authentication and before the request is looked at: a
  faulted request changes nothing, except ``("slow", s)``, which is processed after the sleep —
  even when the client has stopped waiting, as a server would — and ``("hold",)``, which is
  processed and then answered only after ``release()`` (a test kills its client in between).
"""

from __future__ import annotations

import base64
import copy
import hmac
import itertools
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests import atlas_models, purview_schema
from tests.local_server import LocalServer, QuietHTTPServer

Json = Any
Auth = tuple[str, str, str] | tuple[str, str] | None

CATEGORIES = {
    "enumDefs": "ENUM",
    "structDefs": "STRUCT",
    "classificationDefs": "CLASSIFICATION",
    "entityDefs": "ENTITY",
    "relationshipDefs": "RELATIONSHIP",
    "businessMetadataDefs": "BUSINESS_METADATA",
}
_WITH_ATTRIBUTES = {"STRUCT", "CLASSIFICATION", "ENTITY", "BUSINESS_METADATA"}
_NUMBERS = {"byte", "short", "int", "long", "float", "double", "biginteger", "bigdecimal"}
_PRIMITIVES = _NUMBERS | {"boolean", "string", "date"}
_NAME = re.compile(r"(__)?[a-zA-Z][a-zA-Z0-9_ ]*")
_ALWAYS_ALLOWED_RELATIONSHIPS = {"meanings"}
_UNLIMITED = 2147483647


class AtlasError(Exception):
    """An Atlas error answer: the HTTP status and the ``errorCode`` / ``errorMessage`` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, str]:
        """The JSON body Atlas's AtlasBaseExceptionMapper writes."""
        return {"errorCode": self.code, "errorMessage": self.message}


def _type_invalid(name: object) -> AtlasError:
    """An entity or reference names a type the registry lacks (TYPE_NAME_INVALID)."""
    return AtlasError(400, "ATLAS-400-00-014", f"Type ENTITY with name {name} does not exist")


def _typename_not_found(name: object) -> AtlasError:
    """A typedef lookup or a typedef's reference to a type failed (TYPE_NAME_NOT_FOUND)."""
    return AtlasError(404, "ATLAS-404-00-001", f"Given typename {name} was invalid")


def _invalid_parameters(why: str) -> AtlasError:
    """A request Atlas cannot read at all (INVALID_PARAMETERS)."""
    return AtlasError(400, "ATLAS-400-00-01A", f"invalid parameters: {why}")


def _attribute(name: str, type_name: str = "string", **flags: Any) -> dict[str, Any]:
    """An optional attributeDef unless told otherwise, for the seeded base types."""
    return {"name": name, "typeName": type_name, "isOptional": True, **flags}


def _lineage_relationship(name: str, process_end: str, dataset_end: str) -> dict[str, Any]:
    """The base model's Process <-> DataSet relationship. Its Process end is a legacy
    attribute: ``inputs``/``outputs`` may come in ``attributes`` or ``relationshipAttributes``."""
    return {
        "name": name,
        "relationshipCategory": "AGGREGATION",
        "propagateTags": "TWO_TO_ONE" if process_end == "inputs" else "ONE_TO_TWO",
        "endDef1": {
            "type": "Process",
            "name": process_end,
            "isContainer": True,
            "cardinality": "SET",
            "isLegacyAttribute": True,
        },
        "endDef2": {"type": "DataSet", "name": dataset_end, "cardinality": "SET"},
    }


# The part of addons/models/0000-Area0/0010-base_model.json every uploader relies on.
BASE_TYPES: dict[str, list[dict[str, Any]]] = {
    "entityDefs": [
        {
            "name": "Referenceable",
            "superTypes": [],
            "attributeDefs": [
                _attribute("qualifiedName", isOptional=False, isUnique=True, isIndexable=True)
            ],
        },
        {
            "name": "Asset",
            "superTypes": ["Referenceable"],
            "attributeDefs": [
                _attribute("name", isOptional=False, isIndexable=True),
                _attribute("displayName"),
                _attribute("description"),
                _attribute("userDescription"),
                _attribute("owner"),
            ],
        },
        {"name": "DataSet", "superTypes": ["Asset"], "attributeDefs": []},
        {
            "name": "Process",
            "superTypes": ["Asset"],
            "attributeDefs": [
                _attribute("inputs", "array<DataSet>", cardinality="SET"),
                _attribute("outputs", "array<DataSet>", cardinality="SET"),
            ],
        },
    ],
    "relationshipDefs": [
        _lineage_relationship("dataset_process_inputs", "inputs", "inputToProcesses"),
        _lineage_relationship("process_dataset_outputs", "outputs", "outputFromProcesses"),
    ],
}


def _split_type(type_name: str) -> tuple[str, list[str]]:
    """``array<X>`` -> ("array", [X]); ``map<K,V>`` -> ("map", [K, V]); else ("", [name])."""
    if type_name.startswith("array<") and type_name.endswith(">"):
        return "array", [type_name[6:-1]]
    if type_name.startswith("map<") and type_name.endswith(">"):
        key, _, value = type_name[4:-1].partition(",")
        return "map", [key, value]
    return "", [type_name]


def _now_ms() -> int:
    """Atlas timestamps are epoch milliseconds."""
    return int(time.time() * 1000)


# --------------------------------------------------------------------------------------------
# Type registry


@dataclass(frozen=True)
class _End:
    """One relationship end as an attribute of the entity type at that end."""

    relationship: str
    type_name: str  # the attribute's type: the other end, in array<> when this end is a SET
    is_set: bool
    owns: bool  # container end of a COMPOSITION: the referenced entities die with this one
    owned: bool  # the other end of a COMPOSITION: mandatory, dies with what it references


class TypeRegistry:
    """Typedefs by name, with the create / update rules of AtlasTypeDefGraphStore."""

    def __init__(self, models: list[dict[str, list[dict[str, Any]]]] | None = None) -> None:
        """Seeded with the official models (tests/atlas_models.py) when given, else with
        the part of the base model every uploader relies on."""
        self._defs: dict[str, dict[str, Any]] = {}
        for typesdef in models or [BASE_TYPES]:
            self.create(typesdef)

    def get(self, name: str) -> dict[str, Any] | None:
        """The stored def, whatever its category."""
        return self._defs.get(name)

    def headers(self) -> list[dict[str, str]]:
        """What ``GET types/typedefs/headers`` lists."""
        return [_header_of(d) for d in self._defs.values()]

    def all(self) -> dict[str, list[dict[str, Any]]]:
        """Every def grouped as ``GET types/typedefs`` returns them."""
        return _grouped(list(self._defs.values()))

    def create(self, payload: Json) -> dict[str, list[dict[str, Any]]]:
        """Create every def of the payload or none: one existing name is 409 for all."""
        incoming = _defs_of(payload)
        seen: set[str] = set()
        for _, d in incoming:
            if d["name"] in self._defs or d["name"] in seen:
                raise AtlasError(409, "ATLAS-409-00-001", f"Given type {d['name']} already exists")
            seen.add(d["name"])
        stored = [_normalised(cat, d, str(uuid.uuid4()), 1) for cat, d in incoming]
        self._commit(stored)
        return _grouped(stored)

    def update(self, payload: Json) -> dict[str, list[dict[str, Any]]]:
        """Replace existing defs, all or none, refusing the attribute changes Atlas refuses."""
        stored = []
        for cat, d in _defs_of(payload):
            old = self._defs.get(d["name"])
            if old is None or old["category"] != cat:
                raise _typename_not_found(d["name"])
            new = _normalised(cat, d, old["guid"], old["version"] + 1)
            new["createTime"] = old["createTime"]
            if cat in _WITH_ATTRIBUTES:
                _check_attribute_changes(old, new)
            stored.append(new)
        self._commit(stored)
        return _grouped(stored)

    def _commit(self, stored: list[dict[str, Any]]) -> None:
        """Check the defs against the registry they would make, then keep them."""
        candidate = {**self._defs, **{d["name"]: d for d in stored}}
        for d in stored:
            _check_references(d, candidate)
        self._defs = candidate

    def entity_def(self, name: object) -> dict[str, Any] | None:
        """The def when ``name`` is an entity type."""
        d = self._defs.get(name) if isinstance(name, str) else None
        return d if d is not None and d["category"] == "ENTITY" else None

    def is_entity(self, name: str) -> bool:
        """Whether values of this attribute type are object ids."""
        return self.entity_def(name) is not None

    def lineage(self, name: str) -> list[str]:
        """The type and its supertypes, root first, as Atlas validates them."""
        out: list[str] = []
        entered: set[str] = set()

        def visit(type_name: str) -> None:
            if type_name in entered:  # a supertype cycle must not hang the server
                return
            entered.add(type_name)
            for parent in self._defs[type_name].get("superTypes", []):
                visit(parent)
            out.append(type_name)

        visit(name)
        return out

    def subtypes(self, name: str) -> list[str]:
        """Entity types below ``name``: unique-attribute lookups also search these."""
        return [
            n
            for n, d in self._defs.items()
            if d["category"] == "ENTITY" and n != name and name in self.lineage(n)
        ]

    def attributes(self, name: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Declared attributes including inherited ones -> (declaring type, attributeDef)."""
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for type_name in self.lineage(name):
            for attr in self._defs[type_name].get("attributeDefs", []):
                out[attr["name"]] = (type_name, attr)
        return out

    def ends(self, name: str) -> dict[str, _End]:
        """Relationship attributes of the type: relationshipDef ends at it or a supertype."""
        lineage = set(self.lineage(name))
        out: dict[str, _End] = {}
        for d in self._defs.values():
            if d["category"] != "RELATIONSHIP":
                continue
            composition = d["relationshipCategory"] == "COMPOSITION"
            for mine, other in (("endDef1", "endDef2"), ("endDef2", "endDef1")):
                end = d[mine]
                if end["type"] not in lineage:
                    continue
                is_many = end["cardinality"] in ("SET", "LIST")
                target = d[other]["type"]
                out[end["name"]] = _End(
                    relationship=d["name"],
                    type_name=f"array<{target}>" if is_many else target,
                    is_set=end["cardinality"] == "SET",
                    owns=composition and end["isContainer"],
                    owned=composition and not end["isContainer"],
                )
        return out


def _defs_of(payload: Json) -> list[tuple[str, dict[str, Any]]]:
    """(category, def) for every def in a typedefs body, names checked as Atlas does."""
    if not isinstance(payload, dict):
        raise _invalid_parameters("typesDef must be a JSON object")
    out = []
    for key, category in CATEGORIES.items():
        defs = payload.get(key) or []
        if not isinstance(defs, list) or not all(isinstance(d, dict) for d in defs):
            raise _invalid_parameters(f"{key} must be a list of objects")
        for d in defs:
            name = d.get("name")
            if not isinstance(name, str) or not name:
                raise AtlasError(
                    400, "ATLAS-400-00-02B", f"Mandatory field {category}.name has empty/null value"
                )
            if not _NAME.fullmatch(name):
                raise AtlasError(
                    400,
                    "ATLAS-400-00-019",
                    f"{name}: invalid name for {category}.  Names must consist of a letter "
                    "followed by a sequence of letter, number, space, or '_' characters",
                )
            out.append((category, d))
    return out


def _normalised(category: str, d: dict[str, Any], guid: str, version: int) -> dict[str, Any]:
    """The def as Atlas echoes it: defaults filled in, so a client comparing what it sent
    with what it reads back sees the same differences it would see against Atlas."""
    out = copy.deepcopy(d)
    now = _now_ms()
    out.update(category=category, guid=guid, version=version, createTime=now, updateTime=now)
    out.setdefault("typeVersion", "1.0")
    out.setdefault("createdBy", "admin")
    out.setdefault("updatedBy", "admin")
    if category in _WITH_ATTRIBUTES:
        out["attributeDefs"] = [_normalised_attribute(a) for a in out.get("attributeDefs") or []]
    if category == "ENTITY":
        out["superTypes"] = list(out.get("superTypes") or [])
    if category == "RELATIONSHIP":
        out.setdefault("relationshipCategory", "ASSOCIATION")
        out.setdefault("propagateTags", "ONE_TO_TWO")
        for key in ("endDef1", "endDef2"):
            end = out.get(key)
            if isinstance(end, dict):
                end.setdefault("isContainer", False)
                end.setdefault("cardinality", "SINGLE")
                end.setdefault("isLegacyAttribute", False)
    return out


def _normalised_attribute(attr: Any) -> dict[str, Any]:
    """AtlasAttributeDef defaults: note ``isOptional`` is false unless sent."""
    if not isinstance(attr, dict):
        raise _invalid_parameters("attributeDefs must be a list of objects")
    out = dict(attr)
    out.setdefault("isOptional", False)
    out.setdefault("cardinality", "SINGLE")
    out.setdefault("isUnique", False)
    out.setdefault("isIndexable", False)
    out.setdefault("includeInNotification", False)
    out.setdefault("searchWeight", -1)
    out.setdefault("valuesMinCount", 0 if out["isOptional"] else 1)
    out.setdefault("valuesMaxCount", 1 if out["cardinality"] == "SINGLE" else _UNLIMITED)
    return out


def _check_references(d: dict[str, Any], defs: dict[str, dict[str, Any]]) -> None:
    """Attribute types, supertypes and relationship ends must name known types."""
    name = d["name"]
    for attr in d.get("attributeDefs", []):
        for field_name in ("name", "typeName"):
            if not attr.get(field_name):
                raise AtlasError(
                    400,
                    "ATLAS-400-00-02B",
                    f"Mandatory field {name}.{field_name} has empty/null value",
                )
        _check_type_name(attr["typeName"], defs)
    for parent in d.get("superTypes", []):
        if parent not in defs:
            raise _typename_not_found(parent)
        if defs[parent]["category"] != "ENTITY":
            raise AtlasError(400, "ATLAS-400-00-003", f"{parent}: incompatible supertype {name}")
    if d["category"] == "RELATIONSHIP":
        for key in ("endDef1", "endDef2"):
            end = d.get(key)
            for field_name in ("type", "name"):
                if not isinstance(end, dict) or not end.get(field_name):
                    raise AtlasError(
                        400,
                        "ATLAS-400-00-02B",
                        f"Mandatory field {key}.{field_name} has empty/null value",
                    )
            target = defs.get(end["type"])
            if target is None or target["category"] != "ENTITY":
                raise _typename_not_found(end["type"])


def _check_type_name(type_name: str, defs: dict[str, dict[str, Any]]) -> None:
    """``array<X>`` and ``map<K,V>`` resolve through their parts; the rest must exist."""
    kind, parts = _split_type(type_name)
    if kind:
        for part in parts:
            _check_type_name(part, defs)
    elif type_name not in _PRIMITIVES and type_name not in defs:
        raise _typename_not_found(type_name)


def _check_attribute_changes(old: dict[str, Any], new: dict[str, Any]) -> None:
    """AtlasStructDefStoreV2.update: no deleting, no new mandatory, no type change."""
    before = {a["name"]: a for a in old.get("attributeDefs", [])}
    after = {a["name"]: a for a in new.get("attributeDefs", [])}
    name = new["name"]
    for attr_name in before.keys() - after.keys():
        raise AtlasError(
            400, "ATLAS-400-00-00D", f"{name}.{attr_name} : attribute delete not supported"
        )
    for attr_name, attr in after.items():
        if attr_name not in before and not attr["isOptional"]:
            raise AtlasError(
                400, "ATLAS-400-00-00C", f"{name}.{attr_name} : can not add mandatory attribute"
            )
        if attr_name in before and before[attr_name]["typeName"] != attr["typeName"]:
            raise AtlasError(
                400, "ATLAS-400-00-029", "Data type update for attribute is not supported"
            )


def _header_of(d: dict[str, Any]) -> dict[str, str]:
    """An AtlasTypeDefHeader."""
    header = {"guid": d["guid"], "name": d["name"], "category": d["category"]}
    if "serviceType" in d:
        header["serviceType"] = d["serviceType"]
    return header


def _grouped(defs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """An AtlasTypesDef: one list per category, copies so callers cannot edit the store."""
    out: dict[str, list[dict[str, Any]]] = {key: [] for key in CATEGORIES}
    key_of = {category: key for key, category in CATEGORIES.items()}
    for d in defs:
        out[key_of[d["category"]]].append(copy.deepcopy(d))
    return out


# --------------------------------------------------------------------------------------------
# Entity store


@dataclass
class _Entity:
    """A stored entity. ``values`` holds declared and relationship attributes in one map;
    references are stored as ``{"guid", "typeName"}``."""

    guid: str
    type_name: str
    values: dict[str, Any]
    status: str = "ACTIVE"
    version: int = 0
    create_time: int = field(default_factory=_now_ms)
    update_time: int = field(default_factory=_now_ms)


@dataclass
class _Incoming:
    """A known attribute present in a request: its Atlas type and the value as sent."""

    type_name: str
    value: Any


@dataclass
class _Request:
    """What discovery learns about a bulk request before anything is written."""

    stream: dict[str, dict[str, Any]]
    incoming: dict[str, dict[str, _Incoming]] = field(default_factory=dict)
    guid_refs: list[str] = field(default_factory=list)  # in discovery order, each once
    guid_refs_seen: set[str] = field(default_factory=set)
    unique_refs: list[dict[str, Any]] = field(default_factory=list)
    resolved: dict[str, str] = field(default_factory=dict)  # request guid -> stored guid
    by_unique: dict[str, str] = field(default_factory=dict)  # reference key -> stored guid
    assignments: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # guid -> type, incl. new ones


class EntityStore:
    """Entities by guid with Atlas's bulk create-or-update, lookup and soft delete rules."""

    def __init__(self, types: TypeRegistry, strict_relationships: bool = True) -> None:
        self.types = types
        self.strict_relationships = strict_relationships
        self._entities: dict[str, _Entity] = {}
        self._active: dict[tuple[str, str], str] = {}  # (typeName, qualifiedName) -> guid
        self._placeholders = itertools.count(7_000_000_001)

    # -- reading -------------------------------------------------------------------------

    def all(self) -> list[_Entity]:
        """Every stored entity in creation order."""
        return list(self._entities.values())

    def find_active(self, type_name: str, qualified_name: object) -> str | None:
        """findByUniqueAttributes: ACTIVE only, the type first, then its subtypes."""
        if not isinstance(qualified_name, str):
            return None
        for candidate in [type_name, *self.types.subtypes(type_name)]:
            guid = self._active.get((candidate, qualified_name))
            if guid is not None:
                return guid
        return None

    def get_by_unique(self, type_name: str, unique: dict[str, str]) -> dict[str, Any]:
        """``GET entity/uniqueAttribute/type/{type}``: ACTIVE entities only."""
        self._entity_type(type_name)
        declared = self.types.attributes(type_name)
        names = list(unique) or [""]  # no attr: parameter at all is reported with an empty name
        for attr_name in names:
            if attr_name not in declared or not declared[attr_name][1]["isUnique"]:
                raise AtlasError(
                    400,
                    "ATLAS-400-00-013",
                    f"Type {type_name} with unique attribute {attr_name} does not exist",
                )
        guid = self.find_active(type_name, unique.get("qualifiedName"))
        if guid is None:
            raise _not_found_by_unique(type_name, unique)
        return {"entity": self.render(self._entities[guid]), "referredEntities": {}}

    def get_by_guid(self, guid: str) -> dict[str, Any]:
        """``GET entity/guid/{guid}``: deleted entities too, with status DELETED."""
        entity = self._entities.get(guid)
        if entity is None:
            raise AtlasError(
                404, "ATLAS-404-00-005", f"Given instance guid {guid} is invalid/not found"
            )
        return {"entity": self.render(entity), "referredEntities": {}}

    def render(self, entity: _Entity) -> dict[str, Any]:
        """The AtlasEntity JSON: every declared attribute (null when unset), relationship
        attributes that were set, references as object ids."""
        declared = self.types.attributes(entity.type_name)
        ends = self.types.ends(entity.type_name)
        attributes = {}
        for name, (_, attr) in declared.items():
            value = entity.values.get(name)
            attributes[name] = self._map_refs(attr["typeName"], value, self._object_id)
        relationships = {}
        for name, end in ends.items():
            if name in entity.values:
                relationships[name] = self._map_refs(
                    end.type_name, entity.values[name], lambda ref, e=end: self._related_id(ref, e)
                )
        return {
            "typeName": entity.type_name,
            "guid": entity.guid,
            "status": entity.status,
            "version": entity.version,
            "createTime": entity.create_time,
            "updateTime": entity.update_time,
            "createdBy": "admin",
            "updatedBy": "admin",
            "isIncomplete": False,
            "labels": [],
            "attributes": attributes,
            "relationshipAttributes": relationships,
        }

    def header(self, entity: _Entity) -> dict[str, Any]:
        """An AtlasEntityHeader, as listed in ``mutatedEntities``."""
        qualified_name = entity.values.get("qualifiedName")
        name = entity.values.get("name")
        attributes = {"qualifiedName": qualified_name}
        if name is not None:
            attributes["name"] = name
        return {
            "typeName": entity.type_name,
            "guid": entity.guid,
            "status": entity.status,
            "displayText": name if name is not None else qualified_name,
            "attributes": attributes,
            "classificationNames": [],
            "meaningNames": [],
            "meanings": [],
            "labels": [],
            "isIncomplete": False,
        }

    def summary(self, entity: _Entity) -> dict[str, Any]:
        """The test-facing view: flat attributes, references as typeName/guid/qualifiedName."""
        values = {}
        for name, value in entity.values.items():
            type_name = self._value_type(entity.type_name, name)
            values[name] = self._map_refs(type_name, value, self._short_ref)
        return {
            "typeName": entity.type_name,
            "guid": entity.guid,
            "status": entity.status,
            "attributes": values,
        }

    def _value_type(self, type_name: str, name: str) -> str:
        """The Atlas type of a stored value, declared attribute or relationship end."""
        declared = self.types.attributes(type_name)
        if name in declared:
            return declared[name][1]["typeName"]
        return self.types.ends(type_name)[name].type_name

    def _short_ref(self, ref: dict[str, Any]) -> dict[str, Any]:
        """A stored reference with the target's qualifiedName, for assertions."""
        target = self._entities.get(ref["guid"])
        qualified_name = target.values.get("qualifiedName") if target else None
        return {"typeName": ref["typeName"], "guid": ref["guid"], "qualifiedName": qualified_name}

    def _object_id(self, ref: dict[str, Any]) -> dict[str, Any]:
        """An AtlasObjectId as GET returns it under ``attributes``."""
        short = self._short_ref(ref)
        return {
            "guid": short["guid"],
            "typeName": short["typeName"],
            "uniqueAttributes": {"qualifiedName": short["qualifiedName"]},
        }

    def _related_id(self, ref: dict[str, Any], end: _End) -> dict[str, Any]:
        """An AtlasRelatedObjectId as GET returns it under ``relationshipAttributes``."""
        target = self._entities.get(ref["guid"])
        out = self._object_id(ref)
        out.update(
            entityStatus=target.status if target else "ACTIVE",
            displayText=(target.values.get("name") or out["uniqueAttributes"]["qualifiedName"])
            if target
            else None,
            relationshipType=end.relationship,
            relationshipStatus="ACTIVE",
        )
        return out

    # -- bulk create-or-update -------------------------------------------------------------

    def bulk(self, payload: Json) -> dict[str, Any]:
        """``POST entity/bulk``: discover and resolve everything, validate, then write —
        an error anywhere leaves the store as it was."""
        request = self._discover(payload)
        self._resolve(request)
        planned = self._plan(request)
        self._check_end_types(request, planned)
        return self._apply(request, planned)

    def _targets_of(self, request: _Request, item: _Incoming) -> list[dict[str, str]]:
        """The stored (or about to be stored) entities an incoming value references."""
        targets: list[dict[str, str]] = []
        self._map_refs(
            item.type_name, item.value, lambda r: targets.append(self._real_ref(request, r))
        )
        return targets

    def _check_end_types(
        self, request: _Request, planned: list[tuple[str, str, dict[str, _Incoming]]]
    ) -> None:
        """Every reference points at an entity of the attribute's type or a subtype: a
        Process's ``inputs``/``outputs`` at DataSets (``hive_db`` is an Asset), a
        spark_process's ``application`` at a spark_application. Atlas refuses the whole
        request with INVALID_RELATIONSHIP_END_TYPE (AtlasRelationshipStoreV2.validateEnd,
        ATLAS-400-00-036)."""
        for _, type_name, incoming in planned:
            ends = self.types.ends(type_name)
            for name, item in incoming.items():
                expected = _split_type(item.type_name)[1][-1]
                if not self.types.is_entity(expected):
                    continue
                targets = self._targets_of(request, item)
                for target in targets:
                    if expected in self.types.lineage(target["typeName"]):
                        continue
                    relationship = ends[name].relationship if name in ends else name
                    raise AtlasError(
                        400,
                        "ATLAS-400-00-036",
                        f"invalid relationshipDef: {relationship}: end type 1: {type_name}, "
                        f"end type 2: {target['typeName']}",
                    )

    def _discover(self, payload: Json) -> _Request:
        """Walk the top-level entities, then every referenced entity of the request, as
        AtlasEntityGraphDiscoveryV2.discover does; referredEntities nobody references are
        left alone."""
        if not isinstance(payload, dict):
            raise _invalid_parameters("body must be a JSON object")
        entities = payload.get("entities")
        referred = payload.get("referredEntities") or {}
        if not isinstance(entities, list) or not entities:
            raise _invalid_parameters("no entities to create/update.")
        if not isinstance(referred, dict):
            raise _invalid_parameters("referredEntities must be an object")
        request = _Request(stream={})
        top = [self._add_to_stream(request, e, None) for e in entities]
        for key, e in referred.items():
            self._add_to_stream(request, e, key)
        walked: set[str] = set()
        for guid in top:
            self._walk(request, guid)
            walked.add(guid)
        index = 0
        while index < len(request.guid_refs):  # grows while referenced entities are walked
            guid = request.guid_refs[index]
            if guid not in walked and guid in request.stream:
                self._walk(request, guid)
                walked.add(guid)
            index += 1
        return request

    def _add_to_stream(self, request: _Request, entity: Any, key: str | None) -> str:
        """Give the entity its request guid: its own, its referredEntities key, or a fresh
        placeholder (Java's AtlasEntity assigns one when the JSON has none)."""
        if not isinstance(entity, dict):
            raise _invalid_parameters("found null entity")
        guid = entity.get("guid") or key or f"-{next(self._placeholders)}"
        guid = str(guid)
        request.stream.setdefault(guid, entity)
        return guid

    def _walk(self, request: _Request, guid: str) -> None:
        """Record the entity and every reference in its known attributes."""
        entity = request.stream[guid]
        type_name = self._entity_type(entity.get("typeName"))
        _note_guid(request, guid)
        incoming = self._incoming(type_name, entity)
        request.incoming[guid] = incoming
        for item in incoming.values():
            self._map_refs(item.type_name, item.value, lambda ref: self._record_ref(request, ref))

    def _incoming(self, type_name: str, entity: dict[str, Any]) -> dict[str, _Incoming]:
        """Known attributes the payload carries. A relationship attribute may come under
        ``attributes`` (Atlas moves it, compactAttributes) and ``relationshipAttributes``
        wins when both are set; unknown ``attributes`` are ignored like Atlas does."""
        attributes = _mapping(entity, "attributes")
        relationships = _mapping(entity, "relationshipAttributes")
        declared = self.types.attributes(type_name)
        ends = self.types.ends(type_name)
        out: dict[str, _Incoming] = {}
        for name, value in attributes.items():
            if name in ends and value is not None:
                out[name] = _Incoming(ends[name].type_name, value)
            elif name in declared and name not in ends:
                attr = declared[name][1]
                out[name] = _Incoming(attr["typeName"], value)
        for name, value in relationships.items():
            if name in ends:
                if value is not None or name not in out:
                    out[name] = _Incoming(ends[name].type_name, value)
            elif self.strict_relationships and name not in _ALWAYS_ALLOWED_RELATIONSHIPS:
                raise AtlasError(
                    400, "ATLAS-400-00-023", f"Attribute {name} not found for type {type_name}"
                )
        return out

    def _record_ref(self, request: _Request, ref: Any) -> Any:
        """Note a reference for resolution; a malformed one is INVALID_OBJECT_ID."""
        kind = _ref_kind(ref)
        if kind == "guid":
            _note_guid(request, str(ref["guid"]))
        else:
            request.unique_refs.append(ref)
        return ref

    def _resolve(self, request: _Request) -> None:
        """IDBasedEntityResolver then UniqAttrBasedEntityResolver. A unique-attribute
        reference is looked up among entities stored BEFORE this request only."""
        for guid in request.guid_refs:
            assigned = not guid.startswith("-")
            found = guid if assigned and guid in self._entities else None
            if found is None:
                entity = request.stream.get(guid)
                if entity is not None:
                    found = self.find_active(entity["typeName"], _qualified_name(entity))
                elif not assigned:
                    raise _referenced_not_found(guid)
            if found is not None:
                request.resolved[guid] = found
            elif assigned:
                raise _referenced_not_found(guid)
        for ref in request.unique_refs:
            type_name = self._entity_type(ref.get("typeName"))
            found = self.find_active(type_name, ref["uniqueAttributes"].get("qualifiedName"))
            if found is None:
                raise _referenced_not_found(_java_object_id(ref))
            request.by_unique[_unique_key(ref)] = found

    def _plan(self, request: _Request) -> list[tuple[str, str, dict[str, _Incoming]]]:
        """Validate each entity and give it its real guid: the matched stored one, the one
        an earlier entity of this request with the same type and qualifiedName got, or a
        new uuid. Returns (guid, type, incoming attributes) in Atlas's processing order."""
        planned = []
        created: dict[tuple[str, str], str] = {}
        for guid in request.guid_refs:
            entity = request.stream.get(guid)
            if entity is None:
                continue
            type_name = entity["typeName"]
            self._validate(type_name, entity)
            qualified_name = _qualified_name(entity)
            key = (type_name, qualified_name if isinstance(qualified_name, str) else guid)
            target = request.resolved.get(guid) or created.get(key)
            if target is None:
                target = created[key] = str(uuid.uuid4())
            if target != guid:
                request.assignments[guid] = target
            request.types[target] = (
                self._entities[target].type_name if target in self._entities else type_name
            )
            planned.append((target, type_name, request.incoming[guid]))
        return planned

    def _validate(self, type_name: str, entity: dict[str, Any]) -> None:
        """AtlasEntityType.validateValue: mandatory attributes (inherited ones first, a
        relationship attribute counts) and value shapes; the first problem is the message."""
        attributes = _mapping(entity, "attributes")
        relationships = _mapping(entity, "relationshipAttributes")
        messages: list[str] = []
        declared = self.types.attributes(type_name)
        for name, (declaring, attr) in declared.items():
            value = attributes.get(name)
            field_name = f"{type_name}.{name}"
            if value is None:
                if not attr["isOptional"] and relationships.get(name) is None:
                    messages.append(
                        f"{field_name}: mandatory attribute value missing in type {declaring}"
                    )
            else:
                self._check_value(attr["typeName"], value, field_name, messages)
        for name, end in self.types.ends(type_name).items():
            value = relationships.get(name, attributes.get(name))
            if value is None:
                if end.owned and name not in declared:
                    messages.append(
                        f"{type_name}.{name}: mandatory attribute value missing in type {type_name}"
                    )
            elif name not in declared or name in relationships:
                self._check_value(end.type_name, value, f"{type_name}.{name}", messages)
        if messages:
            raise AtlasError(
                404,
                "ATLAS-404-00-007",
                f"Invalid instance creation/updation parameters passed : {messages[0]}",
            )

    def _check_value(self, type_name: str, value: Any, name: str, messages: list[str]) -> None:
        """The value shapes Atlas's types accept: lists for arrays, objects for maps,
        structs and references, numbers or numeric strings for numbers, enum values."""
        kind, parts = _split_type(type_name)
        ok = True
        if kind == "array":
            ok = isinstance(value, list)
            for i, item in enumerate(value if ok else []):
                if item is not None:
                    self._check_value(parts[0], item, f"{name}[{i}]", messages)
        elif kind == "map":
            ok = isinstance(value, dict)
            for key, item in (value if ok else {}).items():
                if item is not None:
                    self._check_value(parts[1], item, f"{name}.{key}", messages)
        elif type_name in _PRIMITIVES:
            ok = _valid_primitive(type_name, value)
        else:
            d = self.types.get(type_name) or {}
            if d.get("category") == "ENUM":
                ok = value in {e.get("value") for e in d.get("elementDefs", [])}
            else:
                ok = isinstance(value, dict)
        if not ok:
            messages.append(f"{name}={value}: invalid value for type {type_name}")

    def _apply(
        self, request: _Request, planned: list[tuple[str, str, dict[str, _Incoming]]]
    ) -> dict[str, Any]:
        """Write the planned entities; unchanged ones are skipped and not reported (the
        AtlasEntityComparator step); stored targets of new references are reported as
        UPDATE."""
        new_values: dict[str, dict[str, Any]] = {}
        new_types: dict[str, str] = {}
        touched: dict[str, None] = {}
        for guid, type_name, incoming in planned:
            old = self._entities.get(guid)
            # a second entity of the request with the same identity continues the first one
            base = new_values.get(guid, dict(old.values) if old else {})
            for name, item in incoming.items():
                value = self._map_refs(
                    item.type_name, item.value, lambda r: self._real_ref(request, r)
                )
                before = _targets(self, item.type_name, base.get(name))
                base[name] = value
                for target in _targets(self, item.type_name, value) - before:
                    touched[target] = None
            new_values[guid] = base
            new_types.setdefault(guid, old.type_name if old else type_name)
        created, updated = [], []
        now = _now_ms()
        for guid, values in new_values.items():
            old = self._entities.get(guid)
            if old is None:
                entity = _Entity(guid, new_types[guid], values, create_time=now, update_time=now)
                self._entities[guid] = entity
                self._index(entity)
                created.append(guid)
            elif not self._same(old, values):
                old.values, old.version, old.update_time = values, old.version + 1, now
                updated.append(guid)
        for guid in touched:
            if guid not in created and guid not in updated and guid in self._entities:
                updated.append(guid)
        mutated = {}
        if created:
            mutated["CREATE"] = [self.header(self._entities[g]) for g in created]
        if updated:
            mutated["UPDATE"] = [self.header(self._entities[g]) for g in updated]
        response: dict[str, Any] = {"guidAssignments": request.assignments}
        if mutated:
            response["mutatedEntities"] = mutated
        return response

    def _real_ref(self, request: _Request, ref: dict[str, Any]) -> dict[str, str]:
        """A reference as stored: the real guid and the target's type."""
        if _ref_kind(ref) == "guid":
            guid = str(ref["guid"])
            real = request.assignments.get(guid) or request.resolved.get(guid) or guid
        else:
            real = request.by_unique[_unique_key(ref)]
        stored = self._entities.get(real)
        return {"guid": real, "typeName": stored.type_name if stored else request.types[real]}

    def _same(self, entity: _Entity, values: dict[str, Any]) -> bool:
        """Whether an update changes nothing; SET attributes compare without order and an
        empty array equals a missing one, as AtlasArrayType.areEqualValues does."""
        for name in values.keys() | entity.values.keys():
            old, new = entity.values.get(name), values.get(name)
            if isinstance(old, list) or isinstance(new, list):
                old, new = old or [], new or []
                if self._is_set(entity.type_name, name):
                    old, new = sorted(map(_key, old)), sorted(map(_key, new))
            if old != new:
                return False
        return True

    def _is_set(self, type_name: str, name: str) -> bool:
        """Whether the attribute is a SET (declared cardinality or relationship end)."""
        ends = self.types.ends(type_name)
        if name in ends:
            return ends[name].is_set
        declared = self.types.attributes(type_name)
        return name in declared and declared[name][1]["cardinality"] == "SET"

    def _index(self, entity: _Entity) -> None:
        """Make an ACTIVE entity findable by type and qualifiedName."""
        qualified_name = entity.values.get("qualifiedName")
        if isinstance(qualified_name, str):
            self._active[(entity.type_name, qualified_name)] = entity.guid

    def get_bulk_by_unique(self, type_name: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """``GET entity/bulk/uniqueAttribute/type/{type}?attr_N:qualifiedName=…``: the ACTIVE
        entities found, the others left out without an error; nothing found is ``{}``
        (EntityGraphRetriever.getEntitiesByUniqueAttributes, AtlasEntitiesWithExtInfo with
        null lists left out)."""
        self._entity_type(type_name)
        names = [
            v
            for k, values in query.items()
            if re.fullmatch(r"attr_\d+:qualifiedName", k)
            for v in values
        ]
        found = [self.find_active(type_name, name) for name in names]
        entities = [self.render(self._entities[g]) for g in dict.fromkeys(found) if g]
        return {"entities": entities} if entities else {}

    def update_by_unique(
        self, type_name: str, unique: dict[str, str], payload: Json
    ) -> dict[str, Any]:
        """``PUT entity/uniqueAttribute/type/{type}?attr:qualifiedName=…`` with
        ``{"entity": …}``: a partial update of the primitive attributes given, the guid kept
        (AtlasEntityStoreV2.updateByUniqueAttributes; Atlas's Hive hook renames tables so).
        References in the body are not supported here."""
        self._entity_type(type_name)
        guid = self.find_active(type_name, unique.get("qualifiedName"))
        if guid is None:
            raise _not_found_by_unique(type_name, unique)
        body = payload.get("entity") if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            raise _invalid_parameters("entity is missing")
        stored = self._entities[guid]
        declared = self.types.attributes(stored.type_name)
        values, messages = dict(stored.values), []
        for name, value in _mapping(body, "attributes").items():
            if name in declared:
                field_name = f"{stored.type_name}.{name}"
                self._check_value(declared[name][1]["typeName"], value, field_name, messages)
                values[name] = value
        if messages:
            raise AtlasError(
                404,
                "ATLAS-404-00-007",
                f"Invalid instance creation/updation parameters passed : {messages[0]}",
            )
        holder = self.find_active(stored.type_name, values.get("qualifiedName"))
        if holder not in (None, guid):
            raise AtlasError(
                400,
                "ATLAS-400-00-05C",
                f"attribute qualifiedName is unique: {values['qualifiedName']} is taken",
            )
        if self._same(stored, values):
            return {}
        del self._active[(stored.type_name, str(stored.values.get("qualifiedName")))]
        stored.values, stored.version, stored.update_time = values, stored.version + 1, _now_ms()
        self._index(stored)
        return {"mutatedEntities": {"PARTIAL_UPDATE": [self.header(stored)]}}

    # -- delete ----------------------------------------------------------------------------

    def delete_by_unique(
        self, type_name: str, unique: dict[str, str], strict: bool
    ) -> dict[str, Any]:
        """``DELETE entity/uniqueAttribute/type/{type}``: soft delete, with the entities a
        COMPOSITION makes it own (spark_table -> spark_column). Nothing to delete is not an
        error in Atlas (``strict`` makes it 404)."""
        self._entity_type(type_name)
        guid = self.find_active(type_name, unique.get("qualifiedName"))
        if guid is None:
            if strict or not unique:
                raise _not_found_by_unique(type_name, unique)
            return {}
        deleted = self._soft_delete(guid)
        return {"mutatedEntities": {"DELETE": [self.header(self._entities[g]) for g in deleted]}}

    def _soft_delete(self, guid: str) -> list[str]:
        """Mark the entity and what it owns DELETED and unfindable by qualifiedName."""
        deleted: list[str] = []
        pending = [guid]
        now = _now_ms()
        while pending:
            current = self._entities[pending.pop(0)]
            if current.status == "DELETED" or current.guid in deleted:
                continue
            current.status, current.update_time = "DELETED", now
            key = (current.type_name, str(current.values.get("qualifiedName")))
            if self._active.get(key) == current.guid:
                del self._active[key]
            deleted.append(current.guid)
            pending.extend(self._owned_by(current))
        return deleted

    def _owned_by(self, owner: _Entity) -> list[str]:
        """Children through COMPOSITION relationships, whichever end the uploader set."""
        children = []
        for name, end in self.types.ends(owner.type_name).items():
            if end.owns:
                children += _targets(self, end.type_name, owner.values.get(name))
        for entity in self._entities.values():
            if entity.status != "ACTIVE":
                continue
            for name, end in self.types.ends(entity.type_name).items():
                if end.owned and owner.guid in _targets(
                    self, end.type_name, entity.values.get(name)
                ):
                    children.append(entity.guid)
        return children

    # -- helpers ---------------------------------------------------------------------------

    def _entity_type(self, type_name: object) -> str:
        """The name, when it is an entity type; else TYPE_NAME_INVALID as Atlas answers."""
        if self.types.entity_def(type_name) is None:
            raise _type_invalid(type_name)
        return str(type_name)

    def _map_refs(self, type_name: str, value: Any, fn: Callable[[Any], Any]) -> Any:
        """Apply ``fn`` to every object id in a value of the given Atlas type."""
        if value is None:
            return None
        kind, parts = _split_type(type_name)
        if kind == "array":
            if not isinstance(value, list):
                return value
            return [self._map_refs(parts[0], item, fn) for item in value]
        if kind == "map":
            if not isinstance(value, dict):
                return value
            return {k: self._map_refs(parts[1], item, fn) for k, item in value.items()}
        if self.types.is_entity(type_name):
            return fn(value)
        return value


def _note_guid(request: _Request, guid: str) -> None:
    """Add a guid to the ordered set of referenced guids."""
    if guid not in request.guid_refs_seen:
        request.guid_refs_seen.add(guid)
        request.guid_refs.append(guid)


def _mapping(entity: dict[str, Any], key: str) -> dict[str, Any]:
    """``attributes`` or ``relationshipAttributes``, which must be objects when present."""
    value = entity.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid_parameters(f"{key} must be an object")
    return value


def _qualified_name(entity: dict[str, Any]) -> Any:
    """The identity Atlas matches on, next to the type."""
    attributes = entity.get("attributes")
    return attributes.get("qualifiedName") if isinstance(attributes, dict) else None


def _ref_kind(ref: Any) -> str:
    """ "guid" or "unique", per AtlasTypeUtil.isValid(AtlasObjectId); else 400."""
    if isinstance(ref, dict):
        if ref.get("guid"):
            return "guid"
        unique = ref.get("uniqueAttributes")
        if ref.get("typeName") and isinstance(unique, dict) and unique:
            return "unique"
    raise AtlasError(400, "ATLAS-400-00-021", f"ObjectId is not valid {ref}")


def _unique_key(ref: dict[str, Any]) -> str:
    """A hashable form of a unique-attribute reference."""
    return json.dumps([ref["typeName"], ref["uniqueAttributes"]], sort_keys=True, default=str)


def _key(value: Any) -> str:
    """A sort key for comparing SET attributes without order."""
    return json.dumps(value, sort_keys=True, default=str)


def _targets(store: EntityStore, type_name: str, value: Any) -> set[str]:
    """The guids a stored value references."""
    found: set[str] = set()

    def note(ref: Any) -> Any:
        if isinstance(ref, dict) and ref.get("guid"):
            found.add(str(ref["guid"]))
        return ref

    store._map_refs(type_name, value, note)
    return found


def _valid_primitive(type_name: str, value: Any) -> bool:
    """AtlasBuiltInTypes: numbers accept numbers or numeric strings, booleans accept
    true/false strings, dates numbers or strings, strings anything."""
    if type_name == "string":
        return True
    if type_name == "boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.lower() in ("true", "false")
        )
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if type_name == "date":
        return isinstance(value, str)
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _referenced_not_found(what: str) -> AtlasError:
    """REFERENCED_ENTITY_NOT_FOUND: the whole request fails."""
    return AtlasError(404, "ATLAS-404-00-00A", f"Referenced entity {what} is not found")


def _not_found_by_unique(type_name: str, unique: dict[str, str]) -> AtlasError:
    """INSTANCE_BY_UNIQUE_ATTRIBUTE_NOT_FOUND, the map printed the way Java prints it."""
    shown = "{" + ", ".join(f"{k}={v}" for k, v in unique.items()) + "}"
    return AtlasError(
        404,
        "ATLAS-404-00-009",
        f"Instance {type_name} with unique attribute {shown} does not exist",
    )


def _java_object_id(ref: dict[str, Any]) -> str:
    """AtlasObjectId.toString, which Atlas puts in the not-found message."""
    unique = ", ".join(f"{k}:{v}" for k, v in ref["uniqueAttributes"].items())
    guid, type_name = ref.get("guid") or "null", ref["typeName"]
    return f"AtlasObjectId{{guid='{guid}', typeName='{type_name}', uniqueAttributes={{{unique}}}}}"


# --------------------------------------------------------------------------------------------
# HTTP server


@dataclass(frozen=True)
class _Fault:
    """One scripted failure, consumed by the first request whose path contains ``where``."""

    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    where: str | None = None
    method: str | None = None


def _parse_fault(fault: tuple[Any, ...], where: str | None) -> _Fault:
    """Check a fault tuple when it is added, so a typo fails the test that wrote it."""
    match fault:
        case ("status", int(status)):
            return _Fault("status", status=status, where=where)
        case ("status", int(status), dict(headers)):
            return _Fault("status", status=status, headers=dict(headers), where=where)
        case ("slow", int(seconds) | float(seconds)) if seconds >= 0:
            return _Fault("slow", seconds=float(seconds), where=where)
        case ("drop",):
            return _Fault("drop", where=where)
        case ("hold",):
            return _Fault("hold", where=where)
    raise ValueError(
        f"unknown fault {fault!r}: use ('status', code[, headers]), ('slow', seconds), "
        "('drop',), ('hold',)"
    )


def _expected_authorization(auth: Auth) -> str | None:
    """The one Authorization header value the server accepts."""
    match auth:
        case None:
            return None
        case ("basic", str(user), str(password)):
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return f"Basic {token}"
        case ("bearer", str(token)):
            return f"Bearer {token}"
    raise ValueError("auth must be None, ('basic', user, password) or ('bearer', token)")


class AtlasServer(LocalServer):
    """The server: start it (or use ``with``), point the client at ``url``, inspect the
    state with ``entities`` / ``entity`` / ``typedef``, script failures with ``add_faults``."""

    def __init__(
        self,
        base_path: str = "/api/atlas/v2",
        auth: Auth = None,
        *,
        strict_relationships: bool = True,
        strict_delete: bool = False,
        official_models: bool | None = None,
    ) -> None:
        """``official_models``: start from Apache Atlas's own type models (the default when
        ../shared/reference/atlas-models is there), else from the base types alone."""
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self._auth = _expected_authorization(auth)
        self._auth_scheme = auth[0] if auth else None
        self._strict_delete = strict_delete
        self._lock = threading.Lock()
        self._validate_schema = purview_schema.available()
        self.schema_violations: list[str] = []  # bodies the Purview API schema refuses
        use_models = atlas_models.available() if official_models is None else official_models
        self._types = TypeRegistry(atlas_models.official_types() if use_models else None)
        self._store = EntityStore(self._types, strict_relationships)
        self._faults: list[_Fault] = []
        self._refused: dict[str, str] = {}  # qualifiedName -> error code, see refuse()
        self._requests: list[tuple[str, str]] = []
        self._agents: set[str | None] = set()  # the User-Agent headers seen
        self._sizes: list[int] = []
        self._bodies: list[bytes] = []
        self._auth_failures = 0
        self.internal_errors: list[str] = []
        self._held = threading.Event()
        self._released = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    thread_name = "atlas-test-server"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def stop(self) -> None:
        """Let held answers go, stop listening; idempotent."""
        self._released.set()
        super().stop()

    @property
    def url(self) -> str:
        """Base URL of the Atlas v2 API, e.g. ``http://127.0.0.1:PORT/api/atlas/v2``."""
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    # -- test-facing state -----------------------------------------------------------------

    def refuse(self, qualified_name: str, code: str = "ATLAS-400-00-01A") -> None:
        """From now on, answer 400 to every bulk request holding an entity of this
        qualifiedName, as a catalog refuses one bad entity and with it the whole request."""
        with self._lock:
            self._refused[qualified_name] = code

    def snapshot(self) -> list[dict[str, Any]]:
        """Every entity, deleted ones too, exactly as GET by guid answers it (versions and
        update times included): two equal snapshots mean nothing changed at all."""
        with self._lock:
            return [self._store.render(e) for e in self._store.all()]

    def add_faults(
        self, *faults: tuple[Any, ...], path_contains: str | None = None, method: str | None = None
    ) -> None:
        """Queue failures, each consumed by one request (in order; with ``path_contains``,
        only by a request whose percent-decoded path and query contain that text; with
        ``method``, only by a request of that method)."""
        parsed = [replace(_parse_fault(f, path_contains), method=method) for f in faults]
        with self._lock:
            self._faults.extend(parsed)

    def wait_held(self, timeout: float) -> bool:
        """Wait until a request hit a ``('hold',)`` fault: it was applied, and its answer
        waits for :meth:`release` (the moment to kill a client between the two)."""
        return self._held.wait(timeout)

    def release(self) -> None:
        """Let held answers go (to a client that may be gone by now)."""
        self._released.set()

    @property
    def pending_faults(self) -> int:
        """Faults not consumed yet."""
        with self._lock:
            return len(self._faults)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path with query, percent-decoded) of every request received, faulted and
        rejected ones included."""
        with self._lock:
            return list(self._requests)

    @property
    def user_agents(self) -> set[str | None]:
        """Every User-Agent header the server was sent (None: a request without one)."""
        with self._lock:
            return set(self._agents)

    @property
    def request_count(self) -> int:
        """How many requests were received."""
        with self._lock:
            return len(self._requests)

    @property
    def bodies_sizes(self) -> list[int]:
        """Body bytes of each request, in the order of ``requests``."""
        with self._lock:
            return list(self._sizes)

    def sent_entities(self, since: int = 0) -> list[dict]:
        """The entities of every ``entity/bulk`` request from the ``since``-th request on,
        as the client sent them (faulted and rejected requests included)."""
        with self._lock:
            sent = list(zip(self._requests[since:], self._bodies[since:], strict=True))
        return [
            entity
            for (method, path), body in sent
            if method == "POST" and path.endswith("/entity/bulk")
            for entity in json.loads(body)["entities"]
        ]

    @property
    def auth_failures(self) -> int:
        """Requests answered 401 (no credentials are recorded)."""
        with self._lock:
            return self._auth_failures

    def entities(self, type_name: str | None = None, status: str | None = "ACTIVE") -> list[dict]:
        """Stored entities of exactly that type (any when None) and status (any when None):
        ``{typeName, guid, status, attributes}``, references as ``{typeName, guid,
        qualifiedName}``."""
        with self._lock:
            return [
                self._store.summary(e)
                for e in self._store.all()
                if (type_name is None or e.type_name == type_name)
                and (status is None or e.status == status)
            ]

    def entity(self, type_name: str, qualified_name: str) -> dict | None:
        """The ACTIVE entity with that type and qualifiedName, as ``entities`` shows it."""
        with self._lock:
            guid = self._store._active.get((type_name, qualified_name))
            return self._store.summary(self._store._entities[guid]) if guid else None

    def typedef(self, name: str) -> dict | None:
        """The stored def, as ``GET types/typedef/name/{name}`` returns it."""
        with self._lock:
            d = self._types.get(name)
            return copy.deepcopy(d) if d else None

    def add_typedefs(self, typesdef: dict[str, Any]) -> None:
        """Create defs without HTTP (e.g. Purview's scanner types a test needs)."""
        with self._lock:
            self._types.create(typesdef)

    def add_entities(self, entities: list[dict[str, Any]]) -> dict[str, Any]:
        """Store entities without HTTP (e.g. "scanned" datasets), same rules as bulk."""
        with self._lock:
            return self._store.bulk({"entities": entities})

    # -- request handling (called from the handler threads) ----------------------------------

    def _begin(self, method: str, path: str, body: bytes, agent: str | None) -> _Fault | None:
        """Record the request and take the first queued fault that applies to it."""
        with self._lock:
            self._requests.append((method, path))
            self._agents.add(agent)
            self._sizes.append(len(body))
            self._bodies.append(body)
            for i, fault in enumerate(self._faults):
                if (fault.where is None or fault.where in path) and fault.method in (None, method):
                    return self._faults.pop(i)
        return None

    def _respond(
        self, method: str, raw_path: str, authorization: str | None, body: bytes
    ) -> tuple[int, Json, dict[str, str]]:
        """Authenticate, parse and route one request to (status, JSON body, headers)."""
        if self._auth is not None and not _same_credentials(authorization, self._auth):
            with self._lock:
                self._auth_failures += 1
            scheme = "Basic" if self._auth_scheme == "basic" else "Bearer"
            error = AtlasError(401, "ATLAS-401-00-001", "Authentication required or invalid")
            return 401, error.body(), {"WWW-Authenticate": f'{scheme} realm="atlas"'}
        try:
            parts = urlsplit(raw_path)
            query = parse_qs(parts.query, keep_blank_values=True)
            payload = _json_body(body)
            with self._lock:
                self._check_schema(method, unquote(parts.path), payload)
                return 200, self._route(method, unquote(parts.path), query, payload), {}
        except AtlasError as error:
            return error.status, error.body(), {}
        except Exception as error:  # a bug here must not look like a server-side 500 to retry
            self.internal_errors.append(traceback.format_exc())
            failure = AtlasError(500, "ATLAS-500-00-001", f"Internal server error {error!r}")
            return 500, failure.body(), {}

    def _check_schema(self, method: str, path: str, payload: Json) -> None:
        """Bodies must be what the Purview Data Map API declares (tests/purview_schema.py);
        one that is not is answered 400 and kept in ``schema_violations``."""
        if not self._validate_schema:
            return
        route = "/".join(path[len(self.base_path) + 1 :].strip("/").split("/")[:2])
        definition = purview_schema.BODIES.get((method, route))
        problems = purview_schema.violations(definition, payload) if definition else []
        if problems:
            self.schema_violations.extend(f"{method} {path}: {p}" for p in problems)
            raise _invalid_parameters(f"the body does not match the API schema: {problems[0]}")

    def _check_refused(self, payload: Json) -> None:
        entities = payload.get("entities") if isinstance(payload, dict) else None
        for entity in entities if isinstance(entities, list) else []:
            name = _qualified_name(entity) if isinstance(entity, dict) else None
            if isinstance(name, str) and name in self._refused:
                raise AtlasError(400, self._refused[name], f"entity {name} is refused")

    def _route(self, method: str, path: str, query: dict[str, list[str]], payload: Json) -> Json:
        """Dispatch on method and path below the base path."""
        if not path.startswith(self.base_path + "/"):
            raise AtlasError(404, "UNKNOWN_ROUTE", f"no route for {method} {path}")
        unique = {k[5:]: v[0] for k, v in query.items() if k.startswith("attr:")}
        match method, path[len(self.base_path) + 1 :].strip("/").split("/"):
            case "GET", ["types", "typedefs", "headers"]:
                return self._types.headers()
            case "GET", ["types", "typedefs"]:
                return self._types.all()
            case "POST", ["types", "typedefs"]:
                return self._types.create(payload)
            case "PUT", ["types", "typedefs"]:
                return self._types.update(payload)
            case "GET", ["types", "typedef", "name", name]:
                d = self._types.get(name)
                if d is None:
                    raise _typename_not_found(name)
                return d
            case "POST", ["entity", "bulk"]:
                self._check_refused(payload)
                return self._store.bulk(payload)
            case "GET", ["entity", "uniqueAttribute", "type", type_name]:
                return self._store.get_by_unique(type_name, unique)
            case "GET", ["entity", "bulk", "uniqueAttribute", "type", type_name]:
                return self._store.get_bulk_by_unique(type_name, query)
            case "PUT", ["entity", "uniqueAttribute", "type", type_name]:
                return self._store.update_by_unique(type_name, unique, payload)
            case "DELETE", ["entity", "uniqueAttribute", "type", type_name]:
                return self._store.delete_by_unique(type_name, unique, self._strict_delete)
            case "GET", ["entity", "guid", guid]:
                return self._store.get_by_guid(guid)
        raise AtlasError(404, "UNKNOWN_ROUTE", f"no route for {method} {path}")


def _same_credentials(given: str | None, expected: str) -> bool:
    """Scheme compared case-insensitively, the credentials in constant time."""
    if not given:
        return False
    scheme, _, value = given.strip().partition(" ")
    want_scheme, _, want_value = expected.partition(" ")
    return scheme.lower() == want_scheme.lower() and hmac.compare_digest(
        value.strip().encode(), want_value.encode()
    )


def _json_body(body: bytes) -> Json:
    """The parsed body; an unreadable one is a 400 like Atlas's JSON provider gives."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as error:
        raise _invalid_parameters(f"body is not JSON: {error}") from None


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as Atlas and Purview speak it, so connection reuse and
    dropped connections behave as they would in production."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: QuietHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean; the server records requests itself."""

    def _serve(self, method: str) -> None:
        """Read the body, apply a scripted fault if one is due, else answer."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # the body cannot be skipped: end the connection
            error = AtlasError(411, "LENGTH_REQUIRED", "send the body with a Content-Length")
            self._send(411, error.body(), {"Connection": "close"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        atlas = self.server.owner
        fault = atlas._begin(method, unquote(self.path), body, self.headers.get("User-Agent"))
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # no status line, no headers: the client sees EOF
            return
        if fault is not None and fault.kind == "status":
            error = AtlasError(fault.status, f"FAULT-{fault.status}", "scripted fault")
            self._send(fault.status, error.body(), fault.headers)
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        status, payload, headers = atlas._respond(
            method, self.path, self.headers.get("Authorization"), body
        )
        if fault is not None and fault.kind == "hold":
            atlas._held.set()
            atlas._released.wait(timeout=60)
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Json, headers: dict[str, str]) -> None:
        """Write a JSON answer; a client that already hung up is not an error."""
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


# --------------------------------------------------------------------------------------------
# pytest fixtures


@pytest.fixture
def atlas_server() -> Iterator[AtlasServer]:
    """A started server without auth at /api/atlas/v2; fails the test if the server itself
    hit a bug (those are answered 500 and would otherwise look like a retryable error)."""
    with AtlasServer() as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)
    assert not server.schema_violations, "\n".join(server.schema_violations)


@pytest.fixture
def atlas_server_factory() -> Iterator[Callable[..., AtlasServer]]:
    """Make started servers with any AtlasServer arguments; all are stopped after the test."""
    servers: list[AtlasServer] = []

    def make(**kwargs: Any) -> AtlasServer:
        server = AtlasServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    errors = [e for server in servers for e in server.internal_errors]
    assert not errors, "\n".join(errors)
    invalid = [v for server in servers for v in server.schema_violations]
    assert not invalid, "\n".join(invalid)
