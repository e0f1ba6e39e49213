"""What each query of the real lineage fixtures read and wrote, Spark 3.5 and 4.0 alike.

One line per case: (scenario, operation, reads, writes). A case holds when the scenario's
application has a query with exactly that operation, inputs and outputs (ids), whatever its
execution id, which differs between Spark versions.
"""

from __future__ import annotations

import pytest

from sparklineage.application import Application
from sparklineage.lineage.model import OPERATIONS
from tests.conftest import fixture_application, fixture_index

VERSIONS = tuple(sorted({e["spark"][:3] for e in fixture_index() if e["scenario"] == "ddl"}))
SINCE_3_4 = tuple(v for v in VERSIONS if v >= "3.4")
LAKE = "path:file:/data/lake/lake"
LONG_PATH = (
    f"{LAKE}/a_very_long_directory_name_for_truncation_tests"
    "/with_a_second_rather_long_directory_level/and_a_third_one_to_be_sure_it_is_cut/orders"
)
SHOP = "jdbc:sqlite:/data/lake/lake/shop.db"  # the JDBC catalog's URL, from its settings
ICEBERG = "table:local"  # the Iceberg Hadoop catalog of the iceberg scenario


def application(scenario: str, version: str) -> Application:
    return fixture_application(scenario, version)


def edges(app: Application) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [
        (q.operation, tuple(d.id for d in q.inputs), tuple(d.id for d in q.outputs))
        for q in app.queries
    ]


def assert_lineage(
    scenario: str, version: str, op: str, reads: tuple[str, ...], writes: tuple[str, ...]
) -> None:
    found = edges(application(scenario, version))
    assert (op, tuple(sorted(reads)), tuple(sorted(writes))) in found, "\n".join(map(str, found))


