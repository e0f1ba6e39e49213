"""Report datasets become the entities Purview's scanners create; queries become processes."""

from __future__ import annotations

import orjson
import pytest

from sparklineage.atlas import typedefs
from sparklineage.atlas.datasets import atlas_dataset
from sparklineage.atlas.mapping import MappingOptions, plan_upload
from sparklineage.lineage.naming import Dataset, parse_id
from tests.test_lineage_rules import application


def _dataset(dataset_id: str) -> Dataset:
    return Dataset(parse_id(dataset_id))


@pytest.mark.parametrize(
    ("dataset_id", "type_name", "qualified_name"),
    [
        (
            "path:abfss://raw@contoso.dfs.core.windows.net/sales/orders",
            "azure_datalake_gen2_path",
            "https://contoso.dfs.core.windows.net/raw/sales/orders",
        ),
        (
            "path:abfss://raw@contoso.blob.core.windows.net/sales",
            "azure_datalake_gen2_path",
            "https://contoso.dfs.core.windows.net/raw/sales",
        ),
        (
            "path:wasbs://raw@contoso.blob.core.windows.net/Sales/Orders",
            "azure_blob_path",
            "https://contoso.blob.core.windows.net/raw/Sales/Orders",  # case kept
        ),
        ("path:hdfs://nn:8020/data/x", "hdfs_path", "hdfs://nn:8020/data/x"),
        ("path:file:/data/lake/x", "fs_path", "file:/data/lake/x"),
        ("table:sales.orders", "hive_table", "sales.orders@prod"),
        ("view:sales.v", "hive_table", "sales.v@prod"),
        ("database:sales", "hive_db", "sales@prod"),
        (
            "jdbc:sqlserver://srv.database.windows.net:1433;database=shop#sales.orders",
            "azure_sql_table",
            "mssql://srv.database.windows.net/shop/sales/orders",
        ),
        ("kafka:broker:9092#events", "kafka_topic", "events@prod"),
    ],
)
def test_datasets_map_to_scanner_types_and_names(dataset_id, type_name, qualified_name):
    mapped = atlas_dataset(_dataset(dataset_id), cluster="prod")
    assert (mapped.type_name, mapped.qualified_name) == (type_name, qualified_name)


def test_a_sql_server_url_lands_on_its_database_table_with_its_credentials_left_out():
    """The database is in the URL's parameters, beside the user and password."""
    from sparklineage.lineage import naming

    url = "jdbc:sqlserver://srv.database.windows.net:1433;user=etl;databaseName=shop;password=x"
    table = naming.jdbc(url, "sales.orders")
    assert (
        table.id == "jdbc:sqlserver://srv.database.windows.net:1433;databaseName=shop#sales.orders"
    )
    mapped = atlas_dataset(table, cluster="prod")
    assert mapped is not None
    assert mapped.qualified_name == "mssql://srv.database.windows.net/shop/sales/orders"


def test_what_has_no_catalog_entity_is_left_out():
    assert atlas_dataset(_dataset("view:recent"), cluster="c") is None  # a temporary view
    assert atlas_dataset(_dataset("jdbc:redacted#customers"), cluster="c") is None


@pytest.mark.parametrize("version", ["3.5", "4.0"])
def test_one_process_per_query_linked_to_its_application(version):
    app = application("dml", version)
    plan = plan_upload([app], MappingOptions(cluster="prod"))
    [application_entity] = plan.applications
    app_qn = application_entity["attributes"]["qualifiedName"]
    assert app_qn == app.id
    names = [p["attributes"]["qualifiedName"] for p in plan.processes]
    assert names == [f"{app.id}/{q.execution_id}" for q in app.queries if q.inputs or q.outputs]
    ctas = next(p for p in plan.processes if p["attributes"]["qualifiedName"].endswith("/2"))
    assert ctas["attributes"]["inputs"] == [
        {"typeName": "hive_table", "uniqueAttributes": {"qualifiedName": "default.orders@prod"}}
    ]
    assert ctas["relationshipAttributes"]["application"]["uniqueAttributes"] == {
        "qualifiedName": app_qn
    }
    mapping = orjson.loads(ctas["attributes"]["columnMapping"])
    assert mapping == [
        {
            "DatasetMapping": {
                "Source": "default.orders@prod",
                "Sink": "default.customer_totals@prod",
            },
            "ColumnMapping": [
                {"Source": "customer_id", "Sink": "customer_id"},
                {"Source": "amount", "Sink": "total"},
            ],
        }
    ]


