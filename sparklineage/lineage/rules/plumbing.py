"""Nodes that are understood and hold no lineage: local data and plumbing, session commands.

Registered like any rule, so that they are never reported ``unsupported``; a node no rule
knows is (:func:`is_unsupported`).
"""

from __future__ import annotations

from sparklineage.lineage.model import Effect
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.views import NODE, NodeView
from sparklineage.plan import PlanNode

# Nodes that read or write no dataset (leaves of local data, plumbing).
NO_DATASET = {
    "LocalTableScan", "Range", "Scan OneRowRelation", "Scan ExistingRDD", "Scan RDD", "RDDScan",
    "ReusedExchange", "ReusedSubquery", "Subquery", "SubqueryBroadcast", "CommandResult",
    "EmptyRelation", "Scan In-memory table", "WriteFiles", "DeserializeToObject",
    "SerializeFromObject", "StreamingRelation",
}  # fmt: skip
# Session, cache and catalog-browsing commands: queries the user ran that have no lineage.
NO_LINEAGE_COMMANDS = {
    "SetCommand", "ResetCommand", "SetCatalogCommand", "SetNamespaceCommand", "AddJarsCommand",
    "AddFilesCommand", "AddArchivesCommand", "CreateFunctionCommand", "DropFunctionCommand",
    "ShowTables", "ShowTablesCommand", "ShowNamespaces", "ShowColumnsCommand",
    "ShowCreateTableCommand", "ShowTablePropertiesCommand", "ShowPartitionsCommand",
    "DescribeTableCommand", "DescribeRelation", "DescribeNamespace", "DescribeColumnCommand",
    "DescribeFunctionCommand", "ExplainCommand", "CacheTableCommand", "UncacheTableCommand",
    "ClearCacheCommand", "CacheTableAsSelectExec", "UncacheTableExec", "AnalyzeTableCommand",
    "AnalyzeColumnCommand", "ShowFunctionsCommand", "SetCatalogAndNamespace", "ShowCatalogsExec",
}  # fmt: skip


@RULES.rule(NODE, *sorted(NO_DATASET))
def no_dataset(_view: NodeView) -> Effect:
    return Effect()


@RULES.rule(NODE, *sorted(NO_LINEAGE_COMMANDS))
def no_lineage(_view: NodeView) -> Effect:
    return Effect("other")


def is_unsupported(node: PlanNode) -> bool:
    """A node that may read or write data but that no rule understands."""
    if RULES.find(NODE, node.key) is not None:
        return False
    commandish = node.name.startswith("Execute ") or node.key.endswith(("Command", "Exec"))
    return commandish or not node.children
