"""Column lineage: which input columns each written column comes from, and how.

Spark prints every attribute with its expression id (``amount#49``) and every derived one as
``<expression> AS <name>#<id>``; the ids are the same in every part of one plan. So the
formatted plan text of an execution is read as a set of definitions (id ← the ids its
expression uses, with the kind of use), the written columns are the ids the write command
receives, and each is traced back to the ids a scan read, whose datasets the scans name.

Kinds, as OpenLineage names them: direct ``identity``, ``transformation``, ``aggregation``;
indirect ``conditional`` (what decides a conditional function's value: ``lineage/functions.py``
has the table) and ``window`` (the column's own PARTITION BY / ORDER BY), which belong to one
column, and ``filter``, ``join``, ``group_by``, ``sort``, which a statement applies to every
column it writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from sparklineage.lineage import naming
from sparklineage.lineage.functions import (
    AGGREGATION,
    CONDITIONAL,
    DIRECT_RANK,
    IDENTITY,
    TRANSFORMATION,
    argument_kinds,
    compose,
    function,
    operand_kind,
    strongest,
)
from sparklineage.lineage.model import ColumnLineage
from sparklineage.lineage.naming import Dataset, NamingContext
from sparklineage.lineage.rules import LOGICAL, RULES, LogicalView, scan_block_reads
from sparklineage.plan import EXPRESSION_ID, PlanBlock, PlanText, split_arguments
from sparklineage.plan.arguments import extended_relations, extended_write_columns
from sparklineage.plan.expressions import (
    Attribute,
    Call,
    Expression,
    ExpressionSyntaxError,
    Operation,
    parse_expression,
)

MORE_FIELDS = re.compile(r"\.\.\. \d+ more fields")

_STATEMENT_START = re.compile(r"^\s*(CREATE|INSERT|WITH|REPLACE)\b", re.IGNORECASE)
_ALIAS = re.compile(r"^(?P<expr>.+) AS (?P<name>.+?)#(?P<id>\d+)L?$", re.DOTALL)
_NAMED_ID = re.compile(r"([A-Za-z_][\w$]*)#(\d+)L?\b")
_CALLS = re.compile(r"(\w+)\(")
_CAST = re.compile(
    r"cast\((?P<attribute>[^\s(),#]+#(?P<id>\d+)L?) as (?P<type>\w+(?:\(\d+, ?\d+\))?)\)"
)
_INFERRED_NOT_NULL = re.compile(r"isnotnull\([^()]*\)")
_JOIN_NODES = ("Join", "CartesianProduct")
_AGGREGATE_NODES = ("HashAggregate", "SortAggregate", "ObjectHashAggregate", "Aggregate")
_WRITE_NODES = (
    "InsertIntoHadoopFsRelationCommand", "InsertIntoHiveTable",
    "InsertIntoHiveDirCommand", "InsertIntoDataSourceDirCommand",  # INSERT OVERWRITE DIRECTORY
    "SaveIntoDataSourceCommand",  # a DataFrame save(): JDBC, and other data sources
    # DataSourceV2 writes (Iceberg, JDBC catalogs; a V2 CTAS writes in a child execution)
    "AppendData", "OverwriteByExpression", "OverwritePartitionsDynamic", "ReplaceData",
    "WriteDelta",
)  # fmt: skip
# A CTAS: 3.4+ log its write as a child execution (InsertIntoHadoopFsRelationCommand), which
# the columns are read from, and print the command over its analyzed plan; 3.3 runs it in one
# execution, the command over the physical query.
_CTAS_NODES = (
    "CreateDataSourceTableAsSelectCommand", "CreateHiveTableAsSelectCommand",
    "OptimizedCreateHiveTableAsSelectCommand",
)  # fmt: skip
_VIEW_NODES = ("CreateViewCommand", "AlterViewAsCommand")
# A micro-batch's write to a sink of the v2 API (memory, console, Kafka, foreach…), by version.
_STREAM_WRITE_NODES = (
    "WriteToDataSourceV2", "WriteToMicroBatchDataSource", "WriteToMicroBatchDataSourceV1",
)  # fmt: skip
# The written dataset of a micro-batch's columns: its stream's sink, which the progress event
# after the batch names; the query fills it in.
STREAM_SINK = ""
# What Iceberg's row-level writes read besides the data (MetadataColumns): where a row is.
ICEBERG_METADATA_COLUMNS = frozenset(
    (
        "_file",
        "_pos",
        "_spec_id",
        "_partition",
        "_deleted",
        "_row_id",
        "_last_updated_sequence_number",
    )
)
# Python UDFs evaluated beside the plan: their outputs are new attributes (pythonUDF0#13).
_PYTHON_UDF_NODES = ("BatchEvalPython", "ArrowEvalPython")
# An RDD turned into a DataFrame (createDataFrame(rdd), toDF): its columns are made by code the
# log does not show, from no dataset's columns.
_RDD_NODES = ("Scan ExistingRDD", "Scan RDD", "RDDScan", "LogicalRDD", "ExternalRDD")
RDD_COLUMNS = (
    "the written columns come from an RDD, which has no columns: their sources are not known"
)
# Logical nodes whose output is one of their argument lists (index of that list).
_LOGICAL_OUTPUT = {"Project": 0, "Aggregate": 1, "LogicalRelation": 0}


@dataclass
class ExecutionColumns:
    """What one execution's plan text says about columns, before tracing."""

    outputs: list[tuple[str, int]] = field(default_factory=list)  # (written column, id)
    definitions: dict[int, set[tuple[int, str]]] = field(default_factory=dict)
    statement: set[tuple[int, str]] = field(default_factory=set)
    scans: dict[int, tuple[Dataset, str]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # id -> the name an alias gave it
    rdd: set[int] = field(default_factory=set)  # ids an RDD turned into a DataFrame outputs
    types: dict[int, str] = field(default_factory=dict)  # a scanned id's type (ReadSchema)
    warnings: list[str] = field(default_factory=list)

    def define(self, target: int, sources: Iterable[tuple[int, str]]) -> None:
        self.definitions.setdefault(target, set()).update(s for s in sources if s[0] != target)


# ---------------------------------------------------------------- one execution


def execution_columns(
    text: PlanText,
    written: Dataset,
    statement: str,
    ctx: NamingContext,
    views: Mapping[str, str] | None = None,
) -> tuple[tuple[ColumnLineage, ...], tuple[str, ...]]:
    """The column lineage of one execution that writes ``written``, and warnings: from its
    formatted plan, else from its statement's SQL text (``statement`` is the description;
    ``views``: the queries of views created before it, see :func:`sql_view_definition`)."""
    found = analyse_columns(text, written, scanned_columns(text, ctx))
    if found is not None:
        lineage = column_lineage(found, written.id)
        return lineage, tuple(found.warnings)
    if text.blocks or not _STATEMENT_START.match(statement):
        return (), ()
    from sparklineage.lineage.sql_columns import sql_column_lineage  # sqlglot: only when needed

    schema = {
        naming.qualified_name(relation.table): [name for name, _ in named_ids(relation.columns)]
        for relation in extended_relations(text)
        if relation.table
    }
    lineage = sql_column_lineage(
        statement, written, ctx, schema, extended_write_columns(text), views
    )
    return lineage, ()


def sql_view_definition(text: PlanText, statement: str) -> dict[str, str]:
    """The query of a ``CREATE VIEW`` statement that only its SQL text gives (no formatted
    plan), by the names later statements may read the view by; empty otherwise."""
    if text.blocks or not _STATEMENT_START.match(statement):
        return {}
    from sparklineage.lineage.sql_columns import view_definition  # sqlglot: only when needed

    return view_definition(statement)


def micro_batch_columns(
    text: PlanText, ctx: NamingContext
) -> tuple[tuple[ColumnLineage, ...], tuple[str, ...]]:
    """The column lineage of one micro-batch into its stream's sink (dataset
    :data:`STREAM_SINK`). A file sink or a table written by ``toTable`` runs the batch's plan
    as it is, so the columns written are the plan's own output; a sink of the v2 API receives
    its write node's input."""
    found = analyse_columns(text, None, scanned_columns(text, ctx))
    if found is None:
        return (), ()
    lineage = column_lineage(found, STREAM_SINK)
    return lineage, tuple(found.warnings)


def scanned_columns(text: PlanText, ctx: NamingContext) -> dict[int, tuple[Dataset, str]]:
    """Expression id → (dataset, column) for every relation the plan text shows read:
    scan blocks (named by the scan rules) and logical relations."""
    scanned: dict[int, tuple[Dataset, str]] = {}
    for block in text.blocks:
        reads, columns = _block_reads(block, text, ctx)
        if len(reads) == 1:
            for name, expression_id in columns:
                scanned[expression_id] = (reads[0], name)
    return scanned


def _block_reads(
    block: PlanBlock, text: PlanText, ctx: NamingContext
) -> tuple[tuple[Dataset, ...], list[tuple[str, int]]]:
    logical = RULES.find(LOGICAL, block.name)
    if logical is not None:
        return logical(LogicalView(block, ctx)).reads, named_ids(block.arguments or "")
    if not block.name.startswith(("Scan ", "BatchScan")):
        return (), []
    columns = named_ids(block.get("Output") or "")
    if block.name.startswith("BatchScan"):  # an Iceberg table's metadata columns are no data
        columns = [(n, i) for n, i in columns if n not in ICEBERG_METADATA_COLUMNS]
    return scan_block_reads(block, text, ctx), columns


# ---------------------------------------------------------------- reading one plan


def analyse_columns(
    text: PlanText, written: Dataset | None, scans: Mapping[int, tuple[Dataset, str]]
) -> ExecutionColumns | None:
    """The column facts of one execution that writes ``written`` (None: a micro-batch, into
    its stream's sink), or None when its plan text has no formatted blocks (2.x/3.0 extended
    plans) or no write the columns can be read from."""
    if not text.blocks:
        return None
    found = ExecutionColumns(scans=dict(scans))
    for block in text.blocks:
        found.types.update(_scanned_types(block))
        if block.name in _RDD_NODES:
            found.rdd.update(output_ids(text, block.number))
        _definitions(block, found)
        _statement_edges(block, text, found)
    for union in text.blocks_named("Union"):
        _union(text, union, found)
    if written is None:
        found.outputs = _batch_columns(text, found)
    else:
        found.outputs = _written_columns(text, written, found)
    return found if found.outputs else None


def _items(value: str) -> Iterator[str]:
    """The top-level items of every bracketed list in a field value."""
    for part in split_arguments(value):
        if part.startswith("[") and part.endswith("]"):
            yield from split_arguments(part[1:-1])


def _definitions(block: PlanBlock, found: ExecutionColumns) -> None:
    if block.name == "Generate":
        _generate(block, found)
        return
    if block.name in _PYTHON_UDF_NODES:
        _python_udfs(block, found)
        return
    if block.name == "MergeRows":
        _merge_rows(block, found)
        return
    for key, value in block.fields:
        if key in ("Output", "Results", "Aggregate Attributes", "Arguments", "Functions"):
            for item in _items(value):
                _define_item(item, found)


def _scanned_types(block: PlanBlock) -> dict[int, str]:
    """Expression id → type of the columns a scan reads: its Output's names in its ReadSchema
    (``struct<order_id:int,amount:double>``)."""
    schema = block.get("ReadSchema") or ""
    if not schema.startswith("struct<") or not schema.endswith(">"):
        return {}
    types = {}
    for field_text in split_arguments(schema[7:-1].replace("<", "(").replace(">", ")")):
        name, _, kind = field_text.partition(":")
        types[name] = kind.replace("(", "<").replace(")", ">")
    return {i: types[name] for name, i in named_ids(block.get("Output") or "") if name in types}


def _without_same_type_casts(expression: str, types: Mapping[int, str]) -> str:
    """``cast(customer_id#48 as int)`` of an int column is the column: Spark 3.3 keeps the
    casts an INSERT adds to the table's types (ANSI store assignment) even where the type
    is the same, 3.4+ drop them."""
    if "cast(" not in expression:
        return expression

    def unchanged(cast: re.Match[str]) -> str:
        same = types.get(int(cast.group("id"))) == cast.group("type").replace(" ", "")
        return cast.group("attribute") if same else cast.group(0)

    return _CAST.sub(unchanged, expression)


def _define_item(item: str, found: ExecutionColumns) -> None:
    item = _without_same_type_casts(item, found.types)
    alias = _ALIAS.match(item)
    if alias:
        found.define(int(alias.group("id")), expression_sources(alias.group("expr")))
        found.names[int(alias.group("id"))] = alias.group("name")
        return
    try:
        tree = parse_expression(item)
    except ExpressionSyntaxError:
        return
    if isinstance(tree, Call) and tree.id is not None:  # ``sum(amount#49)#61``: a result
        found.define(tree.id, _sources(tree))


def expression_sources(expression: str) -> set[tuple[int, str]]:
    """The ids an expression uses, each with how (:mod:`sparklineage.lineage.functions` says
    what each function does to its arguments): identity for a bare attribute or a value a
    conditional passes on, transformation or aggregation inside such functions, window for a
    window spec, conditional for what decides a branch."""
    try:
        tree = parse_expression(expression.strip())
    except ExpressionSyntaxError:  # an unquoted literal with a bracket: read it flat
        aggregate = any(function(name).kind == AGGREGATION for name in _CALLS.findall(expression))
        return {(i, AGGREGATION if aggregate else TRANSFORMATION) for i in _ids(expression)}
    return _sources(tree)


def _sources(tree: Expression) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    _read(tree, IDENTITY, found)
    return found


def _read(node: Expression, kind: str, found: set[tuple[int, str]]) -> None:
    """Add the ids of ``node``, read where its value has the direct kind ``kind``."""
    if isinstance(node, Attribute):
        found.add((node.id, kind))
    elif isinstance(node, Operation):
        for term in node.terms:
            _read(term, operand_kind(kind), found)
    elif isinstance(node, Call):
        kinds = argument_kinds(function(node.name), len(node.arguments), kind)
        for argument, argument_kinds_ in zip(node.arguments, kinds, strict=True):
            for argument_kind in argument_kinds_:
                if argument_kind in DIRECT_RANK:
                    _read(argument, argument_kind, found)
                else:
                    found.update((i, argument_kind) for i in _tree_ids(argument))
        if node.id is not None:
            found.add((node.id, strongest(kind, function(node.name).kind or kind)))


def _tree_ids(node: Expression) -> Iterator[int]:
    if isinstance(node, Attribute):
        yield node.id
    elif isinstance(node, Operation):
        for term in node.terms:
            yield from _tree_ids(term)
    elif isinstance(node, Call):
        for argument in node.arguments:
            yield from _tree_ids(argument)
        if node.id is not None:
            yield node.id


def _ids(text: str) -> list[int]:
    return [int(i) for i in EXPRESSION_ID.findall(text)]


def _generate(block: PlanBlock, found: ExecutionColumns) -> None:
    """``explode(array(a#1, b#2)), [kept…], outer, [generated#9]``."""
    args = split_arguments(block.arguments or "")
    if len(args) < 2:
        return
    sources = [(i, "transformation") for i in _ids(args[0])]
    for generated in _ids(args[-1]):
        found.define(generated, sources)


def _python_udfs(block: PlanBlock, found: ExecutionColumns) -> None:
    """``[udf(a#1)#4, …], [pythonUDF0#13, …]``: each output is the call at its position (what
    the Python code does inside is not in the log: a transformation of its arguments)."""
    args = split_arguments(block.arguments or "")
    if len(args) < 2:
        return
    for call, output in zip(_items(args[0]), _ids(args[1]), strict=False):
        found.define(output, {(i, TRANSFORMATION) for i in _ids(call)})


_MERGE_INSTRUCTION = re.compile(r"^(keep|split)\((.*)\)$", re.S)


def _merge_rows(block: PlanBlock, found: ExecutionColumns) -> None:
    """MERGE INTO (3.4+): ``source present, target present, [matched], [not matched], [not
    matched by source], cardinality check, [outputs]``, each instruction ``keep(condition,
    value…)``: output i is value i of every instruction, decided by its condition."""
    args = split_arguments(block.arguments or "")
    if len(args) < 4:
        return
    outputs = _ids(args[-1])
    for instructions in args[2:-1]:
        if not instructions.startswith("["):
            continue
        for instruction in split_arguments(instructions[1:-1]):
            matched = _MERGE_INSTRUCTION.match(instruction.strip())
            if matched is None:
                continue  # delete(condition): writes no value
            condition, *values = split_arguments(matched.group(2))
            decided = {(i, CONDITIONAL) for i in _ids(condition)}
            for output, value in zip(outputs, values, strict=False):
                found.define(output, expression_sources(value) | decided)


def _statement_edges(block: PlanBlock, text: PlanText, found: ExecutionColumns) -> None:
    """Filter, join, grouping and global-sort columns: they shape every written column."""
    name = block.name
    if name == "Filter":
        condition = block.get("Condition") or block.arguments or ""
        found.statement.update((i, "filter") for i in _ids(_without_inferred_not_null(condition)))
    elif name.endswith(_JOIN_NODES):
        join_type = _join_type(block, text)
        kind = "filter" if join_type.strip().startswith(("LeftSemi", "LeftAnti")) else "join"
        sides = [block.get(k) or "" for k in ("Left keys", "Right keys", "Join condition")]
        found.statement.update((i, kind) for i in _ids(" ".join(sides) or (block.arguments or "")))
    elif name.endswith(_AGGREGATE_NODES):
        keys = block.get("Keys")
        if keys is None and name == "Aggregate":  # logical: [grouping], [aggregates]
            keys = (split_arguments(block.arguments or "") or [""])[0]
        found.statement.update((i, "group_by") for i in _ids(keys or ""))
    elif name == "Sort":
        args = split_arguments(block.arguments or "")
        if len(args) >= 2 and args[1] == "true":  # global ORDER BY, not a sort for a join
            found.statement.update((i, "sort") for i in _ids(args[0]))


def _join_type(block: PlanBlock, text: PlanText) -> str:
    """``Join type:`` (3.4+), the type the tree drawing prints beside the join (3.3), or the
    first argument (a logical join)."""
    drawn = text.drawn(block.number).split()
    return (
        block.get("Join type")
        or (drawn[1] if len(drawn) > 1 else "")
        or (block.arguments or "").split(",")[0]
    )


def _without_inferred_not_null(condition: str) -> str:
    """Spark adds ``isnotnull(x)`` for join keys and filtered columns: not the user's filter
    (a user's own ``x IS NOT NULL`` is dropped with them, a known limit)."""
    return _INFERRED_NOT_NULL.sub("", condition)


def _union(text: PlanText, union: PlanBlock, found: ExecutionColumns) -> None:
    """UNION: position i of every branch flows into position i of the first branch."""
    branches = [output_ids(text, child) for child in text.children(union.number)]
    if len(branches) < 2:
        return
    for position, target in enumerate(branches[0]):
        found.define(target, ((b[position], "identity") for b in branches[1:] if position < len(b)))


def output_ids(text: PlanText, number: int) -> list[int]:
    """The ids a block outputs: its Output, else its Input (pass-through nodes), else its
    first child's."""
    block = text.block(number)
    if block is None:
        return []
    for key in ("Output", "Input"):
        value = block.get(key)
        if value and value.strip() != "[]":
            return [_last_id(item) for item in _items(value) if EXPRESSION_ID.search(item)]
    logical = _LOGICAL_OUTPUT.get(block.name)
    if logical is not None:  # an analyzed logical plan (CREATE VIEW): only Arguments
        lists = [p for p in split_arguments(block.arguments or "") if p.startswith("[")]
        if len(lists) > logical:
            return [_last_id(item) for item in _items(lists[logical]) if EXPRESSION_ID.search(item)]
    children = text.children(number)
    return output_ids(text, children[0]) if children else []


def _last_id(item: str) -> int:
    return int(EXPRESSION_ID.findall(item)[-1])


def _written_columns(
    text: PlanText, written: Dataset, found: ExecutionColumns
) -> list[tuple[str, int]]:
    """The written columns paired with the ids the write receives, by position."""
    for block in text.blocks:
        command = block.name.removeprefix("Execute ")
        if command not in _WRITE_NODES + _VIEW_NODES + _CTAS_NODES:
            continue
        children = text.children(block.number)
        inner = text.block(children[0]) if children else None
        wrapped = inner is not None and inner.name == command  # "Execute X" wraps the X block
        if command in _CTAS_NODES and (wrapped or command == block.name):
            continue  # over the analyzed plan: its child execution's write says more
        if wrapped and inner is not None:
            block = inner
        ids = output_ids(text, block.number)  # its Input (3.3), else what its child outputs
        if ids:
            return _name_columns(block, ids, written, text, found)
    return []


def _batch_columns(text: PlanText, found: ExecutionColumns) -> list[tuple[str, int]]:
    """A micro-batch's written columns: its v2 write node's input, else its plan's output,
    under the names the plan gives them."""
    write = next(text.blocks_named(*_STREAM_WRITE_NODES), None)
    root = write.number if write is not None else (text.tree[0][0] if text.tree else None)
    ids = output_ids(text, root) if root is not None else []
    names = {**_id_names(text.text), **found.names}
    return [(names.get(i, f"#{i}"), i) for i in ids]


def _name_columns(
    block: PlanBlock, ids: list[int], written: Dataset, text: PlanText, found: ExecutionColumns
) -> list[tuple[str, int]]:
    """Names from the command's output column list (positional: INSERT renames by
    position); a path write or a view takes the query's own names."""
    names = {**_id_names(text.text), **found.names}
    query_names = [names.get(i, f"#{i}") for i in ids]
    if written.kind != "table" or block.name.removeprefix("Execute ") in _VIEW_NODES:
        return list(zip(query_names, ids, strict=True))
    listed = _output_column_names(block)
    if listed is None or listed == query_names or len(listed) > len(ids):
        return list(zip(query_names, ids, strict=True))
    if len(listed) < len(ids) and listed == query_names[: len(listed)]:
        # Abbreviated ("... 6 more fields"), but the names it shows are the query's own (an
        # INSERT aliases its query to the table's names): the rest are the query's too.
        return list(zip(query_names, ids, strict=True))
    if len(listed) < len(ids):
        found.warnings.append(
            f"Spark abbreviated the written column list ({len(ids) - len(listed)} more fields): "
            "their column lineage is not reported"
        )
    return list(zip(listed, ids[: len(listed)], strict=True))


def _output_column_names(block: PlanBlock) -> list[str] | None:
    """The last bracketed list of plain names in a write command's arguments (not a table
    printed as ``[Database: hr, TableName: t, …]``, as 3.3's Hive CTAS prints its target)."""
    for arg in reversed(split_arguments(block.arguments or "")):
        if arg.startswith("[") and not any(c in arg for c in "#=:"):
            return [n for n in split_arguments(arg[1:-1]) if n and not MORE_FIELDS.match(n)]
    return None


def _id_names(text: str) -> dict[int, str]:
    return {int(i): name for name, i in _NAMED_ID.findall(text)}


def named_ids(column_list: str) -> list[tuple[str, int]]:
    """``[order_id#47, amount#49]`` as (name, id) pairs, in order."""
    return [(name, int(i)) for name, i in _NAMED_ID.findall(column_list)]


# ---------------------------------------------------------------- tracing to the scans


def trace(
    found: ExecutionColumns, target: int, seen: frozenset[int] = frozenset()
) -> set[tuple[int, str]]:
    """The scanned ids ``target`` comes from, each with the kind of the whole path."""
    results: set[tuple[int, str]] = set()
    if target in found.scans or target in found.rdd:
        results.add((target, "identity"))
    for source, kind in found.definitions.get(target, ()):
        if source in seen:
            continue
        for base, base_kind in trace(found, source, seen | {target}):
            results.add((base, compose(kind, base_kind)))
    return results


def column_lineage(found: ExecutionColumns, written: str) -> tuple[ColumnLineage, ...]:
    """Every written column's sources, grouped by kind, sorted; a column made from an RDD's
    (no dataset's) says so in a warning."""
    statement = {(base, kind) for ref, kind in found.statement for base, _ in trace(found, ref)}
    lineage = []
    for column, target in found.outputs:
        edges = trace(found, target) | statement
        if any(base in found.rdd for base, _ in edges) and RDD_COLUMNS not in found.warnings:
            found.warnings.append(RDD_COLUMNS)
        for kind in sorted({k for b, k in edges if b in found.scans}):
            sources = {found.scans[b] for b, k in edges if k == kind and b in found.scans}
            lineage.append(
                ColumnLineage(
                    written,
                    column,
                    tuple((d.id, c) for d, c in sorted(sources, key=_source_key)),
                    kind,
                )
            )
    return tuple(lineage)


def _source_key(source: tuple[Dataset, str]) -> tuple[str, str]:
    return source[0].id, source[1]
