"""The one rule registry: every kind of rule is in it, found the same way.

What the rules derive is pinned by the fixture cases (tests/test_lineage_rules.py,
tests/test_columns.py) and the golden files; this pins the registry itself: which kinds it
holds, how names are looked up, and that plan/ stays free of lineage code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sparklineage.events import CatalogEvent
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import NamingContext
from sparklineage.lineage.rules import (
    CATALOG_EVENT,
    EXTENDED_RELATION,
    KINDS,
    LOGICAL,
    NODE,
    RULES,
    STREAM,
    CatalogEventView,
    Kind,
    NodeView,
    Registry,
    StreamView,
    plumbing,
    scans,
    writes,
)
from sparklineage.plan import PlanBlock, PlanText

# Known entries of each kind, several of them one rule under the names of several versions.
KNOWN = {
    NODE: {
        "InsertIntoHadoopFsRelationCommand",
        "CreateDataSourceTableAsSelectCommand",
        "AppendDataExecV1",  # 3.x
        "AppendData",  # logical name, as some builds print it
        "DropTable",
        "DropTableExec",
        "Scan",
        "Scan hive",
        "Scan JDBC",
        "LocalTableScan",  # no dataset
        "SetCommand",  # no lineage
    },
    LOGICAL: {"LogicalRelation", "HiveTableRelation", "View", "JDBCRelation"},
    EXTENDED_RELATION: {"Relation", "HiveTableRelation"},
    CATALOG_EVENT: {"CreateTableEvent", "DropTableEvent", "RenameTableEvent"},
    STREAM: {"FileStreamSource", "FileSink", "KafkaV2", "KafkaMicroBatchStream"},
}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_registry_holds_every_kind_of_rule(kind):
    assert KNOWN[kind] <= RULES.names(kind)
    assert all(RULES.find(kind, name) is not None for name in KNOWN[kind])


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_an_unknown_name_has_no_rule(kind):
    assert RULES.find(kind, "NoSuchThingSparkPrints") is None
    assert RULES.find(kind, "NoSuchThingSparkPrints with more words") is None


def test_kinds_do_not_share_entries():
    """HiveTableRelation is a logical rule and an extended-plan rule: two different rules."""
    assert RULES.find(LOGICAL, "HiveTableRelation") is not RULES.find(
        EXTENDED_RELATION, "HiveTableRelation"
    )
    assert RULES.find(LOGICAL, "InsertIntoHadoopFsRelationCommand") is None
    assert RULES.find(NODE, "CreateTableEvent") is None


def test_versions_are_names_of_one_rule():
    assert RULES.find(NODE, "DropTable") is RULES.find(NODE, "DropTableExec")
    assert RULES.find(NODE, "AppendData") is RULES.find(NODE, "AppendDataExecV1") is writes.v2_write
    assert RULES.find(STREAM, "KafkaV2") is RULES.find(STREAM, "KafkaSourceV1")


def test_node_names_fall_back_to_their_leading_words_and_the_longest_wins():
    assert RULES.find(NODE, "Scan parquet spark_catalog.default.orders") is scans.scan
    assert RULES.find(NODE, "Scan hive default.orders") is scans.hive_scan
    assert RULES.find(NODE, "Scan OneRowRelation") is plumbing.no_dataset
    assert RULES.find(NODE, "Scan In-memory table cached") is plumbing.no_dataset


def test_only_the_node_kind_falls_back_to_leading_words():
    assert RULES.find(LOGICAL, "LogicalRelation") is not None
    assert RULES.find(LOGICAL, "LogicalRelation parquet") is None
    assert RULES.find(CATALOG_EVENT, "CreateTableEvent extra") is None


def test_a_name_registered_twice_fails_at_registration():
    registry, kind = Registry(), Kind[NodeView]("node")
    registry.add(kind, ("X",), plumbing.no_dataset)
    with pytest.raises(ValueError, match="two node rules for 'X'"):
        registry.add(kind, ("Y", "X"), plumbing.no_lineage)


def test_a_stream_source_is_read_and_the_sink_written():
    rule = RULES.find(STREAM, "FileSink")
    source = rule(StreamView("FileStreamSource", "file:/in", False, NamingContext()))
    sink = rule(StreamView("FileSink", "file:/out", True, NamingContext()))
    assert [d.id for d in source.reads] == ["path:file:/in"] and not source.writes
    assert [d.id for d in sink.writes] == ["path:file:/out"] and not sink.reads


def test_a_catalog_event_that_names_nothing_proves_nothing():
    rule = RULES.find(CATALOG_EVENT, "DropTableEvent")
    assert rule(CatalogEventView(CatalogEvent("DropTableEvent", "db", None), NamingContext())) == (
        Effect()
    )
    dropped = rule(CatalogEventView(CatalogEvent("DropTableEvent", "db", "t"), NamingContext()))
    assert dropped.operation == "drop_table" and [d.id for d in dropped.writes] == ["table:db.t"]


def test_a_scan_block_of_plan_text_is_read_by_the_scan_rules():
    """Column lineage has plan-text blocks, not tree nodes: the same rule reads them."""
    block = PlanBlock(
        3,
        "Scan parquet spark_catalog.default.orders",
        (("Output", "[id#1]"), ("Location", "InMemoryFileIndex [file:/lake/orders]")),
    )
    reads = scans.scan_block_reads(block, PlanText("", (block,), ()), NamingContext())
    assert [(d.id, d.location) for d in reads] == [("table:default.orders", "file:/lake/orders")]


def test_plan_parsing_imports_nothing_of_lineage():
    """plan/ reads Spark's text; naming what it names is lineage/'s: the layers stay apart."""
    plan = Path(__file__).resolve().parent.parent / "sparklineage" / "plan"
    imported = set()
    for path in plan.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not [m for m in imported if m.startswith("sparklineage.lineage")]
