"""`extract --format openlineage`: run events a consumer accepts, and that agree with the report.

Every event of every fixture is validated offline against the official OpenLineage schema
(2-0-2) and, facet by facet, against the official facet schemas, both read from
``../shared/reference/openlineage-spec`` into one `referencing` registry (nothing fetched);
those tests skip when the folder is absent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import orjson
import pytest

from sparklineage.application import Application, read_application
from sparklineage.lineage import naming
from sparklineage.logs import discover
from sparklineage.sinks.openlineage import (
    FACET_SCHEMAS,
    OpenLineageOptions,
    application_run_id,
    dataset_identifier,
    query_run_id,
    render_ndjson,
    run_events,
)
from sparklineage.sinks.report import iso_time
from tests.conftest import FIXTURES, ROOT, fixture_index, fixture_path, run_cli

SPEC = ROOT.parent / "shared" / "reference" / "openlineage-spec"
OPTIONS = OpenLineageOptions()


@cache
def applications(path: str) -> tuple[Application, ...]:
    return tuple(read_application(s) for s in discover([FIXTURES / path]).sources)


@cache
def _validators():  # type: ignore[no-untyped-def]
    import jsonschema
    from referencing import Registry, Resource

    documents = [
        json.loads(p.read_text()) for p in [SPEC / "OpenLineage.json", *SPEC.glob("facets/*.json")]
    ]
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    root = documents[0]
    event = jsonschema.Draft202012Validator(
        {"$ref": f"{root['$id']}#/$defs/RunEvent"},
        registry=registry,
        format_checker=jsonschema.FormatChecker(),
    )
    facets = {
        key: jsonschema.Draft202012Validator(
            {"$ref": f"https://openlineage.io/spec/facets/{path}#/$defs/{definition}"},
            registry=registry,
            format_checker=jsonschema.FormatChecker(),
        )
        for key, (path, definition) in FACET_SCHEMAS.items()
    }
    return event, facets


def event_problems(event: dict) -> list[str]:
    """What makes ``event`` no valid run event, facets included (empty: valid)."""
    event_schema, facet_schemas = _validators()
    problems = [e.message for e in event_schema.iter_errors(event)]
    for key, facet in _facets(event) if not problems else []:
        problems += [f"{key}: {e.message}" for e in facet_schemas[key].iter_errors(facet)]
    return problems


def _facets(event: dict) -> list[tuple[str, dict]]:
    found = list(event["run"].get("facets", {}).items())
    found += list(event["job"].get("facets", {}).items())
    for dataset in (*event["inputs"], *event["outputs"]):
        found += list(dataset.get("facets", {}).items())
    return found


@pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/reference/openlineage-spec is absent")
@pytest.mark.parametrize(
    "entry", fixture_index(), ids=lambda e: f"{e['spark'][:3]}-{e['scenario']}"
)
def test_every_event_of_every_fixture_is_valid_openlineage(entry):
    event_schema, facet_schemas = _validators()
    events = list(run_events(applications(entry["path"]), OPTIONS))
    assert events
    for event in events:
        errors = [e.message for e in event_schema.iter_errors(event)]
        assert not errors, (event["eventType"], event["job"]["name"], errors[:3])
        for key, facet in _facets(event):
            errors = [e.message for e in facet_schemas[key].iter_errors(facet)]
            assert not errors, (key, errors[:3])
            assert facet["_schemaURL"].startswith("https://openlineage.io/spec/facets/")


@pytest.mark.parametrize(
    "scenario",
    ["dml", "ddl", "columns", "columns-sqltext", "thrift-server", "jdbc", "failed-query"],
)
def test_each_query_is_a_run_with_the_report_s_datasets_under_its_application(scenario):
    [entry] = [e for e in fixture_index() if e["scenario"] == scenario and e["spark"] >= "4"][
        :1
    ] or [e for e in fixture_index() if e["scenario"] == scenario][:1]
    [app] = applications(entry["path"])
    events = list(run_events([app], OPTIONS))
    app_run = application_run_id(app)
    assert events[0]["eventType"] == "START" and events[0]["run"]["runId"] == app_run
    assert events[0]["eventTime"] == iso_time(app.start)
    for query in app.queries:
        run_id = query_run_id(app, query)
        mine = [e for e in events if e["run"]["runId"] == run_id]
        kinds = [e["eventType"] for e in mine]
        final = {
            "succeeded": ["START", "COMPLETE"],
            "failed": ["START", "FAIL"],
            "running": ["START"],
        }
        assert kinds == final[query.status], (query.execution_id, kinds)
        assert mine[0]["run"]["facets"]["parent"]["run"]["runId"] == app_run
        if query.start is not None:
            assert mine[0]["eventTime"] == iso_time(query.start)
        if query.end is not None and len(mine) == 2:
            assert mine[1]["eventTime"] == iso_time(query.end)
        last = mine[-1]
        assert [(d["namespace"], d["name"]) for d in last["inputs"]] == [
            dataset_identifier(d, OPTIONS) for d in query.inputs
        ]
        assert [(d["namespace"], d["name"]) for d in last["outputs"]] == [
            dataset_identifier(d, OPTIONS) for d in query.outputs
        ]
        if query.status == "failed":
            assert last["run"]["facets"]["errorMessage"]["message"]
        assert _facet_edges(last) == _report_edges(query)
    if app.complete:
        assert events[-1]["eventType"] == "COMPLETE" and events[-1]["run"]["runId"] == app_run
    times = [e["eventTime"] for e in events]
    assert times == sorted(times), "in event-time order"


def _report_edges(query) -> set[tuple]:
    """The report's column edges of a query, named as OpenLineage names datasets."""
    inputs = {d.id: dataset_identifier(d, OPTIONS) for d in query.inputs}
    outputs = {d.id: dataset_identifier(d, OPTIONS) for d in query.outputs}
    return {
        (outputs[c.dataset], c.column, inputs[source], column, c.transform)
        for c in query.columns
        if c.dataset in outputs
        for source, column in c.sources
        if source in inputs
    }


