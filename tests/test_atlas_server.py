"""The Atlas test server answers over real HTTP the way Apache Atlas does.

The uploader's tests trust this server, so its rules are pinned here: typedef conflicts and
updates, inherited mandatory attributes, create-or-update by qualifiedName, placeholder guids,
references by unique attribute, soft delete, auth, and the scripted faults.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.atlas_server import AtlasServer

TIMEOUT = 5

SPARK_TYPES: dict[str, list[dict[str, Any]]] = {
    "entityDefs": [
        {
            "name": "spark_process",
            "superTypes": ["Process"],
            "attributeDefs": [
                {"name": "currUser", "typeName": "string", "isOptional": True},
                {"name": "executionId", "typeName": "long", "isOptional": True},
            ],
        },
        {"name": "spark_table", "superTypes": ["DataSet"], "attributeDefs": []},
        {
            "name": "spark_column",
            "superTypes": ["DataSet"],
            "attributeDefs": [{"name": "type", "typeName": "string", "isOptional": False}],
        },
    ],
    "relationshipDefs": [
        {
            "name": "spark_table_columns",
            "relationshipCategory": "COMPOSITION",
            "endDef1": {
                "type": "spark_table",
                "name": "columns",
                "isContainer": True,
                "cardinality": "SET",
            },
            "endDef2": {"type": "spark_column", "name": "table", "cardinality": "SINGLE"},
        }
    ],
}


@pytest.fixture
def atlas_server() -> Iterator[AtlasServer]:
    """The server's mechanics are pinned on the small hand-made types above, so these tests
    start it from the base types alone (tests/test_atlas_models.py holds it to the official
    models)."""
    with AtlasServer(official_models=False) as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that ignores proxy settings: only 127.0.0.1 is ever contacted."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def spark(atlas_server: AtlasServer) -> AtlasServer:
    """The default server with the Spark types already defined."""
    atlas_server.add_typedefs(SPARK_TYPES)
    return atlas_server


def call(http: requests.Session, server: AtlasServer, method: str, path: str, **kwargs: Any):
    """One request below the server's base path, never without a timeout."""
    kwargs.setdefault("timeout", TIMEOUT)
    return http.request(method, server.url + path, **kwargs)


def bulk(http: requests.Session, server: AtlasServer, *entities: dict[str, Any]):
    """POST entity/bulk."""
    return call(http, server, "POST", "/entity/bulk", json={"entities": list(entities)})


def dataset(qualified_name: str, guid: str | None = None, **attributes: Any) -> dict[str, Any]:
    """A DataSet entity as an uploader sends it."""
    entity = {
        "typeName": "DataSet",
        "attributes": {"qualifiedName": qualified_name, "name": qualified_name, **attributes},
    }
    if guid is not None:
        entity["guid"] = guid
    return entity


def process(qualified_name: str, inputs: list, outputs: list, guid: str = "-100") -> dict:
    """A spark_process entity referencing its datasets."""
    return {
        "typeName": "spark_process",
        "guid": guid,
        "attributes": {
            "qualifiedName": qualified_name,
            "name": qualified_name,
            "inputs": inputs,
            "outputs": outputs,
        },
    }


def by_qn(type_name: str, qualified_name: str) -> dict[str, Any]:
    """A reference by unique attribute."""
    return {"typeName": type_name, "uniqueAttributes": {"qualifiedName": qualified_name}}


def error(response: requests.Response) -> tuple[int, str]:
    """(status, errorCode) of an error answer."""
    return response.status_code, response.json()["errorCode"]


# -- typedefs --------------------------------------------------------------------------------


def test_typedefs_create_conflict_headers_and_update(atlas_server, http):
    created = call(http, atlas_server, "POST", "/types/typedefs", json=SPARK_TYPES)
    assert created.status_code == 200
    assert [d["name"] for d in created.json()["entityDefs"]] == [
        "spark_process",
        "spark_table",
        "spark_column",
    ]
    headers = call(http, atlas_server, "GET", "/types/typedefs/headers").json()
    categories = {h["name"]: h["category"] for h in headers}
    assert categories["spark_process"] == "ENTITY"
    assert categories["spark_table_columns"] == "RELATIONSHIP"
    assert categories["Referenceable"] == "ENTITY"

    # One existing name rejects the whole request: the new type is not created either.
    again = {"entityDefs": [*SPARK_TYPES["entityDefs"][:1], {"name": "brand_new"}]}
    conflict = call(http, atlas_server, "POST", "/types/typedefs", json=again)
    assert error(conflict) == (409, "ATLAS-409-00-001")
    missing = call(http, atlas_server, "GET", "/types/typedef/name/brand_new")
    assert error(missing) == (404, "ATLAS-404-00-001")
    assert missing.json()["errorMessage"] == "Given typename brand_new was invalid"

    updated_def = {
        "name": "spark_process",
        "superTypes": ["Process"],
        "attributeDefs": [
            *SPARK_TYPES["entityDefs"][0]["attributeDefs"],
            {"name": "columnMapping", "typeName": "string", "isOptional": True},
        ],
    }
    updated = call(http, atlas_server, "PUT", "/types/typedefs", json={"entityDefs": [updated_def]})
    assert updated.status_code == 200
    stored = call(http, atlas_server, "GET", "/types/typedef/name/spark_process").json()
    assert "columnMapping" in [a["name"] for a in stored["attributeDefs"]]
    assert stored["version"] == 2

    unknown = call(
        http, atlas_server, "PUT", "/types/typedefs", json={"entityDefs": [{"name": "x"}]}
    )
    assert error(unknown) == (404, "ATLAS-404-00-001")
    all_defs = call(http, atlas_server, "GET", "/types/typedefs").json()
    assert set(all_defs) >= {"entityDefs", "relationshipDefs", "enumDefs", "structDefs"}


