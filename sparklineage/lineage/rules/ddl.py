"""DDL commands: tables, views and databases created, altered, renamed, dropped."""

from __future__ import annotations

import re

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import Dataset
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.shared import (
    first_table,
    qualified,
    table_of,
    v2_catalog,
    v2_table,
)
from sparklineage.lineage.rules.views import NODE, NodeView
from sparklineage.plan.arguments import bare_identifier, is_true

_TABLE_DDL = {
    "CreateTableCommand": "create_table",
    "CreateDataSourceTableCommand": "create_table",
    "CreateTableLikeCommand": "create_table",
    "AlterTableAddColumnsCommand": "alter_table",
    "AlterTableSetPropertiesCommand": "alter_table",
    "AlterTableUnsetPropertiesCommand": "alter_table",
    "AlterTableSetLocationCommand": "alter_table",
    "AlterTableAddPartitionCommand": "alter_table",
    "AlterTableDropPartitionCommand": "alter_table",
    "AlterTableRenamePartitionCommand": "alter_table",
    "AlterTableChangeColumnCommand": "alter_table",
    "AlterTableSerDePropertiesCommand": "alter_table",
    "AlterTableRecoverPartitionsCommand": "alter_table",
    "RepairTableCommand": "alter_table",
    "TruncateTableCommand": "truncate_table",
}


@RULES.rule(NODE, *_TABLE_DDL)
def table_ddl(view: NodeView) -> Effect:
    table = first_table(view)
    return Effect(_TABLE_DDL[view.key], writes=(table,) if table else ())


@RULES.rule(NODE, "RefreshTableCommand", "RefreshTable", "RefreshTableExec", "RefreshResource")
def refresh(view: NodeView) -> Effect:
    """REFRESH only drops cached metadata: no data moves, but it names the table it acts on
    (the query's target, as a database is database DDL's)."""
    table = first_table(view)
    return Effect("refresh", writes=(table,) if table else ())


@RULES.rule(NODE, "AlterTableRenameCommand")
def rename_table(view: NodeView) -> Effect:
    """``old, new, isView``: reads the old name, writes the new one."""
    tables = view.table_args()
    if len(tables) < 2:
        return Effect("rename_table", warnings=("rename without both names in the plan",))
    is_view = is_true(view.args, 2)

    def make(name: str) -> Dataset:
        return naming.view(name, temporary=False) if is_view else table_of(name, view)

    return Effect("rename_table", reads=(make(tables[0]),), writes=(make(tables[1]),))


@RULES.rule(NODE, "DropTableCommand")
def drop_table_command(view: NodeView) -> Effect:
    """``name, ifExists, isView, purge``."""
    tables = view.table_args()
    if not tables:
        return Effect("drop_table")
    if is_true(view.args, 2):
        return Effect("drop_view", writes=(naming.view(tables[0], temporary=False),))
    return Effect("drop_table", writes=(table_of(tables[0], view),))


@RULES.rule(NODE, "DropTable", "DropTableExec")
def drop_table_v2(view: NodeView) -> Effect:
    """``catalog, ident, ifExists, purge`` (a V2 catalog, or the session catalog on 3.5+)."""
    table = v2_table(view)
    return Effect("drop_table", writes=(table,) if table else ())


@RULES.rule(NODE, "CreateTable", "CreateTableExec")
def create_table_v2(view: NodeView) -> Effect:
    table = v2_table(view)
    return Effect("create_table", writes=(table,) if table else ())


@RULES.rule(NODE, "AlterTable", "AlterTableExec")
def alter_table_v2(view: NodeView) -> Effect:
    """``catalog, ident, [changes]``: ALTER TABLE of a V2 catalog's table (Iceberg, JDBC)."""
    table = v2_table(view)
    return Effect("alter_table", writes=(table,) if table else ())


@RULES.rule(NODE, "CreateViewCommand", "CreateView")
def create_view(view: NodeView) -> Effect:
    """``name, …, viewType, …``: a persistent, temporary or global temporary view."""
    tables = view.table_args()
    if not tables:
        return Effect("create_view")
    temporary = "LocalTempView" in view.args or "GlobalTempView" in view.args
    name = (
        tables[0]
        if "GlobalTempView" not in view.args
        else f"global_temp.{naming.table_parts(tables[0])[-1]}"
    )
    return Effect(
        "create_view",
        writes=(naming.view(name, temporary=temporary and "GlobalTempView" not in view.args),),
    )


@RULES.rule(NODE, "AlterViewAsCommand")
def alter_view(view: NodeView) -> Effect:
    tables = view.table_args()
    return Effect(
        "create_view", writes=(naming.view(tables[0], temporary=False),) if tables else ()
    )


_DATABASE_DDL = {
    **dict.fromkeys(
        ("CreateDatabaseCommand", "CreateNamespace", "CreateNamespaceExec"), "create_database"
    ),
    **dict.fromkeys(
        (
            "AlterDatabasePropertiesCommand",
            "AlterNamespaceSetProperties",
            "AlterNamespaceSetPropertiesExec",
            "AlterNamespaceSetLocation",
        ),
        "alter_database",
    ),
    **dict.fromkeys(("DropDatabaseCommand", "DropNamespace", "DropNamespaceExec"), "drop_database"),
}


@RULES.rule(NODE, *_DATABASE_DDL)
def database_ddl(view: NodeView) -> Effect:
    return Effect(_DATABASE_DDL[view.key], writes=_database_arg(view))


def _database_arg(view: NodeView) -> tuple[Dataset, ...]:
    """The namespace: ``[sales]`` after a catalog in V2 nodes (kept with a catalog other than
    the session's: ``local.sales``), the first argument in v1."""
    for arg in view.args:
        text = arg.strip()
        if text.startswith("[") and text.endswith("]") and "=" not in text:
            name = bare_identifier(text).replace(", ", ".")
            return (naming.database(qualified(v2_catalog(view.args[0], view.naming), name)),)
    if view.args and not re.search(r"[@(]", view.args[0]):
        return (naming.database(view.args[0].strip("`")),)
    return ()
