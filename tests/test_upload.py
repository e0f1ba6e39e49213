"""Typedefs and uploads over real HTTP, against the Atlas-compatible server of
tests/atlas_server.py on 127.0.0.1; assertions are on what the server holds at the end."""

from __future__ import annotations

import time

import orjson
import pytest

from sparklineage.atlas.client import AtlasClient, RetryPolicy, basic_auth
from sparklineage.errors import AtlasError
from tests.catalog import CATALOG_TYPES, cli
from tests.conftest import FIXTURES, fixture_index

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


def test_typedefs_are_created_once_and_then_left_alone(atlas_server):
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


def test_uploading_twice_creates_nothing_new(catalog):
    first = cli("upload", str(DML), "--endpoint", catalog.url)
    assert first.returncode == 0, first.stderr
    everything = sorted((e["typeName"], e["guid"]) for e in catalog.entities(status=None))
    second = cli("upload", str(DML), "--endpoint", catalog.url)
    assert second.returncode == 0, second.stderr
    assert "0 created" in second.stderr
    assert sorted((e["typeName"], e["guid"]) for e in catalog.entities(status=None)) == everything


def test_dropped_and_renamed_tables_are_soft_deleted(catalog):
    done = cli("upload", str(DDL), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    assert catalog.entity("hive_table", "sales.orders_archive@primary") is None
    gone = {
        e["attributes"]["qualifiedName"] for e in catalog.entities("hive_table", status="DELETED")
    }
    assert {
        "sales.orders_archive@primary",
        "sales.orders_copy@primary",
        "sales.events@primary",
    } <= gone
    assert catalog.entity("hive_table", "sales.orders@primary") is not None


def test_throttling_and_dropped_connections_are_retried(catalog):
    catalog.add_faults(
        ("status", 429, {"Retry-After": "0"}),
        ("drop",),
        ("status", 503),
        path_contains="entity/bulk",
    )
    done = cli("upload", str(DML), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    assert catalog.pending_faults == 0
    assert len(catalog.entities("spark_process")) == 9


def test_a_batch_that_keeps_failing_is_reported_and_the_rest_lands(catalog):
    catalog.add_faults(("status", 500), path_contains="entity/bulk")  # not retried: a real error
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--batch-size", "2")
    assert done.returncode == 3
    assert "sparklineage: error: batch of 2" in done.stderr and "HTTP 500" in done.stderr
    assert catalog.entities("spark_application")  # later batches landed
    assert "Traceback" not in done.stderr


def test_basic_auth_and_secrets_never_printed(atlas_server_factory):
    server = atlas_server_factory(auth=("basic", "admin", "hunter2-secret"))
    server.add_typedefs(CATALOG_TYPES)
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


def test_dry_run_says_what_would_change_and_changes_nothing(catalog):
    before = catalog.entities(status=None)
    dry = cli("upload", str(DML), "--endpoint", catalog.url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "create hive_table default.orders@primary" in dry.stdout.splitlines()
    assert catalog.entities(status=None) == before
    cli("upload", str(DML), "--endpoint", catalog.url)
    again = cli("upload", str(DML), "--endpoint", catalog.url, "--dry-run")
    assert "update hive_table default.orders@primary" in again.stdout.splitlines()
    assert not any(line.startswith("create") for line in again.stdout.splitlines())


def test_azure_auth_asks_for_the_purview_scope_and_sends_a_bearer_token(
    atlas_server_factory, monkeypatch
):
    """DefaultAzureCredential stands in for Azure here; the header goes over real HTTP."""
    import azure.identity
    from azure.core.credentials import AccessToken

    from sparklineage.atlas.client import PURVIEW_SCOPE, azure_auth

    scopes: list[str] = []

    class FakeCredential:
        def get_token(self, scope: str) -> AccessToken:
            scopes.append(scope)
            return AccessToken("token-123", int(time.time()) + 3600)

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", FakeCredential)
    server = atlas_server_factory(auth=("bearer", "token-123"))
    client = AtlasClient(server.url, azure_auth(), RetryPolicy(timeout=5, attempts=1))
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
    catalog.add_faults(*[("drop",)] * 6, path_contains="entity/bulk")  # every retry of the first
    done = cli("upload", str(DML), "--endpoint", catalog.url, "--retry-budget", "2")
    assert done.returncode == 3
    assert "nothing more was sent" in done.stderr and "gave up after" in done.stderr
    posts = [m for m, path in catalog.requests if "entity/bulk" in path]
    assert 1 < len(posts) <= 6 and not catalog.entities("spark_application")