@pytest.mark.parametrize("version", ["3.5", "4.0"])
def test_what_the_application_left_dropped_or_renamed_is_deleted(version):
    """The ddl fixture renames orders_copy to orders_archive, then drops everything."""
    plan = plan_upload([application("ddl", version)], MappingOptions())
    assert {(d.type_name, d.qualified_name) for d in plan.deletes} == {
        ("hive_table", "sales.orders_archive@primary"),  # the renamed orders_copy: one entity
        ("hive_table", "sales.events@primary"),
        ("hive_db", "sales@primary"),  # (its CASCADE drop of sales.orders is not in the log)
    }
    assert [(a.qualified_name, b.qualified_name) for a, b in plan.moves] == [
        ("sales.orders_copy@primary", "sales.orders_archive@primary")
    ]
    referenced = {
        r["uniqueAttributes"]["qualifiedName"]
        for p in plan.processes
        for r in (*p["attributes"]["inputs"], *p["attributes"]["outputs"])
    }
    assert "sales.orders_copy@primary" not in referenced  # earlier queries: under its new name


@pytest.mark.parametrize("spark_types", [False, True])
@pytest.mark.parametrize("scenario", ["ddl", "hive"])
def test_processes_point_at_datasets_only_never_at_databases(scenario, spark_types):
    """Atlas's Process.inputs/outputs take DataSets; hive_db is an Asset. The database of
    database DDL is still an entity of the plan, created or deleted."""
    report = [application(scenario, "3.5")]
    plan = plan_upload(report, MappingOptions(spark_types=spark_types))
    refs = [
        r["typeName"]
        for p in plan.processes
        for r in (*p["attributes"]["inputs"], *p["attributes"]["outputs"])
    ]
    assert refs and not {"hive_db", "spark_db"} & set(refs)
    databases = [k for k in plan.datasets if k[0] in ("hive_db", "spark_db")]
    assert databases


def test_only_what_stays_dropped_is_deleted():
    """views: big_orders is created, altered, then dropped; orders stays."""
    plan = plan_upload([application("views", "3.5")], MappingOptions())
    assert [d.qualified_name for d in plan.deletes] == ["default.big_orders@primary"]


def test_rollup_makes_one_process_per_application():
    plan = plan_upload([application("dml", "3.5")], MappingOptions(rollup=True))
    [process] = plan.processes
    assert process["attributes"]["qualifiedName"].endswith("/application")


def test_rollup_deletes_what_the_application_left_dropped():
    report = [application("views", "3.5")]
    rolled = plan_upload(report, MappingOptions(rollup=True))
    assert [d.qualified_name for d in rolled.deletes] == ["default.big_orders@primary"]


def test_typedef_changes_create_what_is_missing_and_update_what_differs():
    create, update = typedefs.changes({})
    assert [d["name"] for d in create["entityDefs"]] == ["spark_application", "spark_process"]
    have = {d["name"]: d for kind in typedefs.typedefs().values() for d in kind}
    assert typedefs.changes(have) == ({"entityDefs": [], "relationshipDefs": []},) * 2
    old_process = {
        **have["spark_process"],
        "attributeDefs": have["spark_process"]["attributeDefs"][:2],
    }
    _, update = typedefs.changes({**have, "spark_process": old_process})
    [updated] = update["entityDefs"]
    assert "columnMapping" in {a["name"] for a in updated["attributeDefs"]}