def test_typedef_updates_atlas_refuses(spark, http):
    """Atlas treats an attributeDef without isOptional as mandatory, and refuses to add a
    mandatory attribute or to drop one."""
    attrs = spark.typedef("spark_process")["attributeDefs"]
    new_mandatory = {"name": "spark_process", "superTypes": ["Process"]}
    new_mandatory["attributeDefs"] = [*attrs, {"name": "columnMapping", "typeName": "string"}]
    answer = call(http, spark, "PUT", "/types/typedefs", json={"entityDefs": [new_mandatory]})
    assert error(answer) == (400, "ATLAS-400-00-00C")

    dropped = {"name": "spark_process", "superTypes": ["Process"], "attributeDefs": attrs[:1]}
    answer = call(http, spark, "PUT", "/types/typedefs", json={"entityDefs": [dropped]})
    assert error(answer) == (400, "ATLAS-400-00-00D")
    assert spark.typedef("spark_process")["version"] == 1


# -- entities --------------------------------------------------------------------------------


def test_inherited_mandatory_attribute_rejects_the_whole_request(spark, http):
    nameless = process("app/1", [], [])
    del nameless["attributes"]["name"]
    answer = bulk(http, spark, dataset("d1"), nameless)
    assert error(answer) == (404, "ATLAS-404-00-007")
    assert answer.json()["errorMessage"].endswith(
        "spark_process.name: mandatory attribute value missing in type Asset"
    )
    assert spark.entities() == []

    null_name = process("app/1", [], [])
    null_name["attributes"]["name"] = None
    assert error(bulk(http, spark, null_name)) == (404, "ATLAS-404-00-007")

    unknown_type = {"typeName": "nope", "attributes": {"qualifiedName": "q", "name": "q"}}
    assert error(bulk(http, spark, unknown_type)) == (400, "ATLAS-400-00-014")


def test_unknown_attributes_are_ignored(spark, http):
    assert bulk(http, spark, dataset("d1", madeUp="x")).status_code == 200
    assert "madeUp" not in spark.entity("DataSet", "d1")["attributes"]


def test_create_then_update_by_qualified_name(spark, http):
    first = bulk(http, spark, dataset("d1", description="one"))
    [created] = first.json()["mutatedEntities"]["CREATE"]

    same = bulk(http, spark, dataset("d1", description="one")).json()
    assert "mutatedEntities" not in same  # unchanged: nothing reported
    assert list(same["guidAssignments"].values()) == [created["guid"]]

    changed = bulk(http, spark, dataset("d1", description="two")).json()
    assert [h["guid"] for h in changed["mutatedEntities"]["UPDATE"]] == [created["guid"]]
    assert "CREATE" not in changed["mutatedEntities"]

    partial = {"typeName": "DataSet", "attributes": {"qualifiedName": "d1", "name": "d1"}}
    bulk(http, spark, partial)  # description absent: kept
    [stored] = spark.entities("DataSet")
    assert stored["guid"] == created["guid"]
    assert stored["attributes"]["description"] == "two"


def test_placeholder_guids_resolve_within_the_request(spark, http):
    answer = bulk(
        http,
        spark,
        process("app/1", [{"guid": "-1"}], [{"guid": "-2", "typeName": "DataSet"}]),
        dataset("in", guid="-1"),
        dataset("out", guid="-2"),
    ).json()
    assignments = answer["guidAssignments"]
    assert set(assignments) == {"-1", "-2", "-100"}
    stored = spark.entity("spark_process", "app/1")["attributes"]
    assert stored["inputs"] == [
        {"typeName": "DataSet", "guid": assignments["-1"], "qualifiedName": "in"}
    ]
    assert stored["outputs"][0]["guid"] == assignments["-2"]


