"""Logical relations in the plan text: the tables a command's query reads.

The analyzed logical plan that 3.x prints for v1 commands (formatted blocks:
``LogicalRelation``, ``HiveTableRelation``, ``View``, ``JDBCRelation``) and the relation lines
of an extended plan's analyzed plan (2.x, 3.0: ``Relation``, ``HiveTableRelation``) name what
the physical tree of a command does not show.
"""

from __future__ import annotations

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.scans import jdbc_relation
from sparklineage.lineage.rules.views import (
    EXTENDED_RELATION,
    LOGICAL,
    ExtendedRelationView,
    LogicalView,
)
from sparklineage.plan import EXPRESSION_ID, split_arguments
from sparklineage.plan.arguments import expression_ids, table_arguments, table_identifier


@RULES.rule(LOGICAL, "LogicalRelation")
def logical_relation(view: LogicalView) -> Effect:
    """``format, [cols], <table>?, streaming``: a table when the relation is a catalog table."""
    arguments = view.block.arguments or ""
    args = split_arguments(arguments)
    if args and args[0].startswith("JDBCRelation("):  # 3.3: a DataFrame JDBC read
        return Effect(reads=jdbc_relation(args[0], view.naming))
    tables = table_arguments(args)
    if not tables:
        ids = expression_ids(arguments)
        return Effect(reads=(naming.relation(ids),)) if ids else Effect()
    ident = table_identifier(tables[0])
    return Effect(reads=(naming.table(ident, fmt=args[0] if args else None, ctx=view.naming),))


@RULES.rule(LOGICAL, "HiveTableRelation")
def hive_table_relation(view: LogicalView) -> Effect:
    args = split_arguments(view.block.arguments or "")
    return Effect(reads=(naming.table(args[0], fmt="hive", ctx=view.naming),)) if args else Effect()


@RULES.rule(LOGICAL, "View")
def view_relation(view: LogicalView) -> Effect:
    """``name, isTempView``: a persistent view read is named beside its tables."""
    args = split_arguments(view.block.arguments or "")
    if len(args) >= 2 and args[1] == "false":
        return Effect(reads=(naming.view(args[0], temporary=False),))
    return Effect()


@RULES.rule(LOGICAL, "JDBCRelation")
def jdbc_logical(view: LogicalView) -> Effect:
    return Effect(reads=jdbc_relation(view.block.arguments or "", view.naming))


@RULES.rule(EXTENDED_RELATION, "Relation", "HiveTableRelation")
def extended_relation(view: ExtendedRelationView) -> Effect:
    """``Relation db.t[cols] fmt`` names a table, ``Relation[a#1,b#2] avro`` only its
    columns (resolved later through a scan of the same expression ids)."""
    relation = view.relation
    if relation.table:
        return Effect(reads=(naming.table(relation.table, ctx=view.naming),))
    ids = [int(i) for i in EXPRESSION_ID.findall(relation.columns)]
    return Effect(reads=(naming.relation(ids),)) if ids else Effect()
