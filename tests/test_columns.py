"""Column lineage from real Spark 3.5 and 4.0 plans, against hand-written ground truth."""

from __future__ import annotations

import orjson
import pytest

from benchmarks.column_accuracy import score
from sparklineage.application import read_application
from sparklineage.atlas.mapping import MappingOptions, plan_upload
from sparklineage.check import render_expected
from sparklineage.lineage.columns import RDD_COLUMNS, compose, expression_sources
from sparklineage.lineage.functions import FUNCTIONS
from sparklineage.lineage.model import plan_text
from sparklineage.lineage.queries import UNNAMED_COLUMN_SOURCE
from sparklineage.logs import discover
from sparklineage.sinks.html import render_html
from sparklineage.sinks.openlineage import OpenLineageOptions, render_ndjson
from sparklineage.sinks.report import render_json
from sparklineage.sinks.text import render_text
from tests.conftest import CORPUS, FIXTURES, fixture_index
from tests.test_lineage_rules import VERSIONS, application

ORDERS = "table:default.orders"


# The F1 each Spark version's log must keep, from the plan and from the SQL text; a version
# the fixtures gain gets its floor here once its figures are read (docs/columns.md).
FLOORS = {
    "columns": {"3.3": 0.98, "3.5": 0.98, "4.0": 0.98, "4.3": 0.98},
    "columns-sqltext": {"3.3": 0.98, "3.5": 0.98, "4.0": 0.98, "4.3": 0.98},
}


@pytest.mark.parametrize(
    ("scenario", "result"),
    [(scenario, s) for scenario in FLOORS for s in score(scenario)],
    ids=lambda v: v.label if hasattr(v, "label") else v,
)
def test_f1_against_the_hand_written_truth_holds_its_floor(scenario, result):
    """docs/columns.md records the figures; below the floor is a regression worth a look."""
    version = result.label.removeprefix("Spark ")[:3]
    assert version in FLOORS[scenario], f"no floor for {result.label}: read its figures"
    missing, extra = sorted(result.expected - result.found), sorted(result.found - result.expected)
    assert result.f1 >= FLOORS[scenario][version], (missing, extra)


def sources(version: str, dataset: str, column: str, transform: str) -> set[str]:
    app = application("columns", version)
    return {
        f"{d}.{c}"
        for q in app.queries
        for entry in q.columns
        if (entry.dataset, entry.column, entry.transform) == (dataset, column, transform)
        for d, c in entry.sources
    }


CASES = [
    ("table:default.col_alias", "id", "identity", {f"{ORDERS}.order_id"}),
    ("table:default.col_case", "tier", "conditional", {f"{ORDERS}.amount", f"{ORDERS}.discount"}),
    (
        "table:default.col_multi_fn",
        "net",
        "transformation",
        {f"{ORDERS}.amount", f"{ORDERS}.discount"},
    ),
    ("table:default.col_group_by", "total", "aggregation", {f"{ORDERS}.amount"}),
    ("table:default.col_group_by", "n", "group_by", {f"{ORDERS}.country"}),
    ("table:default.col_window", "rnk", "window", {f"{ORDERS}.country", f"{ORDERS}.amount"}),
    ("table:default.col_window", "rnk", "aggregation", set()),  # RANK() reads no value
    ("table:default.col_union", "amount", "transformation", {"table:default.orders_eu.amount"}),
    ("table:default.target_pos", "a", "identity", {f"{ORDERS}.customer_id"}),  # by position
    (
        "table:default.col_join",
        "name",
        "join",
        {f"{ORDERS}.customer_id", "table:default.customers.customer_id"},
    ),
    ("table:default.col_join", "name", "filter", {"table:default.customers.segment"}),
    ("table:default.col_filter_sort", "amount", "sort", {f"{ORDERS}.order_date"}),
    ("table:default.col_from_view", "doubled", "transformation", {f"{ORDERS}.amount"}),
    ("path:file:/data/lake/lake/col_cached", "amount_plus", "transformation", {f"{ORDERS}.amount"}),
    ("table:default.wide_copy", "c30", "identity", {"table:default.wide.c30"}),
    (
        "table:default.col_explode",
        "val",
        "transformation",
        {f"{ORDERS}.amount", f"{ORDERS}.discount"},
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("dataset", "column", "transform", "expected"), CASES)
def test_column_sources(version, dataset, column, transform, expected):
    assert sources(version, dataset, column, transform) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_ctas_columns_are_reported_on_the_table_not_its_files(version):
    app = application("columns", version)
    datasets = {c.dataset for q in app.queries for c in q.columns}
    assert "table:default.col_alias" in datasets
    assert not any(d.startswith("path:file:/data/lake/warehouse") for d in datasets)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # expressions as Spark 3.5 prints them in the columns fixture's plans
        ("order_id#47", {(47, "identity")}),
        ("(amount#49 * (1.0 - discount#50))", {(49, "transformation"), (50, "transformation")}),
        ("sum(amount#49)#61", {(49, "aggregation"), (61, "aggregation")}),
        (
            "CASE WHEN (amount#49 > 100.0) THEN high "
            "WHEN (discount#50 > 0.0) THEN discounted ELSE low END",
            {(49, "conditional"), (50, "conditional")},
        ),
        (
            "rank(amount#49) windowspecdefinition(country#51, amount#49 DESC NULLS LAST, "
            "specifiedwindowframe(RowFrame, unboundedpreceding$(), currentrow$()))",
            {(51, "window"), (49, "window")},
        ),
        ("empty2null(country#19)", {(19, "identity")}),
        # a value keeps its own kind through a conditional: a bare branch is identity
        (
            "CASE WHEN (country#51 = DE) THEN amount#49 ELSE (discount#50 * 2.0) END",
            {(51, "conditional"), (49, "identity"), (50, "transformation")},
        ),
        # an aggregate of a conditional: the condition stays conditional
        (
            "sum(CASE WHEN (country#51 = DE) THEN amount#49 ELSE 0.0 END)",
            {(51, "conditional"), (49, "aggregation")},
        ),
        # nested: the inner coalesce's arguments decide the outer if's value too
        (
            "if ((coalesce(discount#50, 0.0) > 0.0)) amount#49 else 0.0",
            {(50, "conditional"), (49, "identity")},
        ),
        # an unquoted literal with a bracket (concat(name, ':-)')): read flat, not lost
        ("concat(name#5, :-))", {(5, "transformation")}),
    ],
)
def test_expression_sources(expression, expected):
    assert expression_sources(expression) == expected


