"""Apache Atlas's official type models, as a running Atlas has them: for the test server.

Why: a stand-in that only knows the types a test hand-wrote accepts what real Atlas refuses
(it let processes point at ``hive_db``, which is no ``DataSet``, and a bug shipped). When
``../shared/reference/atlas-models/`` is beside the checkout (copied unchanged from
apache/atlas ``addons/models/``, see its SOURCE.md), the server starts from those files, in
folder and file order, with their patches applied the way Atlas's
``AtlasTypeDefStoreInitializer`` applies them at start-up:

- ``ADD_ATTRIBUTE``: the patch's attributeDefs join the type's;
- ``UPDATE_ATTRIBUTE``: they replace the type's attributeDefs of the same name;
- ``ADD_SUPER_TYPES``: the patch's superTypes join the type's;
- ``REMOVE_LEGACY_REF_ATTRIBUTES``: the relationship's ends stop being legacy attributes,
  and the attribute of that name leaves the end type's attributeDefs (the reference then
  lives in ``relationshipAttributes`` only).

Each applies to the type at ``applyToVersion`` and moves it to ``updateToVersion``. The other
actions (``SET_SERVICE_TYPE``, ``UPDATE_ATTRIBUTE_METADATA``, ``UPDATE_TYPEDEF_OPTIONS``,
``UPDATE_ENUMDEF``) change search weights, options, service types or enum labels, nothing
an entity may carry, and are left out. Relationships to models that were not copied (avro)
are left out too. Nothing of the models is copied into the repository.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "atlas-models"
_KINDS = ("enumDefs", "structDefs", "classificationDefs", "entityDefs", "relationshipDefs")


def available() -> bool:
    return MODELS.is_dir()


def model_files() -> list[Path]:
    """The model files in the order Atlas loads them (folder, then file name)."""
    return sorted(p for p in MODELS.glob("*/*.json"))


def patch_files() -> list[Path]:
    return sorted(MODELS.glob("*/patches/*.json"))


def official_types() -> list[dict[str, list[dict[str, Any]]]]:
    """One typesdef per model file, patches applied, in loading order (a fresh copy)."""
    return copy.deepcopy(_official_types())


@functools.cache
def _official_types() -> list[dict[str, list[dict[str, Any]]]]:
    files = [json.loads(p.read_text()) for p in model_files()]
    by_name = {d["name"]: d for f in files for kind in _KINDS for d in f.get(kind, ())}
    for path in patch_files():
        for patch in json.loads(path.read_text())["patches"]:
            _apply(patch, by_name)
    for f in files:  # the avro model was not copied: kafka_topic_avroSchema has no end there
        f["relationshipDefs"] = [
            r
            for r in f.get("relationshipDefs", [])
            if r["endDef1"]["type"] in by_name and r["endDef2"]["type"] in by_name
        ]
    return [{kind: f.get(kind, []) for kind in _KINDS if f.get(kind)} for f in files]


def _apply(patch: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> None:
    target = by_name.get(patch["typeName"])
    action = patch["action"]
    if target is None or target.get("typeVersion", "1.0") != patch["applyToVersion"]:
        return
    if action == "ADD_ATTRIBUTE":
        known = {a["name"] for a in target.get("attributeDefs", [])}
        added = [a for a in patch["attributeDefs"] if a["name"] not in known]
        target["attributeDefs"] = [*target.get("attributeDefs", []), *copy.deepcopy(added)]
    elif action == "UPDATE_ATTRIBUTE":
        new = {a["name"]: a for a in patch["attributeDefs"]}
        target["attributeDefs"] = [
            copy.deepcopy(new.get(a["name"], a)) for a in target.get("attributeDefs", [])
        ]
    elif action == "ADD_SUPER_TYPES":
        target["superTypes"] = list(
            dict.fromkeys([*target.get("superTypes", []), *patch["superTypes"]])
        )
    elif action == "REMOVE_LEGACY_REF_ATTRIBUTES":
        for end_key in ("endDef1", "endDef2"):
            end = target[end_key]
            if end.get("isLegacyAttribute"):
                end["isLegacyAttribute"] = False
                owner = by_name.get(end["type"])
                if owner is not None:
                    owner["attributeDefs"] = [
                        a for a in owner.get("attributeDefs", []) if a["name"] != end["name"]
                    ]
    # The other actions change search weights, options, service types or enum labels:
    # nothing to enforce, but they move the version the next patch applies to.
    target["typeVersion"] = patch["updateToVersion"]
