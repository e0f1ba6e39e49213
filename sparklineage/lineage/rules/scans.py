"""Read nodes: file scans, catalog and JDBC tables, DSv2 batch scans, cached relations."""

from __future__ import annotations

import re

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import Dataset, NamingContext
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.views import NODE, NodeView
from sparklineage.plan import PlanBlock, PlanText
from sparklineage.plan.arguments import expression_ids, file_scans_in, location_in, location_paths


@RULES.rule(NODE, "Scan", "BatchScan", "PhotonScan", "GpuScan", "GpuFileGpuScan")
def scan(view: NodeView) -> Effect:
    """File scans (``Scan parquet [db.t]``), JDBC relations, DSv2 batch scans."""
    effect = _scan(view)
    return Effect(reads=effect.reads, attributes=tuple(expression_ids(view.simple)))


def _scan(view: NodeView) -> Effect:
    name_rest = view.name.split(" ", 2)
    if name_rest[1:2] and name_rest[1].startswith("JDBCRelation"):
        return Effect(reads=jdbc_relation(view.name, view.naming))
    if name_rest[1:2] and "JDBCScan" in name_rest[1]:
        return Effect(warnings=("reads a table of a JDBC catalog that the log does not name",))
    fmt = view.meta("Format") or (name_rest[1] if len(name_rest) > 1 else None)
    paths = location_paths(_scan_location(view))
    table_name = name_rest[2] if len(name_rest) > 2 else None
    if view.name.startswith("BatchScan"):
        return Effect(reads=_batch_scan(view))
    if table_name:
        location = paths[0] if len(paths) == 1 else None
        return Effect(
            reads=(naming.table(table_name, location=location, fmt=fmt, ctx=view.naming),)
        )
    return Effect(reads=tuple(naming.path(p, fmt=fmt, ctx=view.naming) for p in paths))


_V2_JDBC_SCAN = re.compile(r"^Scan JDBC v1 Relation from v2 scan (\S+)")


@RULES.rule(NODE, "Scan JDBC")
def jdbc_catalog_scan(view: NodeView) -> Effect:
    """A JDBC catalog table read (4.x): ``Scan JDBC v1 Relation from v2 scan <table>``."""
    found = _V2_JDBC_SCAN.match(view.name)
    if found is None:
        return Effect(warnings=("reads a table of a JDBC catalog that the log does not name",))
    table = naming.jdbc(view.naming.jdbc_url(), found.group(1))
    return Effect(reads=(table,), attributes=tuple(expression_ids(view.simple)))


@RULES.rule(NODE, "Scan hive", "HiveTableScan")
def hive_scan(view: NodeView) -> Effect:
    table_name = view.name.split(" ", 2)[2] if view.name.count(" ") >= 2 else None
    return Effect(
        reads=(naming.table(table_name, fmt="hive", ctx=view.naming),) if table_name else ()
    )


def _batch_scan(view: NodeView) -> tuple[Dataset, ...]:
    """DSv2 scans: a catalog table after the column list, or file paths in Location."""
    paths = location_paths(view.meta("Location") or location_in(view.simple))
    if paths:
        fmt = view.meta("Format")
        return tuple(naming.path(p, fmt=fmt, ctx=view.naming) for p in paths)
    for text, pattern in (
        (view.simple, _BATCH_SCAN_SIMPLE),  # BatchScan local.db.t[id#1] …, 3.3: BatchScan[id#1] …
        (view.name, _BATCH_SCAN_NAME),  # a block of plan text: "BatchScan local.db.t" (3.4+)
        (view.meta("Output") or "", _BATCH_SCAN_OUTPUT),  # 3.3's block: its line after Output
    ):
        found = pattern.search(text)
        if found and "." in found.group(1):
            return (naming.table(found.group(1), ctx=view.naming),)
    return ()


_BATCH_SCAN_SIMPLE = re.compile(r"^BatchScan\s*(?:\[[^\]]*\])?\s*([\w.`]+)")
_BATCH_SCAN_NAME = re.compile(r"^BatchScan ([\w.`]+)$")
_BATCH_SCAN_OUTPUT = re.compile(r"\]\n([\w.`]+) \(")


def _scan_location(view: NodeView) -> str:
    """A scan's file index, whole if any part of the event has it whole: the node's metadata,
    its block in the plan text, then its simpleString (cut at 100 characters)."""
    blocks = view.text.blocks_named(view.name)
    candidates = [
        view.meta("Location"),
        *(b.get("Location") for b in blocks),
        location_in(view.simple),
    ]
    present = [c for c in candidates if c]
    whole = [c for c in present if naming.TRUNCATION_MARK not in c]
    return (whole or present or [""])[0]


_JDBC_RELATION = re.compile(r"JDBCRelation\((.*)\)(?: \[numPartitions=\d+\])?")


def jdbc_relation(text: str, ctx: NamingContext) -> tuple[Dataset, ...]:
    """``JDBCRelation(customers)`` or ``JDBCRelation((SELECT … FROM t) SPARK_GEN_SUBQ_0)``."""
    found = _JDBC_RELATION.search(text)
    if not found:
        return ()
    relation = found.group(1).strip()
    if not relation.startswith("("):
        return (naming.jdbc(None, relation),)
    query = relation[1 : relation.rfind(")")]
    import sqlglot  # only for JDBC subqueries: it takes a while to import
    from sqlglot import exp

    try:
        tables = {t.sql() for t in sqlglot.parse_one(query).find_all(exp.Table)}
    except sqlglot.errors.ParseError:
        return ()
    return tuple(naming.jdbc(None, t) for t in sorted(tables))


@RULES.rule(NODE, "MicroBatchScan", "ContinuousScan")
def micro_batch_scan(_view: NodeView) -> Effect:
    """A streaming source: named only in the query's progress events (see :mod:`.streams`)."""
    return Effect()


@RULES.rule(NODE, "InMemoryTableScan")
def in_memory_table_scan(view: NodeView) -> Effect:
    """A cached relation: the tree stops here, but the plan text prints the cached plan, whose
    file scans are what the cache was filled from."""
    reads: list[Dataset] = []
    for fmt, table_name, located in file_scans_in(view.text.text):
        if table_name:
            location = located[0] if len(located) == 1 else None
            reads.append(naming.table(table_name, location=location, fmt=fmt, ctx=view.naming))
        else:
            reads.extend(naming.path(p, fmt=fmt, ctx=view.naming) for p in located)
    return Effect(reads=tuple(reads))


def scan_block_reads(block: PlanBlock, text: PlanText, ctx: NamingContext) -> tuple[Dataset, ...]:
    """What a scan block of formatted plan text reads (column lineage has blocks, not tree
    nodes): the node rule of its name, over the block's Location and Format fields."""
    view = NodeView.of_block(block, text, ctx)
    found = RULES.find(NODE, view.key)
    return found(view).reads if found is not None else ()