def test_referred_entities_resolve_placeholders_too(spark, http):
    body = {
        "entities": [process("app/1", [{"guid": "-1"}], [])],
        "referredEntities": {"-1": dataset("in")},
    }
    answer = call(http, spark, "POST", "/entity/bulk", json=body)
    assert answer.status_code == 200
    assert spark.entity("DataSet", "in")["guid"] == answer.json()["guidAssignments"]["-1"]


def test_unknown_placeholder_fails_the_whole_request(spark, http):
    answer = bulk(http, spark, dataset("in", guid="-1"), process("app/1", [{"guid": "-9"}], []))
    assert error(answer) == (404, "ATLAS-404-00-00A")
    assert answer.json()["errorMessage"] == "Referenced entity -9 is not found"
    assert spark.entities() == []


def test_unique_attribute_reference_needs_an_entity_stored_before(spark, http):
    same_request = bulk(http, spark, dataset("in"), process("app/1", [by_qn("DataSet", "in")], []))
    assert error(same_request) == (404, "ATLAS-404-00-00A")
    assert spark.entities() == []

    stored_guid = bulk(http, spark, dataset("in")).json()["mutatedEntities"]["CREATE"][0]["guid"]
    later = bulk(http, spark, process("app/1", [by_qn("DataSet", "in")], [])).json()
    assert [h["typeName"] for h in later["mutatedEntities"]["CREATE"]] == ["spark_process"]
    # The new relationship is an update of the stored dataset, as Atlas reports it.
    assert [h["guid"] for h in later["mutatedEntities"]["UPDATE"]] == [stored_guid]
    inputs = spark.entity("spark_process", "app/1")["attributes"]["inputs"]
    assert inputs == [{"typeName": "DataSet", "guid": stored_guid, "qualifiedName": "in"}]


def test_reference_arrays_are_replaced_on_update(spark, http):
    bulk(http, spark, dataset("a"), dataset("b"))
    bulk(http, spark, process("app/1", [by_qn("DataSet", "a"), by_qn("DataSet", "b")], []))
    again = bulk(http, spark, process("app/1", [by_qn("DataSet", "b"), by_qn("DataSet", "a")], []))
    assert "mutatedEntities" not in again.json()  # same SET, other order: unchanged
    bulk(http, spark, process("app/1", [by_qn("DataSet", "b")], []))
    inputs = spark.entity("spark_process", "app/1")["attributes"]["inputs"]
    assert [ref["qualifiedName"] for ref in inputs] == ["b"]


def test_soft_delete_then_recreate_gets_a_new_guid(spark, http):
    old_guid = bulk(http, spark, dataset("d1")).json()["mutatedEntities"]["CREATE"][0]["guid"]
    query = {"attr:qualifiedName": "d1"}
    deleted = call(http, spark, "DELETE", "/entity/uniqueAttribute/type/DataSet", params=query)
    assert [h["guid"] for h in deleted.json()["mutatedEntities"]["DELETE"]] == [old_guid]

    by_guid = call(http, spark, "GET", f"/entity/guid/{old_guid}").json()["entity"]
    assert by_guid["status"] == "DELETED"
    by_name = call(http, spark, "GET", "/entity/uniqueAttribute/type/DataSet", params=query)
    assert error(by_name) == (404, "ATLAS-404-00-009")

    recreated = bulk(http, spark, dataset("d1")).json()["mutatedEntities"]["CREATE"][0]["guid"]
    assert recreated != old_guid
    assert [e["guid"] for e in spark.entities("DataSet", status="DELETED")] == [old_guid]
    active = call(http, spark, "GET", "/entity/uniqueAttribute/type/DataSet", params=query)
    assert active.json()["entity"]["guid"] == recreated


def test_deleting_what_does_not_exist(spark, atlas_server_factory, http):
    query = {"attr:qualifiedName": "never"}
    answer = call(http, spark, "DELETE", "/entity/uniqueAttribute/type/DataSet", params=query)
    assert (answer.status_code, answer.json()) == (200, {})  # Atlas: not an error

    strict = atlas_server_factory(strict_delete=True)
    answer = call(http, strict, "DELETE", "/entity/uniqueAttribute/type/DataSet", params=query)
    assert error(answer) == (404, "ATLAS-404-00-009")


def test_composition_child_needs_its_parent_and_dies_with_it(spark, http):
    orphan = {"typeName": "spark_column", "attributes": {"qualifiedName": "t.c", "name": "c"}}
    orphan["attributes"]["type"] = "int"
    assert error(bulk(http, spark, orphan)) == (404, "ATLAS-404-00-007")

    table = {"typeName": "spark_table", "guid": "-1", "attributes": {"qualifiedName": "t"}}
    table["attributes"]["name"] = "t"
    column = {**orphan, "relationshipAttributes": {"table": {"guid": "-1"}}}
    assert bulk(http, spark, table, column).status_code == 200
    params = {"attr:qualifiedName": "t"}
    deleted = call(http, spark, "DELETE", "/entity/uniqueAttribute/type/spark_table", params=params)
    assert [h["typeName"] for h in deleted.json()["mutatedEntities"]["DELETE"]] == [
        "spark_table",
        "spark_column",
    ]


