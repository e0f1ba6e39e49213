"""The type definitions sparklineage uploads: the Atlas Spark model's application and process
(`1100-spark_model.json`), with what Purview needs on top (``columnMapping`` on the process).

``sparklineage typedefs`` compares these with what the server has and creates what is
missing, updates what differs, and leaves the rest alone.
"""

from __future__ import annotations

from typing import Any

SERVICE_TYPE = "spark"


def _attribute(
    name: str, type_name: str = "string", *, optional: bool = True, indexable: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "typeName": type_name,
        "isOptional": optional,
        "cardinality": "SINGLE",
        "isUnique": False,
        "isIndexable": indexable,
    }


def _entity(name: str, super_type: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "category": "ENTITY",
        "name": name,
        "superTypes": [super_type],
        "serviceType": SERVICE_TYPE,
        "typeVersion": "1.1",
        "attributeDefs": attributes,
    }


ENTITY_DEFS: list[dict[str, Any]] = [
    _entity(
        "spark_application",
        "Process",
        [_attribute("currentUser"), _attribute("remoteUser"), _attribute("sparkVersion")],
    ),
    _entity(
        "spark_process",
        "Process",
        [
            _attribute("executionId", "long"),
            _attribute("currUser"),
            _attribute("remoteUser"),
            _attribute("details"),
            _attribute("sparkPlanDescription"),
            # The statement a server's client sent, as Atlas's patch 015 to its Spark model
            # defines it (an Atlas that has the patch keeps its def unchanged).
            _attribute("queryText", indexable=True),
            # Purview draws column lineage from this JSON string; plain Process lacks it.
            _attribute("columnMapping"),
            _attribute("operation"),
            _attribute("status"),
            _attribute("startTime", "long"),
            _attribute("endTime", "long"),
        ],
    ),
]

# `--spark-types`: tables and databases as the Atlas Spark model names them. Purview has no
# such types; Apache Atlas has them from its model (1100-spark_model.json), with these
# attributes among others, so where they exist nothing here changes them.
SPARK_DATASET_DEFS: list[dict[str, Any]] = [
    _entity("spark_db", "DataSet", [_attribute("location"), _attribute("clusterName")]),
    _entity("spark_table", "DataSet", [_attribute("tableType"), _attribute("provider")]),
]

RELATIONSHIP_DEFS: list[dict[str, Any]] = [
    {
        "category": "RELATIONSHIP",
        "name": "spark_application_processes",
        "serviceType": SERVICE_TYPE,
        "typeVersion": "1.0",
        "relationshipCategory": "AGGREGATION",
        "propagateTags": "NONE",
        "endDef1": {
            "type": "spark_application",
            "name": "processes",
            "isContainer": True,
            "cardinality": "SET",
            "isLegacyAttribute": False,
        },
        "endDef2": {
            "type": "spark_process",
            "name": "application",
            "isContainer": False,
            "cardinality": "SINGLE",
            "isLegacyAttribute": False,
        },
    }
]


def typedefs(*, spark_types: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The whole set, as ``POST /types/typedefs`` takes it; with ``spark_types``, the Spark
    model's table and database types too."""
    entities = ENTITY_DEFS + (SPARK_DATASET_DEFS if spark_types else [])
    return {"entityDefs": entities, "relationshipDefs": RELATIONSHIP_DEFS}


def changes(
    existing: dict[str, dict[str, Any]], spark_types: bool = False
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """(to create, to update) given the server's defs by name: a def is updated when one of
    ours is missing from it or differs (the server's own additions are kept)."""
    create: dict[str, list[dict[str, Any]]] = {"entityDefs": [], "relationshipDefs": []}
    update: dict[str, list[dict[str, Any]]] = {"entityDefs": [], "relationshipDefs": []}
    for kind, defs in typedefs(spark_types=spark_types).items():
        for wanted in defs:
            have = existing.get(wanted["name"])
            if have is None:
                create[kind].append(wanted)
            elif _differs(wanted, have):
                update[kind].append(_merged(wanted, have))
    return create, update


def _differs(wanted: dict[str, Any], have: dict[str, Any]) -> bool:
    if wanted["category"] == "RELATIONSHIP":
        return any(have.get(k) != wanted[k] for k in ("endDef1", "endDef2", "relationshipCategory"))
    have_attrs = {a["name"]: a.get("typeName") for a in have.get("attributeDefs", [])}
    missing = any(have_attrs.get(a["name"]) != a["typeName"] for a in wanted["attributeDefs"])
    return missing or bool(set(wanted["superTypes"]) - set(have.get("superTypes", [])))


def _merged(wanted: dict[str, Any], have: dict[str, Any]) -> dict[str, Any]:
    """Ours, keeping attributes the server's def has that ours does not."""
    if wanted["category"] == "RELATIONSHIP":
        return {**have, **wanted}
    ours = {a["name"] for a in wanted["attributeDefs"]}
    extra = [a for a in have.get("attributeDefs", []) if a["name"] not in ours]
    return {**have, **wanted, "attributeDefs": [*wanted["attributeDefs"], *extra]}
