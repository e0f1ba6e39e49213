"""Catalog events (``CreateTableEvent``…): what the external catalog says happened.

Free evidence for DDL a plan did not name. A rule returns an empty :class:`Effect` (no
operation) when the event names nothing; callers keep only effects with an operation.
"""

from __future__ import annotations

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.views import CATALOG_EVENT, CatalogEventView

_CATALOG_OPERATIONS = {
    "CreateTableEvent": "create_table",
    "DropTableEvent": "drop_table",
    "AlterTableEvent": "alter_table",
    "RenameTableEvent": "rename_table",
    "CreateDatabaseEvent": "create_database",
    "DropDatabaseEvent": "drop_database",
    "AlterDatabaseEvent": "alter_database",
    "CreatePartitionsEvent": "alter_table",
    "DropPartitionsEvent": "alter_table",
}


@RULES.rule(CATALOG_EVENT, *_CATALOG_OPERATIONS)
def catalog_event(view: CatalogEventView) -> Effect:
    """The table or database the event names, written (a rename: read, then written)."""
    event = view.event
    operation = _CATALOG_OPERATIONS[event.kind]
    if operation.endswith("_database"):
        name = event.database or event.name
        return Effect(operation, writes=(naming.database(name),)) if name else Effect()
    if not event.name:
        return Effect()
    table = naming.table(f"{event.database or naming.DEFAULT_DATABASE}.{event.name}")
    if operation == "rename_table" and event.new_name:
        renamed = naming.table(f"{event.database or naming.DEFAULT_DATABASE}.{event.new_name}")
        return Effect(operation, reads=(table,), writes=(renamed,))
    return Effect(operation, writes=(table,))