def test_relationship_attributes_must_be_declared(spark, atlas_server_factory, http):
    entity = process("app/1", [], [])
    entity["relationshipAttributes"] = {"application": {"guid": "-1"}}
    answer = bulk(http, spark, entity)
    assert error(answer) == (400, "ATLAS-400-00-023")

    lenient = atlas_server_factory(strict_relationships=False, official_models=False)
    lenient.add_typedefs(SPARK_TYPES)
    entity["relationshipAttributes"] = {"application": {"guid": "-1"}}
    assert bulk(http, lenient, entity).status_code == 200  # dropped, as Atlas does


def test_base_path_is_configurable(atlas_server_factory, http):
    server = atlas_server_factory(base_path="/datamap/api/atlas/v2")
    assert server.url.endswith("/datamap/api/atlas/v2")
    assert call(http, server, "GET", "/types/typedefs/headers").status_code == 200
    wrong = http.get(server.url.replace("/datamap", "") + "/types/typedefs", timeout=TIMEOUT)
    assert wrong.status_code == 404


# -- auth ------------------------------------------------------------------------------------


def test_basic_auth(atlas_server_factory, http):
    server = atlas_server_factory(auth=("basic", "admin", "secret"))
    path = "/types/typedefs/headers"
    assert error(call(http, server, "GET", path)) == (401, "ATLAS-401-00-001")
    assert call(http, server, "GET", path, auth=("admin", "wrong")).status_code == 401
    assert call(http, server, "GET", path, auth=("admin", "secret")).status_code == 200
    assert server.auth_failures == 2


def test_bearer_auth(atlas_server_factory, http):
    server = atlas_server_factory(auth=("bearer", "t0ken"))
    path = "/types/typedefs/headers"
    assert error(call(http, server, "GET", path)) == (401, "ATLAS-401-00-001")
    wrong = {"Authorization": "Bearer other"}
    assert call(http, server, "GET", path, headers=wrong).status_code == 401
    right = {"Authorization": "Bearer t0ken"}
    assert call(http, server, "GET", path, headers=right).status_code == 200
    assert server.auth_failures == 2


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_status_faults_change_nothing(spark, http, status):
    headers = {"Retry-After": "1"} if status == 429 else {}
    spark.add_faults(("status", status, headers))
    faulted = bulk(http, spark, dataset("d1"))
    assert faulted.status_code == status
    if status == 429:
        assert faulted.headers["Retry-After"] == "1"
    assert spark.entities() == []
    assert bulk(http, spark, dataset("d1")).status_code == 200  # the retry goes through
    assert spark.pending_faults == 0


def test_faults_can_target_a_path(spark, http):
    spark.add_faults(("status", 503), path_contains="/entity/bulk")
    assert call(http, spark, "GET", "/types/typedefs/headers").status_code == 200
    assert bulk(http, spark, dataset("d1")).status_code == 503
    assert spark.requests == [
        ("GET", "/api/atlas/v2/types/typedefs/headers"),
        ("POST", "/api/atlas/v2/entity/bulk"),
    ]
    assert spark.request_count == 2
    assert spark.bodies_sizes[0] == 0 and spark.bodies_sizes[1] > 0


def test_slow_answers_late_but_answers(spark, http):
    spark.add_faults(("slow", 0.2))
    started = time.monotonic()
    assert bulk(http, spark, dataset("d1")).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_slow_request_is_applied_even_when_the_client_gave_up(spark, http):
    spark.add_faults(("slow", 0.2))
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(http, spark, "POST", "/entity/bulk", json={"entities": [dataset("d1")]}, timeout=0.05)
    deadline = time.monotonic() + 2
    while spark.entity("DataSet", "d1") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert spark.entity("DataSet", "d1") is not None


def test_drop_closes_the_connection_without_an_answer(spark, http):
    assert call(http, spark, "GET", "/types/typedefs/headers").ok  # a kept-alive connection
    spark.add_faults(("drop",))
    with pytest.raises(requests.exceptions.ConnectionError):
        bulk(http, spark, dataset("d1"))
    assert spark.entities() == []
    assert bulk(http, spark, dataset("d1")).status_code == 200


def test_unknown_fault_is_refused_when_added(atlas_server):
    with pytest.raises(ValueError, match="unknown fault"):
        atlas_server.add_faults(("status", "429"))