# (column, as the analyzed plan of the CTAS prints it, as its physical plan prints it: Spark
# rewrites NULLIF, NVL2 to if (...), NVL and IFNULL to coalesce(...)); ids of the columns
# fixture (order_id#47, amount#49, discount#50, country#51), the same on 3.5 and 4.0.
CONDITIONALS = [
    (
        "if_value",
        "if ((amount#49 > cast(100 as double))) amount#49 else discount#50",
        "if ((amount#49 > 100.0)) amount#49 else discount#50",
        {(49, "conditional"), (49, "identity"), (50, "identity")},
    ),
    (
        "nullif_country",
        "nullif(country#51, DE)",
        "if ((country#51 = DE)) null else country#51",
        {(51, "conditional"), (51, "identity")},
    ),
    (
        "nvl_value",
        "nvl(discount#50, amount#49)",
        "coalesce(discount#50, amount#49)",
        {(50, "conditional"), (50, "identity"), (49, "conditional"), (49, "identity")},
    ),
    (
        "nvl2_value",
        "nvl2(discount#50, amount#49, 0.0)",
        "if (isnotnull(discount#50)) amount#49 else 0.0",
        {(50, "conditional"), (49, "identity")},
    ),
    (
        "ifnull_country",
        "ifnull(country#51, none)",
        "coalesce(country#51, none)",
        {(51, "conditional"), (51, "identity")},
    ),
    (
        "nanvl_value",
        "nanvl(amount#49, discount#50)",
        "nanvl(amount#49, discount#50)",
        {(49, "conditional"), (49, "identity"), (50, "identity")},
    ),
]


@pytest.mark.parametrize(
    ("column", "analyzed", "physical", "expected"), CONDITIONALS, ids=[c[0] for c in CONDITIONALS]
)
def test_a_conditional_function_reads_alike_as_written_and_as_spark_rewrites_it(
    column, analyzed, physical, expected
):
    assert expression_sources(analyzed) == expression_sources(physical) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_conditional_functions_give_the_same_edges_from_the_plan_and_from_the_sql(version):
    """col_conditional: IF, NULLIF, NVL, NVL2, COALESCE, IFNULL, NANVL and a simple CASE."""

    def edges(scenario):
        return {
            (c.column, source, c.transform)
            for q in application(scenario, version).queries
            for c in q.columns
            if c.dataset == "table:default.col_conditional"
            for source in c.sources
        }

    plan = edges("columns")
    assert ("simple_case", (ORDERS, "country"), "conditional") in plan
    assert ("coalesce_value", (ORDERS, "amount"), "identity") in plan
    assert plan == edges("columns-sqltext")


