"""Column lineage from a statement's SQL text, where the plan gives none.

The plan is the better source (it is what ran, with views and ``*`` resolved), but logs of
Spark 2.x/3.0, or written with ``spark.sql.ui.explainMode=extended``, have no formatted plan
blocks; when the execution's description is the statement itself (``spark-sql``, Thrift
server, ``setJobDescription``), sqlglot reads the lineage from the SQL instead. Entries made
this way say ``via: sql``. Without a schema, ``SELECT *`` and unqualified columns of a
multi-table query cannot be resolved: they are left out, never guessed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify

from sparklineage.lineage import naming
from sparklineage.lineage.functions import (
    AGGREGATE,
    AGGREGATION,
    DIRECT_RANK,
    IDENTITY,
    TRANSFORMATION,
    WINDOW,
    Function,
    argument_kinds,
    compose,
    function,
    operand_kind,
)
from sparklineage.lineage.model import ColumnLineage
from sparklineage.lineage.naming import Dataset, NamingContext

_STATEMENT_CLAUSES = (("where", "filter"), ("group", "group_by"), ("order", "sort"))
# sqlglot's names of Spark functions it models, where they are not Spark's.
_SQLGLOT_NAMES = {"DECODE_CASE": "decode"}
_MAX_DEPTH = 50  # CTEs and subqueries in a chain: deeper is no statement a person wrote


def sql_column_lineage(
    sql: str,
    written: Dataset,
    ctx: NamingContext,
    schema: Mapping[str, list[str]] | None = None,
    written_names: list[str] | None = None,
    views: Mapping[str, str] | None = None,
) -> tuple[ColumnLineage, ...]:
    """The column lineage of a CREATE … AS SELECT / CREATE VIEW / INSERT … SELECT statement.

    ``schema`` (``db.table`` → columns, from the plan's relations) lets sqlglot resolve ``*``
    and unqualified columns; ``written_names`` are the target's column names when the plan
    gives them (an INSERT renames by position); ``views`` the queries of the views created
    earlier in the log (:func:`view_definition`), read through to their tables.
    """
    try:
        statement = sqlglot.parse_one(sql, read="spark")
    except SqlglotError:
        return ()
    query = statement.expression if isinstance(statement, (exp.Create, exp.Insert)) else None
    names = written_names or (
        _insert_columns(statement) if isinstance(statement, exp.Insert) else None
    )
    if not isinstance(query, exp.Query) or (isinstance(statement, exp.Insert) and not names):
        return ()  # an INSERT renames by position: without the target's names, nothing to say
    sqlglot_schema = _sqlglot_schema(schema or {})
    with contextlib.suppress(SqlglotError):  # unqualified is still worth a try
        query = qualify(
            query, schema=sqlglot_schema, dialect="spark", validate_qualify_columns=False
        )
    statement_edges = _statement_edges(statement, ctx)
    entries: list[ColumnLineage] = []
    for position, projection in enumerate(query.selects):
        if isinstance(projection, exp.Star):
            return ()  # needs a schema
        column = names[position] if names and position < len(names) else projection.alias_or_name
        by_kind = _projection_edges(projection, query, ctx, sqlglot_schema, views or {})
        for kind, source in statement_edges:
            by_kind.setdefault(kind, set()).add(source)
        entries.extend(
            ColumnLineage(written.id, column, tuple(sorted(sources)), kind, via="sql")
            for kind, sources in sorted(by_kind.items())
            if sources
        )
    return tuple(entries)


def view_definition(sql: str) -> dict[str, str]:
    """The query of a ``CREATE VIEW`` statement under the names a later statement may read
    it by (``db.v``, and ``v`` in the default database); empty for any other statement."""
    try:
        statement = sqlglot.parse_one(sql, read="spark")
    except SqlglotError:
        return {}
    if not (
        isinstance(statement, exp.Create)
        and str(statement.args.get("kind", "")).upper() == "VIEW"
        and isinstance(statement.expression, exp.Query)
    ):
        return {}
    target = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
    if not isinstance(target, exp.Table):
        return {}
    query = statement.expression.sql(dialect="spark")
    names = {_table_name(target)}
    if target.db in ("", naming.DEFAULT_DATABASE):
        names |= {target.name, f"{naming.DEFAULT_DATABASE}.{target.name}"}
    return dict.fromkeys(names, query)


def _insert_columns(statement: exp.Expression) -> list[str]:
    target = statement.this
    if isinstance(target, exp.Schema):
        return [c.name for c in target.expressions]
    return []


def _sqlglot_schema(schema: Mapping[str, list[str]]) -> dict[str, dict[str, dict[str, str]]]:
    """``db.table`` → columns as sqlglot wants it (types do not matter for lineage)."""
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for table, columns in schema.items():
        database, _, name = table.rpartition(".")
        nested.setdefault(database or naming.DEFAULT_DATABASE, {})[name] = dict.fromkeys(
            columns, "STRING"
        )
    return nested


def _projection_edges(
    projection: exp.Expression,
    query: exp.Query,
    ctx: NamingContext,
    schema: dict[str, dict[str, dict[str, str]]],
    views: Mapping[str, str],
) -> dict[str, set[tuple[str, str]]]:
    """One output column's sources by kind, along sqlglot's lineage graph: each step (a
    projection of the statement, of a CTE, subquery or view, a UNION branch) read as the plan
    path reads an expression, the kinds of a path composed as the plan path composes them."""
    try:
        node = lineage(
            projection.alias_or_name, query, schema or None, sources=views, dialect="spark"
        )
    except SqlglotError:
        return {}
    by_kind: dict[str, set[tuple[str, str]]] = {}
    _follow(node, IDENTITY, ctx, by_kind, 0)
    return by_kind


def _follow(
    node: Node, kind: str, ctx: NamingContext, by_kind: dict[str, set[tuple[str, str]]], depth: int
) -> None:
    """Add the tables ``node`` reaches, with ``kind`` (the path's so far) composed with the
    kind of each step."""
    if isinstance(node.expression, exp.Table):
        source = (naming.table(_table_name(node.expression), ctx=ctx).id, _leaf_column(node))
        by_kind.setdefault(kind, set()).add(source)
        return
    if depth > _MAX_DEPTH:
        return
    if isinstance(node.source, exp.SetOperation):  # a UNION: each branch, as it is
        for branch in node.downstream:
            _follow(branch, kind, ctx, by_kind, depth + 1)
        return
    expression = node.expression.unalias()
    kinds: dict[int, set[str]] = {}
    _read(expression, IDENTITY, kinds)
    by_name: dict[str, set[str]] = {}
    for column in expression.find_all(exp.Column):
        by_name.setdefault(_unquoted(column.sql()), set()).update(kinds.get(id(column), ()))
    if isinstance(expression, exp.Column):
        by_name.setdefault(_unquoted(expression.sql()), set()).add(IDENTITY)
    for child in node.downstream:
        for step in by_name.get(_unquoted(child.name)) or {_whole_kind(expression)}:
            _follow(child, compose(kind, step), ctx, by_kind, depth + 1)


def _whole_kind(expression: exp.Expression) -> str:
    """The kind of a step to a column the expression does not name as sqlglot does: the
    expression's own."""
    if isinstance(expression, exp.Column):
        return IDENTITY
    return AGGREGATION if expression.find(exp.AggFunc) else TRANSFORMATION


def _leaf_column(node: Node) -> str:
    return _unquoted(node.name.split(".")[-1])


def _read(node: exp.Expression, kind: str, kinds: dict[int, set[str]]) -> None:
    """Each column under ``node`` (by ``id()``) with the kinds it is read with, where the value
    of ``node`` has the direct kind ``kind``: the plan path's reading, through
    :func:`sparklineage.lineage.functions.argument_kinds`."""
    if isinstance(node, exp.Column):
        kinds.setdefault(id(node), set()).add(kind)
        return
    if isinstance(node, exp.Window):
        _read(node.this, kind, kinds)
        for part in ("partition_by", "order"):
            for column in _columns_of(node.args.get(part)):
                kinds.setdefault(id(column), set()).add(WINDOW)
        return
    found, parts = _call(node)
    read_as: list[tuple[str, ...]]
    if isinstance(node, (exp.Paren, exp.Alias, exp.Distinct, exp.Ordered)):
        read_as = [(kind,)] * len(parts)
    elif found is None:
        read_as = [(operand_kind(kind),)] * len(parts)
    else:
        read_as = argument_kinds(found, len(parts), kind)
    for part, part_kinds in zip(parts, read_as, strict=True):
        for part_kind in part_kinds:
            if part_kind in DIRECT_RANK:
                _read(part, part_kind, kinds)
            else:
                for column in part.find_all(exp.Column):
                    kinds.setdefault(id(column), set()).add(part_kind)


def _call(node: exp.Expression) -> tuple[Function | None, list[exp.Expression]]:
    """What a function does (looked up by its Spark name; a CASE as ``case`` or, with an
    operand, ``decode``) and its arguments in order, or (None, children) for anything else."""
    if isinstance(node, exp.Case):
        branches = [p for i in node.args.get("ifs") or () for p in (i.this, i.args["true"])]
        default = [node.args["default"]] if node.args.get("default") else []
        operand = [node.this] if node.this is not None else []
        return function("decode" if operand else "case"), [*operand, *branches, *default]
    if isinstance(node, exp.Anonymous):
        arguments = [e for e in node.expressions if isinstance(e, exp.Expression)]
        return function(str(node.this)), arguments
    if isinstance(node, exp.Func):
        found = function(_SQLGLOT_NAMES.get(node.sql_name(), node.sql_name()))
        if isinstance(node, exp.AggFunc) and found.kind != AGGREGATION:
            found = AGGREGATE  # an aggregate sqlglot names its own way (APPROX_DISTINCT…)
        return found, _children(node)
    return None, _children(node)


def _children(node: exp.Expression) -> list[exp.Expression]:
    """The argument expressions of a node, in the order its class declares them."""
    children: list[exp.Expression] = []
    for key in type(node).arg_types:
        value = node.args.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, exp.Expression):
                children.append(item)
    return children


def _columns_of(part: object) -> list[exp.Column]:
    if part is None:
        return []
    items = part if isinstance(part, list) else [part]
    return [
        c for item in items if isinstance(item, exp.Expression) for c in item.find_all(exp.Column)
    ]


def _statement_edges(
    statement: exp.Expression, ctx: NamingContext
) -> set[tuple[str, tuple[str, str]]]:
    """WHERE, JOIN … ON, GROUP BY and ORDER BY columns of every SELECT in the statement
    (its CTEs and subqueries included), and what an ``IN (subquery)`` selects: they shape
    every written column. A CTE's columns are followed to the tables they come from."""
    edges: set[tuple[str, tuple[str, str]]] = set()
    ctes = {
        cte.alias: cte.this
        for cte in statement.find_all(exp.CTE)
        if isinstance(cte.this, exp.Select)
    }
    for select in statement.find_all(exp.Select):
        resolve = _Resolver(ctes, ctx)
        for clause, kind in _STATEMENT_CLAUSES:
            edges.update((kind, s) for s in resolve(select.args.get(clause), select))
        for join in select.args.get("joins") or ():
            edges.update(("join", s) for s in resolve(join.args.get("on"), select))
        where = select.args.get("where")
        for test in where.find_all(exp.In) if where is not None else ():
            query = test.args.get("query")
            inner = query.this if isinstance(query, exp.Subquery) else query
            if isinstance(inner, exp.Select):
                for projection in inner.selects:
                    edges.update(("filter", s) for s in resolve(projection, inner))
    return edges


class _Resolver:
    """Columns of a clause of one SELECT to the table columns they are: through the tables it
    reads, and through the CTEs it reads to theirs."""

    def __init__(self, ctes: dict[str, exp.Select], ctx: NamingContext) -> None:
        self.ctes = ctes
        self.ctx = ctx

    def __call__(
        self, clause: exp.Expression | None, owner: exp.Select, depth: int = 0
    ) -> set[tuple[str, str]]:
        """The table columns of the columns in ``clause`` that belong to ``owner`` (a
        subquery's own are resolved in its own scope)."""
        if clause is None or depth > _MAX_DEPTH:
            return set()
        scope = self.scope(owner)
        resolved = set()
        for column in clause.find_all(exp.Column):
            if column.find_ancestor(exp.Select) is not owner:
                continue
            name = column.table or (next(iter(scope)) if len(scope) == 1 else None)
            read = scope.get(name) if name is not None else None
            if isinstance(read, str):
                resolved.add((naming.table(read, ctx=self.ctx).id, column.name))
            elif read is not None:  # a CTE: its projection of that name, in its scope
                for projection in read.selects:
                    if projection.alias_or_name == column.name:
                        resolved |= self(projection, read, depth + 1)
        return resolved

    def scope(self, select: exp.Select) -> dict[str, str | exp.Select]:
        """Alias (or name) → what a SELECT reads directly: a table's name or a CTE's SELECT."""
        origin = select.args.get("from_") or select.args.get("from")  # renamed in sqlglot 26
        scope: dict[str, str | exp.Select] = {}
        for source in [origin, *(select.args.get("joins") or ())]:
            table = source.this if source is not None else None
            if isinstance(table, exp.Table):
                cte = self.ctes.get(table.name) if not table.db else None
                scope[table.alias_or_name] = cte if cte is not None else _table_name(table)
        return scope


def _unquoted(name: str) -> str:
    return name.replace('"', "").replace("`", "")


def _table_name(table: exp.Table) -> str:
    return ".".join(p for p in (table.catalog, table.db, table.name) if p)
