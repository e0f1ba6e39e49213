"""Typedefs and uploads over real HTTP, against the Atlas-compatible server of
tests/atlas_server.py on 127.0.0.1; assertions are on what the server holds at the end."""

from __future__ import annotations

import math
import time

import orjson
import pytest

from sparklineage.atlas.client import AtlasClient, RetryPolicy, basic_auth
from sparklineage.errors import AtlasError
from sparklineage.http import USER_AGENT
from sparklineage.settings import World
from tests.catalog import add_catalog_types, cli
from tests.conftest import FIXTURES, fixture_index, fixture_path

DML = next(
    FIXTURES / e["path"]
    for e in fixture_index()
    if e["scenario"] == "dml" and e["spark"].startswith("3.5")
)
DDL = next(
    FIXTURES / e["path"]
    for e in fixture_index()
    if e["scenario"] == "ddl" and e["spark"].startswith("3.5")
)


@pytest.fixture
def purview_like(atlas_server_factory):
    """A catalog without Atlas's Spark model, as Purview is."""
    return atlas_server_factory(official_models=False)


def test_typedefs_are_created_once_and_then_left_alone(purview_like):
    atlas_server = purview_like
    dry = cli("typedefs", "--endpoint", atlas_server.url, "--dry-run")
    assert dry.returncode == 0 and "would create spark_process" in dry.stdout
    assert atlas_server.typedef("spark_process") is None
    first = cli("typedefs", "--endpoint", atlas_server.url)
    assert first.returncode == 0, first.stderr
    process = atlas_server.typedef("spark_process")
    assert "columnMapping" in {a["name"] for a in process["attributeDefs"]}
    assert atlas_server.typedef("spark_application_processes") is not None
    again = cli("typedefs", "--endpoint", atlas_server.url)
    assert (again.returncode, again.stdout) == (0, "all types are up to date\n")


def test_upload_lands_datasets_applications_and_processes(catalog):
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--cluster-name", "prod")
    assert done.returncode == 0, done.stderr
    assert catalog.user_agents == {USER_AGENT}, "every request says who sends it"
    [app] = catalog.entities("spark_application")
    app_qn = app["attributes"]["qualifiedName"]
    processes = {p["attributes"]["qualifiedName"]: p for p in catalog.entities("spark_process")}
    ctas = processes[f"{app_qn}/2"]
    assert [i["qualifiedName"] for i in ctas["attributes"]["inputs"]] == ["default.orders@prod"]
    assert [o["qualifiedName"] for o in ctas["attributes"]["outputs"]] == [
        "default.customer_totals@prod"
    ]
    mapping = orjson.loads(ctas["attributes"]["columnMapping"])
    assert mapping[0]["DatasetMapping"] == {
        "Source": "default.orders@prod",
        "Sink": "default.customer_totals@prod",
    }
    export = catalog.entity("fs_path", "file:/data/lake/lake/export")
    assert export is not None and export["attributes"]["path"] == "file:/data/lake/lake/export"


def _writes(server) -> list[tuple[str, str]]:
    return [(m, p) for m, p in server.requests if m in ("POST", "PUT", "DELETE")]


@pytest.mark.parametrize("scenario", ["dml", "ddl", "views", "hive", "iceberg", "jdbc"])
def test_uploading_twice_leaves_the_catalog_byte_for_byte_the_same(catalog, scenario):
    """Drops and renames included: the second upload finds everything in place and sends
    nothing (no DELETED copy of a dropped table, no attribute or version change)."""
    log = str(fixture_path(scenario))
    first = cli("upload", log, "--endpoint", catalog.url)
    assert first.returncode == 0, first.stderr
    before, writes = catalog.snapshot(), len(_writes(catalog))
    second = cli("upload", log, "--endpoint", catalog.url)
    assert second.returncode == 0, second.stderr
    assert catalog.snapshot() == before
    assert len(_writes(catalog)) == writes
    assert "0 created, 0 updated, 0 moved, 0 deleted" in second.stderr


