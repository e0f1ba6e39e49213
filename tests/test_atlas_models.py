"""The test server holds what Apache Atlas holds and refuses what Atlas refuses.

The uploader's tests trust the server, and a server laxer than Atlas let a bug ship (processes
pointing at ``hive_db``, which real Atlas refuses: the whole request of processes was lost).
So the server is checked here against Atlas's official models, read independently from
``../shared/reference/atlas-models/``, and against the Purview Data Map API schema; and the
public corpus, uploaded whole, must land without one refusal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests import atlas_models, purview_schema
from tests.atlas_server import AtlasServer
from tests.catalog import cli, prepare_catalog

pytestmark = pytest.mark.skipif(
    not (atlas_models.available() and purview_schema.available()),
    reason="the official Atlas models and Purview schema (../shared/reference) are not here",
)
TIMEOUT = 10


@pytest.fixture
def server() -> Iterator[AtlasServer]:
    with AtlasServer(official_models=True) as atlas:
        yield atlas


def _model_defs() -> dict[str, dict[str, Any]]:
    """Every def of the model files as the files have them (no patch applied)."""
    return {
        d["name"]: d
        for path in atlas_models.model_files()
        for kind, defs in json.loads(path.read_text()).items()
        if kind.endswith("Defs")
        for d in defs
    }


def _post(server: AtlasServer, *entities: Any) -> requests.Response:
    return requests.post(
        f"{server.url}/entity/bulk", json={"entities": list(entities)}, timeout=TIMEOUT
    )


def _error(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("errorCode")


def _ref(type_name: str, qualified_name: str) -> dict[str, Any]:
    return {"typeName": type_name, "uniqueAttributes": {"qualifiedName": qualified_name}}


def _entity(type_name: str, qualified_name: str, **attributes: Any) -> dict[str, Any]:
    return {
        "typeName": type_name,
        "attributes": {"qualifiedName": qualified_name, "name": qualified_name, **attributes},
    }


def test_every_model_type_is_there_with_its_patches(server):
    files = _model_defs()
    avro = {"kafka_topic_avroSchema"}  # its other end is in the avro model, not copied
    assert {n for n in files if n not in avro} <= {
        d["name"]
        for d in requests.get(f"{server.url}/types/typedefs/headers", timeout=TIMEOUT).json()
    }
    spark_process = server.typedef("spark_process")
    assert "queryText" in {a["name"] for a in spark_process["attributeDefs"]}  # patch 015
    assert "Path" in server.typedef("fs_path")["superTypes"]  # patch 018
    assert "managedLocation" in {a["name"] for a in server.typedef("hive_db")["attributeDefs"]}
    hive_db = {a["name"]: a for a in server.typedef("hive_db")["attributeDefs"]}
    assert hive_db["clusterName"]["isOptional"] is False  # as the model file says
    # A patch applies only to the version it names, as Atlas's initializer checks: the hive
    # model file is already at 1.2, past 008's REMOVE_LEGACY_REF_ATTRIBUTES (1.1 -> 1.2).
    assert server.typedef("hive_table_db")["endDef1"]["isLegacyAttribute"] is True


def test_a_process_pointing_at_a_database_is_refused_as_atlas_does(server):
    """The bug that shipped: hive_db is an Asset, Process.outputs take DataSets."""
    assert _post(server, _entity("hive_db", "sales@primary", clusterName="primary")).ok
    app = _entity("spark_application", "app-1")
    assert _post(server, app).ok
    process = _entity("spark_process", "app-1/1", outputs=[_ref("hive_db", "sales@primary")])
    process["relationshipAttributes"] = {"application": _ref("spark_application", "app-1")}
    refused = _post(server, process)
    assert _error(refused) == (400, "ATLAS-400-00-036")
    assert "process_dataset_outputs" in refused.json()["errorMessage"]
    assert server.entity("spark_process", "app-1/1") is None


def test_a_non_dataset_input_in_the_same_request_is_refused(server):
    database = _entity("hive_db", "hr@primary", clusterName="primary")
    process = _entity("Process", "p/1", inputs=[_ref("hive_db", "hr@primary")])
    database["guid"], process["attributes"]["inputs"] = (
        "-1",
        [{"guid": "-1", "typeName": "hive_db"}],
    )
    assert _error(_post(server, database, process)) == (400, "ATLAS-400-00-036")
    assert server.entity("hive_db", "hr@primary") is None  # all or nothing


def test_a_relationship_end_of_the_wrong_type_is_refused(server):
    assert _post(server, _entity("hive_table", "a.t@primary")).ok
    table = _entity("hive_table", "a.u@primary")
    table["relationshipAttributes"] = {"db": _ref("hive_table", "a.t@primary")}
    assert _error(_post(server, table)) == (400, "ATLAS-400-00-036")
    assert _post(server, _entity("hive_db", "a@primary", clusterName="primary")).ok
    table["relationshipAttributes"] = {"db": _ref("hive_db", "a@primary")}
    assert _post(server, table).ok


@pytest.mark.parametrize(
    "entity",
    [
        _entity("hive_db", "x@primary"),  # clusterName is mandatory
        _entity("kafka_topic", "t@primary", topic="t"),  # uri is mandatory
        _entity("fs_path", "file:/x"),  # path is mandatory
        _entity("spark_process", "a/1", executionId="one"),  # a long
        _entity("hive_table", "a.t@primary", retention="a week"),  # an int
        _entity("hive_db", "y@primary", clusterName="c", ownerType="NOBODY"),  # an enum
    ],
)
def test_what_the_model_does_not_allow_is_refused(server, entity):
    assert _error(_post(server, entity)) == (404, "ATLAS-404-00-007")


def test_an_unknown_type_is_refused(server):
    assert _error(_post(server, _entity("spark_db2", "x"))) == (400, "ATLAS-400-00-014")


def test_valid_lineage_is_accepted(server):
    prepare_catalog(server)  # sparklineage's typedefs, applied over the model's spark types
    datasets = [_entity("hive_table", "d.i@primary"), _entity("fs_path", "file:/o", path="/o")]
    assert _post(server, *datasets, _entity("spark_application", "app-2")).ok
    process = _entity(
        "spark_process",
        "app-2/1",
        inputs=[_ref("hive_table", "d.i@primary")],
        outputs=[_ref("fs_path", "file:/o")],
        executionId=1,
        columnMapping="[]",
    )
    process["relationshipAttributes"] = {"application": _ref("spark_application", "app-2")}
    assert _post(server, process).ok
    assert server.entity("spark_process", "app-2/1")["attributes"]["columnMapping"] == "[]"


@pytest.mark.parametrize(
    "body",
    [
        {"entities": {"not": "a list"}},
        {"entities": [{"typeName": 7, "attributes": {}}]},
        {"entities": [{"typeName": "hive_table", "guid": {"x": 1}, "attributes": {}}]},
    ],
)
def test_a_body_the_purview_schema_refuses_is_refused_and_recorded(server, body):
    answer = requests.post(f"{server.url}/entity/bulk", json=body, timeout=TIMEOUT)
    assert answer.status_code == 400 and "API schema" in answer.json()["errorMessage"]
    assert server.schema_violations and "AtlasEntitiesWithExtInfo" in server.schema_violations[0]


def test_the_public_corpus_lands_whole(corpus, server):
    """A History Server directory of ordinary applications: every process the plan holds
    lands, none refused, every body valid under the Purview schema."""
    prepare_catalog(server)
    payloads = json.loads(cli("extract", str(corpus), "--format", "atlas").stdout)
    planned = {p["attributes"]["qualifiedName"] for p in payloads["processes"]["entities"]}
    done = cli("upload", str(corpus), "--endpoint", server.url)
    assert "ATLAS-400" not in done.stderr and "refused" not in done.stderr, done.stderr
    landed = {p["attributes"]["qualifiedName"] for p in server.entities("spark_process")}
    assert len(planned) > 50 and planned <= landed
    assert not server.schema_violations and not server.internal_errors
