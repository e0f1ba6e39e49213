"""Table naming shared by the write and DDL rules: a table argument as a dataset."""

from __future__ import annotations

import re

from sparklineage.lineage import naming
from sparklineage.lineage.naming import Dataset, NamingContext
from sparklineage.lineage.rules.views import NodeView
from sparklineage.plan.arguments import bare_identifier, table_identifier


def table_of(arg: str, view: NodeView, location: str | None = None) -> Dataset:
    """The table a table argument names (quoted, or a dumped CatalogTable)."""
    return naming.table(table_identifier(arg), location=location, ctx=view.naming)


def first_table(view: NodeView) -> Dataset | None:
    """The table of a node's first table argument, if it has one."""
    tables = view.table_args()
    return table_of(tables[0], view) if tables else None


def v2_catalog(arg: str, ctx: NamingContext) -> str | None:
    """A V2 catalog as printed: ``V2SessionCatalog(spark_catalog)``, or ``pkg.Class@hash``
    (named through the application's ``spark.sql.catalog.<name>`` settings)."""
    found = re.search(r"\((\w+)\)\s*$", arg)
    if found:
        return found.group(1)
    return ctx.catalog_named_by_class(arg.split("@")[0].strip())


def in_catalog(catalog: str | None, identifier: str, ctx: NamingContext) -> Dataset:
    """An identifier V2 prints apart from its catalog (``db.t`` after ``pkg.Class@hash``) as
    the table it is in that catalog: ``local.db.t``, or a JDBC catalog's table."""
    if catalog is not None and ctx.is_jdbc_catalog(catalog):
        return naming.jdbc(ctx.jdbc_url(catalog), identifier)
    return naming.table(qualified(catalog, identifier), ctx=ctx)


def qualified(catalog: str | None, identifier: str) -> str:
    """``identifier`` named in ``catalog``: prefixed with it unless it is the session
    catalog (or none known), or the identifier already starts with it."""
    inside = catalog in (None, naming.SESSION_CATALOG)
    if inside or naming.table_parts(identifier)[:1] == [catalog]:
        return identifier
    return f"{catalog}.{identifier}"


def v2_table(view: NodeView) -> Dataset | None:
    """The table of a V2 command printed ``catalog, identifier, …`` (CREATE, DROP, ALTER,
    CTAS of a V2 catalog; Databricks prints the output columns first), or None when it has
    not both."""
    args = view.args
    at = next((i for i, arg in enumerate(args[:-1]) if _CATALOG_ARG.match(arg.strip())), 0)
    if len(args) < at + 2:
        return None
    catalog = v2_catalog(args[at], view.naming)
    return in_catalog(catalog, bare_identifier(args[at + 1]), view.naming)


_CATALOG_ARG = re.compile(r"^(?:[\w.$]+@[0-9a-f]+|\w+\(\w+\))$")