def test_dropped_tables_are_soft_deleted_once_and_a_rename_is_one_entity(catalog):
    """ddl: orders_copy is renamed to orders_archive, then dropped with events and sales."""
    done = cli("upload", str(DDL), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    assert catalog.entity("hive_table", "sales.orders_archive@primary") is None
    gone = [
        e["attributes"]["qualifiedName"] for e in catalog.entities("hive_table", status="DELETED")
    ]
    assert sorted(gone) == ["sales.events@primary", "sales.orders_archive@primary"]
    assert catalog.entity("hive_table", "sales.orders_copy@primary") is None
    assert catalog.entity("hive_table", "sales.orders@primary") is not None
    assert not catalog.entities("hive_db", status=None)  # created and dropped, never a target


def test_a_rename_moves_the_entity_keeping_its_guid(catalog, tmp_path):
    """The first upload lands the ddl log up to its RENAME (its report, cut there), the
    second the whole log: the table's entity takes the new name, with its guid and its
    lineage, as Atlas's Hive hook does."""
    report = orjson.loads(cli("extract", str(DDL), "--format", "json").stdout)
    [app] = report["applications"]
    rename = next(q for q in app["queries"] if q["operation"] == "rename_table")
    app["queries"] = [q for q in app["queries"] if q["execution_id"] < rename["execution_id"]]
    early = tmp_path / "early.json"
    early.write_bytes(orjson.dumps(report))
    assert cli("upload", str(early), "--endpoint", catalog.url).returncode == 0
    old = catalog.entity("hive_table", "sales.orders_copy@primary")
    assert catalog.entity("hive_db", "sales@primary") is not None  # CREATE DATABASE sales
    done = cli("upload", str(DDL), "--endpoint", catalog.url, "--dry-run")
    assert (
        "move hive_table sales.orders_copy@primary (sales.orders_archive@primary)"
        in done.stdout.splitlines()
    )
    done = cli("upload", str(DDL), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    [archive] = [
        e
        for e in catalog.entities("hive_table", status=None)
        if e["attributes"]["qualifiedName"] == "sales.orders_archive@primary"
    ]
    assert archive["guid"] == old["guid"] and archive["status"] == "DELETED"  # dropped later
    writers = [
        p
        for p in catalog.entities("spark_process")
        if archive["guid"] in {o["guid"] for o in p["attributes"].get("outputs") or ()}
    ]
    assert {p["attributes"]["operation"] for p in writers} >= {"create_table", "rename_table"}
    [database] = catalog.entities("hive_db", status=None)  # DROP DATABASE sales CASCADE
    assert (database["attributes"]["qualifiedName"], database["status"]) == (
        "sales@primary",
        "DELETED",
    )


def test_a_refused_entity_is_isolated_and_the_rest_lands(catalog):
    """One entity the catalog refuses: the request is halved until it is alone; it is
    named with the catalog's error, the processes that point at it are not sent, and
    everything else lands, in a bounded number of requests."""
    catalog.refuse("default.orders@primary", "ATLAS-400-00-08A")
    done = cli("upload", str(DML), "--endpoint", catalog.url)
    assert done.returncode == 3
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert (
        "hive_table default.orders@primary: POST /entity/bulk: HTTP 400 ATLAS-400-00-08A"
        in (errors[0])
    )
    refused_readers = [e for e in errors[1:] if "which the catalog refused" in e]
    assert refused_readers and all("default.orders@primary" in e for e in refused_readers)
    datasets = [e for e in catalog.entities() if e["typeName"] in ("hive_table", "fs_path")]
    assert len(datasets) > 3 and catalog.entities("spark_application")
    report = orjson.loads(cli("extract", str(DML), "--format", "json").stdout)
    [app] = report["applications"]
    untouched = [
        q
        for q in app["queries"]
        if all(d["id"] != "table:default.orders" for d in (*q["inputs"], *q["outputs"]))
    ]
    assert len(catalog.entities("spark_process")) == len(untouched)
    datasets_sent = len(datasets) + 1
    bulk_posts = [p for m, p in catalog.requests if m == "POST" and "entity/bulk" in p]
    assert len(bulk_posts) <= 2 + 2 * math.ceil(math.log2(datasets_sent)) + 1


def test_types_missing_stop_the_upload_before_anything_is_sent(purview_like):
    atlas_server = purview_like
    add_catalog_types(atlas_server)  # the scanners' types, not sparklineage's
    writes = _writes(atlas_server)
    done = cli("upload", str(DML), "--endpoint", atlas_server.url)
    assert done.returncode == 2
    assert "run `sparklineage typedefs` first" in done.stderr and "Traceback" not in done.stderr
    assert _writes(atlas_server) == writes
    assert cli("typedefs", "--endpoint", atlas_server.url).returncode == 0
    spark = cli("upload", str(DML), "--endpoint", atlas_server.url, "--spark-types")
    assert spark.returncode == 2 and "sparklineage typedefs --spark-types" in spark.stderr
    made = cli("typedefs", "--endpoint", atlas_server.url, "--spark-types")
    assert "create spark_table" in made.stdout and "create spark_db" in made.stdout
    spark = cli("upload", str(DML), "--endpoint", atlas_server.url, "--spark-types")
    assert spark.returncode == 0, spark.stderr
    assert atlas_server.entity("spark_table", "default.orders@primary") is not None


def test_entities_go_to_the_collection_asked_for(catalog):
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--collection", "finance1")
    assert done.returncode == 0, done.stderr
    posts = [p for m, p in catalog.requests if m == "POST" and "entity/bulk" in p]
    assert posts and all(p.endswith("?collectionId=finance1") for p in posts)


def test_a_report_without_plan_text_leaves_the_catalogs_plan_alone(catalog, tmp_path):
    assert cli("upload", str(DML), "--endpoint", catalog.url).returncode == 0
    plain = tmp_path / "report.json"
    assert cli("extract", str(DML), "--format", "json", "-o", str(plain)).returncode == 0
    done = cli("upload", str(plain), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    [app] = catalog.entities("spark_application")
    ctas = catalog.entity("spark_process", f"{app['attributes']['qualifiedName']}/2")
    assert "CreateDataSourceTableAsSelectCommand" in ctas["attributes"]["sparkPlanDescription"]


def test_queries_without_datasets_are_left_out_unless_asked(catalog):
    """hive: three queries that neither read nor write a dataset (SET, SHOW…, database DDL,
    whose database is its target)."""
    done = cli("upload", str(fixture_path("hive")), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    assert "3 queries with neither inputs nor outputs were left out" in done.stderr
    processes = catalog.entities("spark_process")
    assert all(p["attributes"].get("inputs") or p["attributes"].get("outputs") for p in processes)
    every = cli("upload", str(fixture_path("hive")), "--endpoint", catalog.url, "--all-processes")
    assert every.returncode == 0, every.stderr
    assert len(catalog.entities("spark_process")) == len(processes) + 3
    assert not catalog.entities("hive_db", status=None)  # created, then dropped: not sent


def test_names_spark_cut_are_not_uploaded_as_assets(corpus):
    log = corpus / "apache-spark/spark-events/application_1506645932520_24630151"
    done = cli("extract", str(log), "--format", "atlas")
    payloads = orjson.loads(done.stdout)
    [cut] = payloads["left_out"]["truncated"]
    assert cut.endswith("ltx1-...")
    names = [e["attributes"]["qualifiedName"] for e in payloads["datasets"]["entities"]]
    refs = [
        r["uniqueAttributes"]["qualifiedName"]
        for p in payloads["processes"]["entities"]
        for r in (*p["attributes"]["inputs"], *p["attributes"]["outputs"])
    ]
    assert not [n for n in (*names, *refs) if n.endswith("...")]


def test_no_process_lists_a_dataset_twice(corpus):
    done = cli("extract", str(corpus), "--format", "atlas", "--rollup")
    payloads = orjson.loads(done.stdout)
    for process in payloads["processes"]["entities"]:
        for side in ("inputs", "outputs"):
            refs = [r["uniqueAttributes"]["qualifiedName"] for r in process["attributes"][side]]
            assert len(refs) == len(set(refs)), process["attributes"]["qualifiedName"]


def test_throttling_and_dropped_connections_are_retried(catalog):
    catalog.add_faults(
        ("status", 429, {"Retry-After": "0"}),
        ("drop",),
        ("status", 503),
        path_contains="entity/bulk",
    )
    waits: list[float] = []
    done = cli("upload", str(DML), "--endpoint", catalog.url, world=World(sleep=waits.append))
    assert done.returncode == 0, done.stderr
    assert catalog.pending_faults == 0
    assert len(catalog.entities("spark_process")) == 9
    assert len(waits) == 3, "one wait before each try again"
    assert all(0 <= w <= 60 for w in waits)


def test_a_batch_that_keeps_failing_is_reported_and_the_rest_lands(catalog):
    catalog.add_faults(("status", 500), path_contains="entity/bulk", method="POST")  # not retried
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--batch-size", "2")
    assert done.returncode == 3
    assert "sparklineage: error: batch of 2" in done.stderr and "HTTP 500" in done.stderr
    assert catalog.entities("spark_application")  # later batches landed
    assert "Traceback" not in done.stderr


def test_basic_auth_and_secrets_never_printed(atlas_server_factory):
    server = atlas_server_factory(auth=("basic", "admin", "hunter2-secret"))
    add_catalog_types(server)
    basic = ("typedefs", "--endpoint", server.url, "--auth", "basic", "--user", "admin")
    ok = cli(*basic, password="hunter2-secret")
    assert ok.returncode == 0, ok.stderr
    bad = cli(*basic, password="wrong-pass")
    assert bad.returncode == 2 and "HTTP 401" in bad.stderr and "credentials" in bad.stderr
    for run in (ok, bad):
        assert (
            "hunter2" not in run.stdout + run.stderr and "wrong-pass" not in run.stdout + run.stderr
        )


def test_client_honours_retry_after_and_gives_up_within_its_budget(atlas_server):
    waits: list[float] = []
    client = AtlasClient(
        atlas_server.url, policy=RetryPolicy(timeout=5, attempts=3), sleep=waits.append
    )
    atlas_server.add_faults(("status", 429, {"Retry-After": "7"}))
    assert client.request("GET", "/types/typedefs/headers")
    assert waits == [7.0]
    atlas_server.add_faults(("status", 503), ("status", 503), ("status", 503))
    with pytest.raises(AtlasError, match="gave up after 3 attempts"):
        client.request("GET", "/types/typedefs/headers")


def test_slow_answers_hit_the_timeout_and_are_retried(atlas_server):
    atlas_server.add_faults(("slow", 1.5))
    client = AtlasClient(
        atlas_server.url, policy=RetryPolicy(timeout=0.5, attempts=2), sleep=lambda _s: None
    )
    assert client.request("GET", "/types/typedefs/headers")


def test_basic_auth_header_is_standard():
    assert basic_auth("admin", "secret")() == {"Authorization": "Basic YWRtaW46c2VjcmV0"}


def test_extract_writes_the_payloads_without_a_server():
    done = cli("extract", str(DML), "--format", "atlas")
    assert done.returncode == 0, done.stderr
    payloads = orjson.loads(done.stdout)
    assert {e["typeName"] for e in payloads["processes"]["entities"]} == {"spark_process"}
    assert payloads["applications"]["entities"][0]["typeName"] == "spark_application"


def test_dry_run_says_per_entity_what_would_change_and_changes_nothing(catalog, tmp_path):
    before, writes = catalog.snapshot(), _writes(catalog)
    dry = cli("upload", str(DML), "--endpoint", catalog.url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert "create hive_table default.orders@primary" in lines
    assert catalog.snapshot() == before and _writes(catalog) == writes
    real = cli("upload", str(DML), "--endpoint", catalog.url)
    summary = dry.stderr.splitlines()[-1].replace(" (dry run: nothing sent)", "")
    assert real.stderr.splitlines()[-1].startswith(summary + " in ")  # the same counts
    again = cli("upload", str(DML), "--endpoint", catalog.url, "--dry-run")
    lines = again.stdout.splitlines()
    assert "unchanged hive_table default.orders@primary" in lines
    assert all(line.startswith("unchanged ") for line in lines)
    report = orjson.loads(cli("extract", str(DML), "--format", "json").stdout)
    report["applications"][0]["user"] = "someone-else"  # as if the job ran as another user
    changed = tmp_path / "changed.json"
    changed.write_bytes(orjson.dumps(report))
    third = cli("upload", str(changed), "--endpoint", catalog.url, "--dry-run")
    app_line = next(line for line in third.stdout.splitlines() if "spark_application" in line)
    assert app_line.startswith("update spark_application") and "(currentUser)" in app_line


def test_azure_auth_asks_for_the_purview_scope_and_sends_a_bearer_token(atlas_server_factory):
    """A fake DefaultAzureCredential stands in for Azure here; the header goes over real HTTP."""
    from azure.core.credentials import AccessToken

    from sparklineage.atlas.client import PURVIEW_SCOPE, azure_auth

    scopes: list[str] = []

    class FakeCredential:
        def get_token(self, scope: str) -> AccessToken:
            scopes.append(scope)
            return AccessToken("token-123", int(time.time()) + 3600)

    server = atlas_server_factory(auth=("bearer", "token-123"))
    client = AtlasClient(server.url, azure_auth(FakeCredential), RetryPolicy(timeout=5, attempts=1))
    client.request("GET", "/types/typedefs/headers")
    client.request("GET", "/types/typedefs/headers")
    assert scopes == [PURVIEW_SCOPE]  # fetched once, reused until it nears expiry
    assert server.auth_failures == 0


def test_processes_carry_their_plan_text(catalog):
    done = cli("upload", str(DML), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    [app] = catalog.entities("spark_application")
    ctas = catalog.entity("spark_process", f"{app['attributes']['qualifiedName']}/2")
    assert "CreateDataSourceTableAsSelectCommand" in ctas["attributes"]["sparkPlanDescription"]


def test_a_plan_over_the_asset_limit_is_cut_and_says_so():
    from sparklineage.lineage.model import PLAN_CUT, PLAN_LIMIT, Query, compressed_plan, plan_text

    big = "x" * (PLAN_LIMIT + 10)
    query = Query(1, (), "ctas", "succeeded", "", None, None, (), (), plan=compressed_plan(big))
    text = plan_text(query)
    assert text.endswith(PLAN_CUT) and len(text) == PLAN_LIMIT + len(PLAN_CUT)
    assert len(query.plan) < 10_000  # kept compressed until the catalog gets it


def test_basic_auth_without_a_password_and_a_terminal_is_a_usage_error(atlas_server):
    done = cli("typedefs", "--endpoint", atlas_server.url, "--auth", "basic", "--user", "admin")
    assert done.returncode == 2 and "SPARKLINEAGE_ATLAS_PASSWORD" in done.stderr


def test_endpoint_or_account_is_required():
    done = cli("typedefs")
    assert done.returncode == 2 and "--endpoint URL or --purview-account NAME" in done.stderr


def test_an_unreachable_endpoint_stops_the_upload_after_one_call(catalog):
    catalog.add_faults(*[("drop",)] * 6, path_contains="entity/bulk", method="POST")
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--retry-budget", "2")
    assert done.returncode == 3
    assert "nothing more was sent" in done.stderr and "gave up after" in done.stderr
    posts = [m for m, path in catalog.requests if m == "POST" and "entity/bulk" in path]
    assert 1 < len(posts) <= 6 and not catalog.entities("spark_application")


def test_a_report_of_the_wrong_shape_is_refused_whole_before_anything_is_sent(catalog, tmp_path):
    report = tmp_path / "report.json"
    assert cli("extract", str(DML), "--format", "json", "-o", str(report)).returncode == 0
    document = orjson.loads(report.read_bytes())
    document["applications"][0]["queries"][0]["outputs"] = "table:default.t"
    report.write_bytes(orjson.dumps(document))
    before = catalog.request_count
    done = cli("upload", str(report), "--endpoint", catalog.url)
    assert done.returncode == 2, done.stderr
    assert "not a sparklineage report that can be read" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert catalog.request_count == before