CASES = [
    # ---- database and table DDL (in-memory catalog)
    ("ddl", "create_table", (), ("table:sales.orders",)),
    ("ddl", "insert", (), ("table:sales.orders",)),
    ("ddl", "alter_table", (), ("table:sales.orders",)),
    ("ddl", "create_table", (), ("table:sales.orders_copy",)),  # CREATE TABLE LIKE
    ("ddl", "rename_table", ("table:sales.orders_copy",), ("table:sales.orders_archive",)),
    ("ddl", "truncate_table", (), ("table:sales.orders_archive",)),
    ("ddl", "alter_table", (), ("table:sales.events",)),  # partitions, location, MSCK
    ("ddl", "drop_table", (), ("table:sales.orders_archive",)),
    ("ddl", "drop_table", (), ("table:sales.events",)),
    # ---- CTAS, INSERT INTO / OVERWRITE, partitions, directories, joins
    ("dml", "ctas", (), ("table:default.orders",)),
    ("dml", "ctas", ("table:default.orders",), ("table:default.customer_totals",)),
    ("dml", "insert", ("table:default.orders",), ("table:default.customer_totals",)),
    ("dml", "insert_overwrite", ("table:default.orders",), ("table:default.customer_totals",)),
    ("dml", "insert", ("table:default.orders",), ("table:default.daily",)),  # static partition
    ("dml", "insert_overwrite", ("table:default.orders",), ("table:default.daily",)),  # dynamic
    ("dml", "insert_overwrite_directory", ("table:default.orders",), (f"{LAKE}/export",)),
    (
        "dml",
        "ctas",
        ("table:default.customer_totals", "table:default.orders"),
        ("table:default.enriched",),
    ),
    # ---- views: persistent, temporary, global temporary; reading a view reads its tables
    ("views", "create_view", ("table:default.orders",), ("view:default.big_orders",)),
    ("views", "create_view", ("table:default.orders",), ("view:recent",)),
    (
        "views",
        "ctas",
        ("table:default.orders", "view:default.big_orders"),
        ("table:default.from_view",),
        *SINCE_3_4,
    ),
    # 3.3's plan of a query over a persistent view names only the view's tables.
    ("views", "ctas", ("table:default.orders",), ("table:default.from_view",), "3.3"),
    ("views", "drop_view", (), ("view:default.big_orders",)),
    ("views", "create_view", ("table:default.orders",), ("view:global_temp.customer_amounts",)),
    # ---- DataFrame reads and writes of paths and tables, cache, long paths
    ("dataframe-io", "write_path", (f"{LAKE}/raw/orders_csv",), (f"{LAKE}/curated/orders",)),
    ("dataframe-io", "write_path", (f"{LAKE}/raw/orders_json",), (f"{LAKE}/curated/orders_orc",)),
    ("dataframe-io", "save_as_table", (f"{LAKE}/curated/orders",), ("table:default.orders_tbl",)),
    ("dataframe-io", "insert", (f"{LAKE}/curated/orders",), ("table:default.orders_tbl",)),
    ("dataframe-io", "write_path", ("table:default.orders_tbl",), (f"{LAKE}/curated/cached_out",)),
    ("dataframe-io", "read_only", (f"{LAKE}/curated/orders",), ()),
    # The scan's simpleString cuts this path at 100 characters; its metadata has it whole.
    ("dataframe-io", "write_path", (LONG_PATH,), (f"{LAKE}/curated/from_long_path",)),
    # ---- Hive tables, LOAD DATA, INSERT OVERWRITE [LOCAL] DIRECTORY, Hive CTAS
    ("hive", "load_data", ("path:file:/data/lake/input/emp.csv",), ("table:hr.emp_text",)),
    ("hive", "load_data", ("path:file:/data/lake/input/emp2.csv",), ("table:hr.emp_text",)),
    ("hive", "insert", ("table:hr.emp_text",), ("table:hr.emp_parquet",)),
    ("hive", "insert", ("table:hr.emp_parquet",), ("table:hr.emp_text",)),  # InsertIntoHiveTable
    ("hive", "ctas", ("table:hr.emp_text",), ("table:hr.dept_counts",)),
    ("hive", "insert_overwrite_directory", ("table:hr.emp_text",), (f"{LAKE}/hive_export",)),
    (
        "hive",
        "insert_overwrite_directory",
        ("table:hr.emp_parquet",),
        (f"{LAKE}/hive_export_parquet",),
    ),
    ("hive", "insert", ("table:hr.emp_text",), ("table:hr.emp_part",)),
    ("hive", "drop_table", (), ("table:hr.emp_parquet",)),
    # ---- JDBC: URLs redacted in plans, known for a JDBC catalog
    ("jdbc", "write_path", (), ("jdbc:redacted#customers",)),
    ("jdbc", "write_path", ("jdbc:redacted#customers",), (f"{LAKE}/from_jdbc",)),
    ("jdbc", "write_path", ("jdbc:redacted#customers",), (f"{LAKE}/from_jdbc_query",)),
    ("jdbc", "create_table", (), (f"{SHOP}#customer_summary",)),
    # INSERT INTO shop.customers_copy SELECT * FROM shop.customers: 3.3 and 3.5 do not name the
    # table its JDBC scan reads; 4.0 does ("Scan JDBC v1 Relation from v2 scan customers").
    ("jdbc", "insert", (), (f"{SHOP}#customers_copy",), "3.3", "3.5"),
    ("jdbc", "insert", (f"{SHOP}#customers",), (f"{SHOP}#customers_copy",), "4.0", "4.3"),
    # Spark redacts the url option by its key (spark.sql.redaction.options.regex, default
    # "(?i)url"); left alone, a DataFrame write names its table as the catalog does.
    ("jdbc", "write_path", ("jdbc:redacted#customers",), (f"{SHOP}#customers_archive",)),
    (
        "jdbc",
        "insert",
        (f"{SHOP}#customers_archive",),
        (f"{SHOP}#customers_copy",),
        "4.0",
        "4.3",
    ),
    # ---- Iceberg's Hadoop catalog "local" (its jars exist here for Spark 3.5 only)
    *(
        (*case, "3.5")
        for case in [
            ("iceberg", "create_table", (), (f"{ICEBERG}.db.orders",)),
            ("iceberg", "insert", (), (f"{ICEBERG}.db.orders",)),
            ("iceberg", "ctas", (f"{ICEBERG}.db.orders",), (f"{ICEBERG}.db.totals",)),
            ("iceberg", "insert_overwrite", (f"{ICEBERG}.db.orders",), (f"{ICEBERG}.db.totals",)),
            ("iceberg", "update_rows", (f"{ICEBERG}.db.orders",), (f"{ICEBERG}.db.orders",)),
            (
                "iceberg",
                "merge",
                (f"{ICEBERG}.db.orders", f"{ICEBERG}.db.totals"),
                (f"{ICEBERG}.db.totals",),
            ),
            ("iceberg", "alter_table", (), (f"{ICEBERG}.db.orders",)),
            ("iceberg", "create_table", (), (f"{ICEBERG}.flat",)),  # no namespace: two parts
            ("iceberg", "insert", (f"{ICEBERG}.db.orders",), (f"{ICEBERG}.flat",)),
            ("iceberg", "ctas", (f"{ICEBERG}.db.orders",), (f"{ICEBERG}.db.big_orders",)),
            ("iceberg", "insert", (f"{ICEBERG}.flat",), (f"{ICEBERG}.db.big_orders",)),
            ("iceberg", "write_path", (f"{ICEBERG}.db.totals",), (f"{LAKE}/iceberg_export",)),
            ("iceberg", "drop_table", (), (f"{ICEBERG}.db.big_orders",)),
        ]
    ),
    # ---- structured streaming: file source to file sink, and to a table
    ("streaming", "stream_write", (f"{LAKE}/stream_in",), (f"{LAKE}/stream_out",)),
    ("streaming", "stream_write", (f"{LAKE}/stream_in",), ("table:default.stream_events",)),
    # ---- several queries in one application
    ("multi-query", "write_path", (f"{LAKE}/mq/orders",), (f"{LAKE}/mq/orders_de",)),
    ("multi-query", "ctas", (f"{LAKE}/mq/orders",), ("table:default.country_totals",)),
    ("multi-query", "read_only", (f"{LAKE}/mq/orders_de",), ()),
]


