"""Table naming shared by the write and DDL rules: a table argument as a dataset."""

from __future__ import annotations

from sparklineage.lineage import naming
from sparklineage.lineage.naming import Dataset
from sparklineage.lineage.rules.views import NodeView
from sparklineage.plan.arguments import table_identifier


def table_of(arg: str, view: NodeView, location: str | None = None) -> Dataset:
    """The table a table argument names (quoted, or a dumped CatalogTable)."""
    return naming.table(table_identifier(arg), location=location, ctx=view.naming)


def first_table(view: NodeView) -> Dataset | None:
    """The table of a node's first table argument, if it has one."""
    tables = view.table_args()
    return table_of(tables[0], view) if tables else None
