"""Lineage over the real public logs: nothing crashes, every execution is accounted for, and
the writes MANIFEST.md names are found."""

from __future__ import annotations

import pytest

from sparklineage.application import read_application
from sparklineage.logs import discover
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")


def corpus_applications():
    return {source.path: read_application(source) for source in discover([CORPUS]).sources}


@pytest.fixture(scope="module")
def applications():
    return corpus_applications()


def test_every_execution_belongs_to_exactly_one_query(applications):
    for path, app in applications.items():
        ids = [
            i
            for q in app.queries
            if q.execution_id is not None
            for i in (q.execution_id, *q.child_execution_ids)
        ]
        assert len(ids) == len(set(ids)), path
        assert len(ids) == app.sql_executions, path


def test_every_operation_is_one_of_the_documented_ones(applications):
    from sparklineage.lineage.model import OPERATIONS

    assert {q.operation for app in applications.values() for q in app.queries} <= set(OPERATIONS)


def test_queries_of_unknown_commands_say_what_was_not_understood(applications):
    for path, app in applications.items():
        for query in app.queries:
            if query.operation == "unknown":
                assert query.unsupported, (path, query.execution_id)


def lineage(applications, rel: str) -> set[tuple[int, str, tuple[str, ...], tuple[str, ...]]]:
    app = applications[str(CORPUS / rel)]
    return {
        (q.execution_id, q.operation, tuple(d.id for d in q.inputs), tuple(d.id for d in q.outputs))
        for q in app.queries
    }


@pytest.mark.parametrize(
    ("rel", "edge"),
    [
        # Iceberg (DSv2): CreateTable + AppendData, the catalog named through its class
        ("netflix-sparklens/local-fresh", (0, "create_table", (), ("table:local.developers",))),
        ("netflix-sparklens/local-fresh", (4, "insert", (), ("table:local.developers",))),
        # Delta on Databricks: CREATE OR REPLACE TABLE AS SELECT (AtomicReplaceTableAsSelect)
        (
            "spark-rapids-tools/spark-events-qualification/db_subExecution_id.zstd",
            (5, "ctas", ("table:default.people_large_2",), ("table:default.people_large",)),
        ),
        # Structured streaming from Kafka (WriteToDataSourceV2 to a memory sink)
        (
            "apache-spark/sql-spark-events/local-1596020211915",
            (0, "stream_write", ("kafka:unknown#test5",), ()),
        ),
        # DataFrame write of a path (InsertIntoHadoopFsRelationCommand + WriteFiles), Spark 4.1
        (
            "kubeflow-mcp-shs/local-1776286786993.zstd",
            (0, "write_path", (), ("path:file:/tmp/e2e/job1",)),
        ),
        # CreateViewCommand of a temporary view over a JDBC relation
        (
            "spark-rapids-tools/spark-events-qualification/jdbc_eventlog.zstd",
            (1, "create_view", ("jdbc:redacted#TBLS",), ("view:t",)),
        ),
        # Spark 2.2: reads of csv files
        (
            "spark-rapids-tools/spark-events-profiling/spark2-eventlog.zstd",
            (
                2,
                "read_only",
                (
                    "path:file:/home/nartal/event_logs_spark/nested_type/simple1.csv",
                    "path:file:/home/nartal/event_logs_spark/nested_type/simple2.csv",
                ),
                (),
            ),
        ),
    ],
)
def test_writes_named_in_the_manifest_are_found(applications, rel, edge):
    assert edge in lineage(applications, rel)


EMR_CTAS = "spark-rapids-tools/spark-events-qualification/multiple_attempts/attempt_1_eventlog.zstd"


def test_save_as_table_on_emr_is_named_so_and_writes_its_table(applications):
    """CreateDataSourceTableAsSelectCommand, from a DataFrame's saveAsTable call site."""
    [query] = [q for q in applications[str(CORPUS / EMR_CTAS)].queries if q.outputs]
    assert query.operation == "save_as_table"
    assert [d.kind for d in query.outputs] == ["table"] and query.inputs


def test_a_path_spark_cut_short_everywhere_is_flagged_not_guessed(applications):
    """Spark 2.4 printed this cached scan's location cut at 100 characters, and nowhere whole."""
    app = applications[str(CORPUS / "apache-spark/spark-events/application_1506645932520_24630151")]
    [query] = [q for q in app.queries if q.inputs]
    [dataset] = query.inputs
    assert dataset.truncated and dataset.id.endswith("...")
    assert any("truncated" in w for w in query.warnings)


def test_a_namespace_less_iceberg_hadoop_table_is_its_warehouse_directory(applications):
    """Spark 3.3's `local.developers` (catalog local, no namespace) is no database `local`:
    the Hadoop catalog's table `<warehouse>/developers`."""
    app = applications[str(CORPUS / "netflix-sparklens/local-fresh")]
    tables = {d.id: d for q in app.queries for d in (*q.inputs, *q.outputs)}
    developers = tables["table:local.developers"]
    assert developers.location is not None
    assert developers.location.endswith("/warehouse/developers")
    assert developers.format == "iceberg"