@pytest.mark.parametrize(
    ("name", "count", "expected"),
    [
        # decode(x, s1, r1, s2, r2, default): x and the searched values decide
        ("decode", 6, ("condition", "condition", "value", "condition", "value", "value")),
        ("decode", 5, ("condition", "condition", "value", "condition", "value")),
        # CASE WHEN p1 THEN v1 WHEN p2 THEN v2 ELSE e END, read as (p1, v1, p2, v2, e)
        ("case", 5, ("condition", "value", "condition", "value", "value")),
        ("coalesce", 3, ("tested", "tested", "tested")),
        ("nullif", 2, ("tested", "condition")),
    ],
)
def test_the_roles_of_a_conditional_functions_arguments(name, count, expected):
    roles = FUNCTIONS[name].roles
    assert roles is not None and roles.of(count) == expected


def test_an_indirect_link_dominates_a_path_and_direct_kinds_keep_the_strongest():
    assert compose("identity", "aggregation") == "aggregation"
    assert compose("transformation", "identity") == "transformation"
    assert compose("conditional", "aggregation") == "conditional"
    assert compose("identity", "window") == "window"


@pytest.mark.parametrize("version", VERSIONS)
def test_each_entry_says_which_part_of_the_log_answered(version):
    plan = {c.via for q in application("columns", version).queries for c in q.columns}
    sql = {c.via for q in application("columns-sqltext", version).queries for c in q.columns}
    assert (plan, sql) == ({"plan"}, {"sql"})


@pytest.mark.parametrize("version", VERSIONS)
def test_an_abbreviated_column_list_is_checked_not_guessed(version):
    """INSERT INTO a 30-column table: Spark prints 24 (3.5) or 25 (4.0) target names then
    '... N more fields'; the printed names match the query's, so all 30 are known."""
    [insert] = [
        q for q in application("columns-wide-insert", version).queries if q.operation == "insert"
    ]
    mapping = {(c.column, c.sources, c.transform) for c in insert.columns}
    wide = "table:default.wide"
    assert mapping == {(f"t{i:02}", ((wide, f"c{i:02}"),), "identity") for i in range(1, 31)}
    assert not any("abbreviated" in w for w in insert.warnings)


def every_output(apps) -> dict[str, bytes]:
    """What a user can get out of these applications: the report, the text, the check file,
    OpenLineage run events, the Atlas upload and the lineage page."""
    return {
        "report": render_json(apps),
        "text": render_text(apps, columns=True).encode(),
        "check": render_expected(apps),
        "openlineage": render_ndjson(apps, OpenLineageOptions()),
        "atlas": orjson.dumps(plan_upload(apps, MappingOptions()).payloads()),
        "html": render_html(apps),
    }


@pytest.mark.parametrize("entry", fixture_index(), ids=lambda e: e["path"])
def test_no_output_names_a_relation_by_its_expression_ids(entry):
    """``relation:9,10,11`` (a temporary view over a path, as its plan shows it) has other ids
    on another Spark version: a column source is named as the query's inputs are, through the
    scan of those ids, or left out with a warning."""
    [source] = discover([FIXTURES / entry["path"]]).sources
    apps = [read_application(source)]
    named = {kind for kind, output in every_output(apps).items() if b"relation:" in output}
    assert named == set()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_temporary_views_columns_come_from_the_files_it_reads(version):
    """basic: createOrReplaceTempView over parquet files, read later by a query whose scan
    names the path; the view's columns name that path, on every version alike."""
    [view] = [
        q
        for q in application("basic-none", version).queries
        if [d.id for d in q.outputs] == ["view:orders"]
    ]
    orders = "path:file:/data/lake/lake/orders"
    assert {(c.column, c.sources) for c in view.columns} == {
        (name, ((orders, name),)) for name in ("customer_id", "country", "amount")
    }


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_a_relation_no_scan_names_leaves_its_columns_out_with_a_warning():
    """spark-rapids-tools' NDS logs: temporary views over paths that no later scan of the
    log reads by the same ids: their columns are left out, and the query says so."""
    apps = [read_application(s) for s in discover([CORPUS]).sources]
    queries = [q for app in apps for q in app.queries]
    assert not any(b"relation:" in output for output in every_output(apps).values())
    warned = [q for q in queries if UNNAMED_COLUMN_SOURCE in q.warnings]
    assert warned
    assert all(not q.columns or q.outputs for q in warned)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scenario", ["rdd", "multi-query", "dataframe-io"])