def _facet_edges(event: dict) -> set[tuple]:
    return {
        (
            (d["namespace"], d["name"]),
            name,
            (f["namespace"], f["name"]),
            f["field"],
            f["transformations"][0]["subtype"].lower(),
        )
        for d in event["outputs"]
        for name, field in d.get("facets", {}).get("columnLineage", {}).get("fields", {}).items()
        for f in field["inputFields"]
    }


def test_column_lineage_is_the_report_s_in_the_spec_s_vocabulary():
    entries = [e for e in fixture_index() if e["scenario"].startswith("columns")]
    seen = set()
    for entry in entries:
        for app in applications(entry["path"]):
            for query in app.queries:
                events = [
                    e
                    for e in run_events([app], OPTIONS)
                    if e["run"]["runId"] == query_run_id(app, query)
                ]
                for event in events[1:]:
                    for d in event["outputs"]:
                        for field in (
                            d.get("facets", {}).get("columnLineage", {}).get("fields", {}).values()
                        ):
                            seen |= {
                                (t["type"], t["subtype"])
                                for f in field["inputFields"]
                                for t in f["transformations"]
                            }
    assert ("DIRECT", "IDENTITY") in seen and ("DIRECT", "AGGREGATION") in seen
    assert any(kind == "INDIRECT" for kind, _ in seen)
    direct = {"IDENTITY", "TRANSFORMATION", "AGGREGATION"}
    indirect = {"JOIN", "FILTER", "GROUP_BY", "SORT", "WINDOW", "CONDITIONAL"}
    allowed = {"DIRECT": direct, "INDIRECT": indirect}
    assert all(subtype in allowed[kind] for kind, subtype in seen), seen


def test_run_ids_are_the_same_every_export_and_distinct_across_runs():
    entries = fixture_index()
    apps = [a for e in entries for a in applications(e["path"])]
    first = render_ndjson(apps, OPTIONS)
    assert render_ndjson(apps, OPTIONS) == first
    ids = {query_run_id(a, q) for a in apps for q in a.queries} | {
        application_run_id(a) for a in apps
    }
    assert len(ids) == len(apps) + sum(len(a.queries) for a in apps)


def test_a_ddl_log_says_what_it_created_dropped_and_renamed():
    [entry] = [e for e in fixture_index() if e["scenario"] == "ddl" and e["spark"][:3] == "3.5"]
    events = list(run_events(applications(entry["path"]), OPTIONS))
    changes = {
        (d["name"], d["facets"]["lifecycleStateChange"]["lifecycleStateChange"])
        for e in events
        for d in e["outputs"]
        if "lifecycleStateChange" in d.get("facets", {})
    }
    kinds = {kind for _, kind in changes}
    assert {"CREATE", "DROP", "RENAME"} <= kinds
    renamed = [
        d["facets"]["lifecycleStateChange"]
        for e in events
        for d in e["outputs"]
        if d.get("facets", {}).get("lifecycleStateChange", {}).get("lifecycleStateChange")
        == "RENAME"
    ]
    assert renamed and all("previousIdentifier" in r for r in renamed)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/data/lake/x", ("file", "/data/lake/x")),
        ("hdfs://nn:8020/warehouse/t", ("hdfs://nn:8020", "/warehouse/t")),
        ("s3a://bucket/key/part", ("s3://bucket", "key/part")),
        ("gs://bucket/key", ("gs://bucket", "key")),
        (
            "abfss://raw@acct.dfs.core.windows.net/sales",
            ("abfss://raw@acct.dfs.core.windows.net", "/sales"),
        ),
        ("wasbs://c@acct.blob.core.windows.net/k", ("wasbs://c@acct.blob.core.windows.net", "k")),
        ("dbfs:/mnt/x", ("dbfs", "/mnt/x")),
    ],
)
def test_paths_are_named_as_openlineage_names_them(uri, expected):
    assert dataset_identifier(naming.path(uri), OPTIONS) == expected


