"""Request bodies checked against the Purview Data Map API schema, api-version 2023-09-01.

Why: the test server follows Apache Atlas's rules, but the bodies must also be what Purview's
published API declares (``AtlasEntitiesWithExtInfo`` for ``POST /entity/bulk``,
``AtlasTypesDef`` for ``POST``/``PUT /types/typedefs``, ``AtlasEntityWithExtInfo`` for a
partial update by unique attribute). The schema is read from
``../shared/reference/purview-spec/`` (a subset of Azure/azure-rest-api-specs, copied
unchanged as data; see its SOURCE.md), never from the repository. Swagger 2.0 definitions are
JSON Schema draft 4 with ``$ref: #/definitions/…``, which jsonschema resolves within the
document; Swagger's own keywords (``readOnly``) constrain nothing here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SPEC = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "reference"
    / "purview-spec"
    / "purviewdatamap-2023-09-01.subset.json"
)

# What each request the server takes must be, by (method, route) as the server names them.
BODIES = {
    ("POST", "entity/bulk"): "AtlasEntitiesWithExtInfo",
    ("POST", "types/typedefs"): "AtlasTypesDef",
    ("PUT", "types/typedefs"): "AtlasTypesDef",
    ("PUT", "entity/uniqueAttribute"): "AtlasEntityWithExtInfo",
}


def available() -> bool:
    return SPEC.is_file()


@functools.cache
def _validator(definition: str) -> jsonschema.Draft4Validator:
    spec = json.loads(SPEC.read_text())
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    return jsonschema.Draft4Validator(schema)


def violations(definition: str, body: Any) -> list[str]:
    """Why ``body`` is not a valid ``definition`` of the spec (empty when it is)."""
    errors = sorted(_validator(definition).iter_errors(body), key=lambda e: list(e.path))
    return [f"{definition}{_where(e)}: {e.message}" for e in errors]


def _where(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{p!r}]" for p in error.absolute_path)