def test_columns_made_by_an_rdd_are_said_unknown_when_the_rdd_read_a_dataset(scenario, version):
    """createDataFrame(rdd) / toDF(): the plan's columns start at 'Scan ExistingRDD', made by
    code the log does not show. When the query read a dataset (the RDD's files), its column
    sources are missing and a warning says so; data made in the program (createDataFrame of
    a list) reads nothing and misses nothing."""
    [entry] = [e for e in fixture_index() if (e["scenario"], e["spark"][:3]) == (scenario, version)]
    [source] = discover([FIXTURES / entry["path"]]).sources
    from_rdd = [
        q
        for q in read_application(source, keep_plans=True).queries
        if q.outputs and "Scan ExistingRDD" in plan_text(q) and not q.columns
    ]
    assert from_rdd
    for query in from_rdd:
        assert (RDD_COLUMNS in query.warnings) == bool(query.inputs), query.description


STREAM_IN = "path:file:/data/lake/lake/stream_in"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("sink", "expected"),
    [
        # selectExpr("order_id", "amount * 2 AS doubled", "IF(amount > 2, 'big', 'small')
        # AS size") from json files to parquet: the micro-batch plan's projection
        (
            "path:file:/data/lake/lake/stream_projected",
            {
                ("order_id", "order_id", "identity"),
                ("doubled", "amount", "transformation"),
                ("size", "amount", "conditional"),
            },
        ),
        # the file sink (three batches) and toTable: each batch's plan is the bare scan
        (
            "path:file:/data/lake/lake/stream_out",
            {(c, c, "identity") for c in ("order_id", "customer_id", "amount")},
        ),
        (
            "table:default.stream_events",
            {(c, c, "identity") for c in ("order_id", "customer_id", "amount")},
        ),
    ],
)
def test_a_stream_writes_its_sources_columns_into_its_sink(version, sink, expected):
    """The micro-batch plans hold the projection, the progress events name source and sink:
    the columns go from the source the query reports as its input to its output."""
    [query] = [
        q
        for q in application("streaming", version).queries
        if q.operation == "stream_write" and [d.id for d in q.outputs] == [sink]
    ]
    assert [d.id for d in query.inputs] == [STREAM_IN]
    assert {
        (c.column, column, c.transform) for c in query.columns for _, column in c.sources
    } == expected
    assert {d for c in query.columns for d, _ in c.sources} == {STREAM_IN}
    assert {c.dataset for c in query.columns} == {sink}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_a_python_udfs_output_comes_from_its_arguments():
    """spark-rapids-tools' python_udf log: withColumn("doubled", multiply_by_two("value")),
    evaluated in BatchEvalPython as pythonUDF0: a transformation of ``value``."""
    path = CORPUS / "spark-rapids-tools/spark-events-qualification/python_udf_eventlog"
    [source] = discover([path]).sources
    doubled = [
        (c.sources, c.transform)
        for q in read_application(source).queries
        for c in q.columns
        if c.column == "doubled"
    ]
    data = "path:file:/home/rishic/Code/myforks/cuaether-agent/tmp/data/input.parquet"
    assert doubled == [(((data, "value"),), "transformation")]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_sql_text_reads_a_view_through_to_its_tables(version):
    """columns-sqltext: CREATE VIEW v_orders AS SELECT order_id, amount * 2 AS doubled …,
    then a CTAS from the view; only the SQL texts have both queries."""
    columns = {
        (c.column, c.sources, c.transform)
        for q in application("columns-sqltext", version).queries
        for c in q.columns
        if c.dataset == "table:default.col_from_view"
    }
    assert columns == {
        ("order_id", ((ORDERS, "order_id"),), "identity"),
        ("doubled", ((ORDERS, "amount"),), "transformation"),
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_an_insert_of_an_extended_plan_names_its_table_and_columns(version):
    """columns-sqltext: INSERT INTO default.target_pos SELECT customer_id, amount …; 3.3
    prints the target's CatalogTable whole over several lines of the analyzed plan, the
    column names [a, b] after it."""
    [insert] = [
        q
        for q in application("columns-sqltext", version).queries
        if q.description.startswith("INSERT INTO default.target_pos")
    ]
    assert (insert.operation, [d.id for d in insert.outputs]) == (
        "insert",
        ["table:default.target_pos"],
    )
    assert {(c.column, c.sources) for c in insert.columns} == {
        ("a", ((ORDERS, "customer_id"),)),
        ("b", ((ORDERS, "amount"),)),
    }