def test_tables_jdbc_and_kafka_are_named_by_the_naming_conventions():
    located = naming.table("sales.orders", location="hdfs://nn:8020/wh/sales.db/orders")
    assert dataset_identifier(located, OPTIONS) == ("hdfs://nn:8020", "/wh/sales.db/orders")
    metastore = OpenLineageOptions(table_namespace="hive://metastore:9083")
    assert dataset_identifier(naming.table("sales.orders"), metastore) == (
        "hive://metastore:9083",
        "sales.orders",
    )
    jdbc = naming.jdbc("jdbc:postgresql://db.internal:5432/shop?user=x&password=y", "public.orders")
    assert dataset_identifier(jdbc, OPTIONS) == ("postgres://db.internal:5432", "public.orders")
    kafka = naming.kafka("b1:9092,b2:9092", "events")
    assert dataset_identifier(kafka, OPTIONS) == ("kafka://b1:9092", "events")


def test_extract_writes_one_event_per_line_with_the_namespace_asked_for(tmp_path: Path):
    out = tmp_path / "events.ndjson"
    done = run_cli(
        "extract", str(FIXTURES / "spark-3.5"), "--format", "openlineage",
        "--openlineage-namespace", "prod-cluster", "-o", str(out),
    )  # fmt: skip
    assert done.code == 0, done.stderr
    lines = out.read_bytes().splitlines()
    events = [orjson.loads(line) for line in lines]
    assert len(events) > 50 and {e["job"]["namespace"] for e in events} == {"prod-cluster"}
    assert b"not-a-real-secret-42" not in out.read_bytes() and b"hunter2" not in out.read_bytes()


@pytest.mark.parametrize("spark", ["3.5", "4.0"])
def test_a_cluster_configured_for_openlineage_spark_names_the_job_namespace(spark: str):
    """``spark.openlineage.namespace`` in the application's conf is its jobs' namespace, as
    OpenLineage-spark names them; ``--openlineage-namespace`` overrides it."""
    log = str(fixture_path("openlineage-namespace", spark))

    def namespaces(*extra: str) -> set[str]:
        done = run_cli("extract", log, "--format", "openlineage", *extra)
        assert done.code == 0, done.stderr
        events = [orjson.loads(line) for line in done.stdout.splitlines()]
        assert any(e["outputs"] for e in events), "the write is among the events"
        parents = {
            e["run"]["facets"]["parent"]["job"]["namespace"]
            for e in events
            if "parent" in e["run"].get("facets", {})
        }
        return {e["job"]["namespace"] for e in events} | parents

    assert namespaces() == {"analytics"}
    assert namespaces("--openlineage-namespace", "prod") == {"prod"}
    other = run_cli("extract", str(fixture_path("dml", spark)), "--format", "openlineage")
    assert {orjson.loads(x)["job"]["namespace"] for x in other.stdout.splitlines()} == {"default"}
    report = run_cli("extract", log, "--format", "json")
    [app] = orjson.loads(report.stdout)["applications"]
    assert app["openlineage_namespace"] == "analytics", "the report keeps it for emit"


@pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/reference/openlineage-spec is absent")
def test_the_public_corpus_gives_valid_events_only():
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("the public event-log corpus (../shared/corpus/public) is not on this machine")
    event_schema, facet_schemas = _validators()
    apps = [read_application(s) for s in discover([CORPUS]).sources]
    events = list(run_events(apps, OPTIONS))
    assert len({e["run"]["runId"] for e in events}) > len(apps)
    for event in events:
        assert not list(event_schema.iter_errors(event)), event["job"]["name"]
        for key, facet in _facets(event):
            assert not list(facet_schemas[key].iter_errors(facet)), key


def test_a_path_the_application_knows_as_a_table_s_location_points_at_the_table():
    """A job that reads a table's files by path reads the table: the symlink says so (the
    path is made from a real fixture's table, read by path in a copy of one of its queries)."""
    from dataclasses import replace

    app = next(
        a
        for e in fixture_index()
        for a in applications(e["path"])
        if any(d.location for q in a.queries for d in q.outputs if d.kind == "table")
    )
    table = next(d for q in app.queries for d in q.outputs if d.kind == "table" and d.location)
    reader = replace(app.queries[-1], execution_id=10_000, inputs=(naming.path(table.location),))
    events = list(run_events([replace(app, queries=(*app.queries, reader))], OPTIONS))
    [read] = {
        orjson.dumps(d)
        for e in events
        if e["run"]["runId"] == query_run_id(app, reader)
        for d in e["inputs"]
    }
    link = orjson.loads(read)["facets"]["symlinks"]["identifiers"]
    assert link == [{"namespace": "hive", "name": table.name.text(), "type": "TABLE"}]