def cases_by_version():
    """Each case for each version it holds for (all, unless it names one)."""
    for scenario, op, reads, writes, *only in CASES:
        for version in only or VERSIONS:
            yield pytest.param(
                scenario, version, op, reads, writes, id=f"{version}-{scenario}-{op}"
            )


@pytest.mark.parametrize(("scenario", "version", "op", "reads", "writes"), list(cases_by_version()))
def test_lineage(scenario, version, op, reads, writes):
    assert_lineage(scenario, version, op, reads, writes)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (
            "ddl",
            [("create_database", "sales"), ("alter_database", "sales"), ("drop_database", "sales")],
        ),
        ("hive", [("create_database", "hr"), ("drop_database", "hr")]),
    ],
)
def test_database_ddl_names_its_database_as_target_not_as_a_dataset(scenario, version, expected):
    """A database is no dataset (Atlas: hive_db is an Asset, not a DataSet): the query acts on
    it, it neither reads nor writes it."""
    queries = [
        q
        for q in application(scenario, version).queries
        if q.target and q.target.kind == "database"
    ]
    assert [(q.operation, q.target.id) for q in queries] == [
        (op, f"database:{db}") for op, db in expected
    ]
    assert all(not q.inputs and not q.outputs for q in queries)
    every = [d for q in application(scenario, version).queries for d in (*q.inputs, *q.outputs)]
    assert not [d.id for d in every if d.kind == "database"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_failed_query_keeps_its_outputs_and_says_failed(version):
    app = application("failed-query", version)
    failed = [q for q in app.queries if q.status == "failed"]
    assert [(q.operation, [d.id for d in q.outputs]) for q in failed] == [
        ("write_path", [f"{LAKE}/failed_out"])
    ]
    assert "boom" in failed[0].error
    assert all(q.status == "succeeded" for q in app.queries if q not in failed)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "scenario", ["ddl", "dml", "views", "dataframe-io", "hive", "jdbc", "streaming", "multi-query"]
)
def test_every_execution_is_one_query_or_part_of_one(version, scenario):
    app = application(scenario, version)
    ids = [
        i
        for q in app.queries
        if q.execution_id is not None
        for i in (q.execution_id, *q.child_execution_ids)
    ]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == app.sql_executions
    assert all(q.operation != "unknown" or q.unsupported for q in app.queries)
    assert {q.operation for q in app.queries} <= set(OPERATIONS)


@pytest.mark.parametrize("version", VERSIONS)
def test_no_secret_reaches_the_report(version):
    from sparklineage.sinks.report import render_json

    report = render_json([application("jdbc", version)])
    assert b"not-a-real-secret-42" not in report and b"hunter2" not in report


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("scenario", "directory"),
    [("dml", f"{LAKE}/export"), ("hive", f"{LAKE}/hive_export_parquet")],
)
def test_insert_overwrite_directory_is_one_query_on_every_version(scenario, version, directory):
    """3.3 runs the directory write as an execution of its own and logs no rootExecutionId."""
    writers = [q for q in application(scenario, version).queries if directory in ids(q.outputs)]
    assert [q.operation for q in writers] == ["insert_overwrite_directory"]


def ids(datasets) -> set[str]:
    return {d.id for d in datasets}


@pytest.mark.parametrize("version", VERSIONS)
def test_refresh_table_names_the_table_it_acts_on(version):
    [refresh] = [q for q in application("ddl", version).queries if q.operation == "refresh"]
    assert refresh.target is not None and refresh.target.id == "table:sales.orders"
    assert refresh.inputs == () and refresh.outputs == ()  # no data moves


@pytest.mark.parametrize("version", VERSIONS)
def test_a_jdbc_to_jdbc_write_has_its_column_lineage(version):
    """read.jdbc(customers).selectExpr("id", "upper(name) AS name").write.jdbc(customer_names)"""
    [write] = [
        q
        for q in application("jdbc", version).queries
        if ids(q.outputs) == {"jdbc:redacted#customer_names"}
    ]
    assert ids(write.inputs) == {"jdbc:redacted#customers"}
    assert {(c.column, c.sources, c.transform) for c in write.columns} == {
        ("id", (("jdbc:redacted#customers", "id"),), "identity"),
        ("name", (("jdbc:redacted#customers", "name"),), "transformation"),
    }


def test_an_iceberg_hadoop_catalog_keeps_its_catalog_in_every_name():
    """CREATE NAMESPACE local.db; tables of three parts (local.db.t) and of two (local.flat):
    never the session catalog's db.t, never database:db."""
    app = application("iceberg", "3.5")
    [namespace] = [q for q in app.queries if q.operation == "create_database"]
    assert namespace.target is not None and namespace.target.id == "database:local.db"
    named = {d.id for q in app.queries for d in (*q.inputs, *q.outputs)}
    assert {n for n in named if n.startswith("table:")} == {
        f"{ICEBERG}.db.orders",
        f"{ICEBERG}.db.totals",
        f"{ICEBERG}.db.big_orders",
        f"{ICEBERG}.flat",
    }
    tables = {d.id: d for q in app.queries for d in q.outputs}
    # A Hadoop catalog's table is the directory <warehouse>/<namespace>/<table>.
    assert tables[f"{ICEBERG}.db.orders"].location == f"{LAKE[5:]}/iceberg/db/orders"
    assert tables[f"{ICEBERG}.flat"].location == f"{LAKE[5:]}/iceberg/flat"
    assert {d.format for d in tables.values() if d.kind == "table"} == {"iceberg"}


def test_iceberg_row_level_writes_have_their_columns():
    """UPDATE … SET amount = amount * 2 WHERE id = 1; MERGE … WHEN MATCHED UPDATE SET
    t.total = s.amount WHEN NOT MATCHED INSERT (customer, total) VALUES (s.customer, s.amount):
    values from the MERGE's instructions, never Iceberg's _file or _pos."""
    app = application("iceberg", "3.5")
    orders, totals = f"{ICEBERG}.db.orders", f"{ICEBERG}.db.totals"
    [merge] = [q for q in app.queries if q.operation == "merge"]
    direct = {(c.column, c.sources) for c in merge.columns if c.transform == "identity"}
    assert direct == {
        ("customer", ((orders, "customer"), (totals, "customer"))),
        ("total", ((orders, "amount"), (totals, "total"))),
    }
    update = next(q for q in app.queries if q.operation == "update_rows")
    amount = {(c.sources, c.transform) for c in update.columns if c.column == "amount"}
    assert (((orders, "amount"),), "transformation") in amount  # amount * 2
    assert (((orders, "id"),), "conditional") in amount  # WHERE id = 1 decides the branch
    every = {s[1] for q in app.queries for c in q.columns for s in c.sources}
    assert not every & {"_file", "_pos", "_spec_id", "_partition"}


def test_an_iceberg_hadoop_table_lands_where_its_files_are():
    """Purview and OpenLineage know such a table by its directory (OpenLineage's own Spark
    integration names it so); its namespace is no metastore database."""
    from sparklineage.atlas.datasets import atlas_dataset
    from sparklineage.sinks.openlineage import OpenLineageOptions, dataset_identifier

    app = application("iceberg", "3.5")
    table = next(d for q in app.queries for d in q.outputs if d.id == f"{ICEBERG}.db.orders")
    entity = atlas_dataset(table, cluster="primary")
    assert entity is not None
    assert (entity.type_name, entity.qualified_name) == (
        "fs_path",
        "file:/data/lake/lake/iceberg/db/orders",
    )
    assert dataset_identifier(table, OpenLineageOptions()) == (
        "file",
        "/data/lake/lake/iceberg/db/orders",
    )
    [namespace] = [q for q in app.queries if q.operation == "create_database"]
    assert namespace.target is not None
    assert atlas_dataset(namespace.target, cluster="primary") is None
