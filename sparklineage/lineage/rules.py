"""Plan-node rules: one small function per Spark node or command, in one registry.

A rule gets a :class:`NodeView` (the node, its ``Arguments:`` split at top-level commas,
the naming context) and returns an :class:`Effect`: the operation it stands for, and the
datasets it reads and writes. Rules are registered under the name Spark gives the node
(``Execute X`` registers as ``X``); a node whose name has more words than a registered name
(``Scan parquet spark_catalog.db.t``) falls back to its leading words (``Scan parquet``, then
``Scan``). Spark versions differ in where arguments are printed, not in what they mean:
:func:`arguments_of` looks in the plan text first and in ``simpleString`` second, so rules
need no version branches.

Logical relations in the plan text (the analyzed plan of v1 commands) have rules of their
own in :data:`LOGICAL_RULES`: they name the tables a command's query reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import Dataset, NamingContext
from sparklineage.plan import EXPRESSION_ID, PlanBlock, PlanNode, PlanText, split_arguments

ANALYZED = "Analyzed Logical Plan"
_QUOTED_TABLE = re.compile(r"^(?:`(?:[^`]|``)+`\.)*`(?:[^`]|``)+`$")
# A CatalogTable printed whole (3.3: "Database: db\nTable: t\n…") or as Hive CTAS prints its
# target ("[Database: hr, TableName: dept_counts]").
_DUMPED_TABLE = re.compile(r"Database: ([^\s,\]]+)[,\s]+Table(?:Name)?: ([^\s,\]]+)")
_STORAGE_LOCATION = re.compile(r"Location: ([^,\)\]\s]+)")
_INDEX_PATHS = re.compile(r"\[([^\[\]]*)\]\s*$")
_FILE_FORMATS = {
    "parquet", "orc", "csv", "json", "text", "avro", "binaryfile", "hivefileformat", "delta",
}  # fmt: skip


@dataclass(frozen=True)
class NodeView:
    """What a rule sees of one plan node: the node, the plan text around it, the naming."""

    node: PlanNode
    text: PlanText
    naming: NamingContext

    @cached_property
    def args(self) -> list[str]:
        """The node's arguments, split (only for the rules that read them: plans are long)."""
        return arguments_of(self.node, self.text)

    def table_args(self) -> list[str]:
        """Arguments that are table identifiers (quoted, or a dumped CatalogTable)."""
        return [a for a in self.args if _QUOTED_TABLE.match(a) or _DUMPED_TABLE.search(a)]


Rule = Callable[[NodeView], Effect]
RULES: dict[str, Rule] = {}
LOGICAL_RULES: dict[str, Callable[[PlanBlock, NamingContext], Effect]] = {}
# Nodes that read or write no dataset (leaves of local data, plumbing): never "unsupported".
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


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register a rule under one or more node names."""

    def register(fn: Rule) -> Rule:
        for name in names:
            RULES[name] = fn
        return fn

    return register


def find_rule(node: PlanNode) -> Rule | None:
    """The rule for a node: its full name, then ever shorter leading word prefixes."""
    words = node.key.split(" ")
    for n in range(len(words), 0, -1):
        prefix = " ".join(words[:n])
        if prefix in NO_DATASET:
            return _no_dataset
        if prefix in NO_LINEAGE_COMMANDS:
            return _no_lineage
        found = RULES.get(prefix)
        if found is not None:
            return found
    return None


def _no_dataset(_view: NodeView) -> Effect:
    return Effect()


def _no_lineage(_view: NodeView) -> Effect:
    return Effect("other")


def is_unsupported(node: PlanNode) -> bool:
    """A node that may read or write data but that no rule understands."""
    key = node.key
    if find_rule(node) is not None:
        return False
    commandish = node.name.startswith("Execute ") or key.endswith(("Command", "Exec"))
    return commandish or not node.children


def arguments_of(node: PlanNode, text: PlanText) -> list[str]:
    """A node's arguments: its ``Arguments:`` line in formatted plan text, its line in an
    extended plan's analyzed plan (2.x, 3.0), else its simpleString."""
    for block in text.blocks_named(node.key, node.name):
        if block.arguments is not None:
            return split_arguments(block.arguments)
    for line in text.tree_lines(ANALYZED):
        if line.startswith(node.key + " "):
            return split_arguments(line.removeprefix(node.key))
    rest = node.simple.removeprefix(node.name).strip()
    if rest.startswith(node.key):  # 2.x/3.0: "Execute X X args"
        rest = rest.removeprefix(node.key).strip()
    return split_arguments(rest)


# ---------------------------------------------------------------- helpers shared by rules


def _table_of(arg: str, view: NodeView, location: str | None = None) -> Dataset:
    dumped = _DUMPED_TABLE.search(arg)
    identifier = f"{dumped.group(1)}.{dumped.group(2)}" if dumped else arg
    return naming.table(identifier, location=location, ctx=view.naming)


def _first_table(view: NodeView) -> Dataset | None:
    tables = view.table_args()
    return _table_of(tables[0], view) if tables else None


def _bare_identifier(arg: str) -> str:
    """``sales.orders`` or ``[sales]`` as V2 nodes print them: the identifier inside."""
    return arg.strip().strip("[]").strip()


def _storage_location(args: list[str]) -> str | None:
    for arg in args:
        found = _STORAGE_LOCATION.search(arg)
        if found:
            return found.group(1)
    return None


def _format_of(args: list[str]) -> str | None:
    for arg in args:
        word = arg.rsplit(".", 1)[-1].split("@")[0].lower()
        for fmt in _FILE_FORMATS:
            if word == fmt or (word.startswith(fmt) and word.endswith(("fileformat", "format"))):
                return fmt
    return None


def _options(arg: str) -> dict[str, str]:
    """``[k=v, k2=v2]`` or ``Map(k -> v)`` as Spark prints option maps."""
    body = arg.strip().removeprefix("Map(").removesuffix(")").strip("[]")
    pairs = {}
    for item in split_arguments(body):
        key, sep, value = item.partition("->") if "->" in item else item.partition("=")
        if sep:
            pairs[key.strip().lower()] = value.strip()
    return pairs


def _is_true(args: list[str], index: int) -> bool:
    return len(args) > index and args[index].strip() == "true"


# ---------------------------------------------------------------- writes


@rule("InsertIntoHadoopFsRelationCommand")
def insert_into_hadoop_fs(view: NodeView) -> Effect:
    """Every file-based write: path writes and table inserts (path first, table later)."""
    args = view.args
    if not args:
        return Effect(warnings=("InsertIntoHadoopFsRelationCommand without arguments",))
    out_path, fmt = args[0], _format_of(args)
    overwrite = "Overwrite" in args
    tables = view.table_args()
    if not tables:
        return Effect("write_path", writes=(naming.path(out_path, fmt=fmt, ctx=view.naming),))
    located = _table_of(tables[0], view, location=out_path)
    written = replace(located, format=fmt or located.format)
    return Effect("insert_overwrite" if overwrite else "insert", writes=(written,))


@rule(
    "CreateDataSourceTableAsSelectCommand",
    "CreateHiveTableAsSelectCommand",
    "OptimizedCreateHiveTableAsSelectCommand",
)
def create_table_as_select(view: NodeView) -> Effect:
    table = _first_table(view)
    return Effect("ctas", writes=(table,) if table else ())


@rule("SaveAsV1TableCommand")
def save_as_v1_table(view: NodeView) -> Effect:
    table = _first_table(view)
    return Effect("save_as_table", writes=(table,) if table else ())


@rule("InsertIntoHiveTable")
def insert_into_hive_table(view: NodeView) -> Effect:
    """``table, partition, overwrite, ifPartitionNotExists, [cols]``."""
    table = _first_table(view)
    flags = [a for a in view.args if a in ("true", "false")]
    overwrite = bool(flags) and flags[0] == "true"
    return Effect("insert_overwrite" if overwrite else "insert", writes=(table,) if table else ())


@rule("InsertIntoDataSourceDirCommand", "InsertIntoHiveDirCommand")
def insert_overwrite_directory(view: NodeView) -> Effect:
    location = _storage_location(view.args)
    if location is None:
        return Effect("insert_overwrite_directory", warnings=("directory not found in plan",))
    # INSERT OVERWRITE LOCAL DIRECTORY: a scheme-less location is on the driver's disk.
    local = view.node.key == "InsertIntoHiveDirCommand" and _is_true(view.args, 0)
    target = naming.path(location if not local else f"file:{location}", ctx=view.naming)
    return Effect("insert_overwrite_directory", writes=(target,))


@rule("LoadDataCommand")
def load_data(view: NodeView) -> Effect:
    """``table, path, isLocal, isOverwrite[, partition]``: reads the path, writes the table."""
    args = view.args
    table = _first_table(view)
    source = args[1].strip("'\"") if len(args) > 1 else None
    local = _is_true(args, 2)
    reads = (
        (
            naming.path(
                f"file:{source}" if local and source and ":" not in source else source,
                ctx=view.naming,
            ),
        )
        if source
        else ()
    )
    return Effect("load_data", reads=reads, writes=(table,) if table else ())


@rule("SaveIntoDataSourceCommand")
def save_into_data_source(view: NodeView) -> Effect:
    """``provider@hash, [options], mode``: JDBC, Kafka or any other data source."""
    provider = view.args[0].lower() if view.args else ""
    options = next((_options(a) for a in view.args[1:] if a.startswith(("[", "Map("))), {})
    if "jdbc" in provider:
        target = naming.jdbc(options.get("url"), options.get("dbtable", "?"))
        if target.id.startswith("jdbc:redacted#"):
            return Effect("write_path", writes=(target,), warnings=(_REDACTED_JDBC,))
    elif "kafka" in provider:
        target = naming.kafka(options.get("kafka.bootstrap.servers"), options.get("topic", "?"))
    elif "path" in options:
        target = naming.path(options["path"], ctx=view.naming)
    else:
        return Effect(
            "write_path", warnings=(f"data source {provider.split('@')[0]} with no path",)
        )
    return Effect("write_path", writes=(target,))


_REDACTED_JDBC = "Spark redacted the JDBC URL in the plan: the table is named without it"


# DataSourceV2 writes (logical names and their Exec nodes): the operation, one rule for all.
_V2_WRITES = {
    **dict.fromkeys(("AppendData", "AppendDataExec", "AppendDataExecV1"), "insert"),
    **dict.fromkeys(
        (
            "OverwriteByExpression",
            "OverwriteByExpressionExec",
            "OverwriteByExpressionExecV1",
            "OverwritePartitionsDynamic",
            "OverwritePartitionsDynamicExec",
        ),
        "insert_overwrite",
    ),
    **dict.fromkeys(
        (
            "CreateTableAsSelect",
            "CreateTableAsSelectExec",
            "AtomicCreateTableAsSelect",
            "AtomicCreateTableAsSelectExec",
            "ReplaceTableAsSelect",
            "ReplaceTableAsSelectExec",
            "AtomicReplaceTableAsSelect",
            "AtomicReplaceTableAsSelectExec",
        ),
        "ctas",
    ),
}


@rule(*_V2_WRITES)
def v2_write(view: NodeView) -> Effect:
    return Effect(_V2_WRITES[view.node.key], writes=_v2_target(view))


_V2_TABLE_IN_WRITE = re.compile(r"(?:table=|RelationV2\[[^\]]*\] )([\w.`]+)")
_JDBC_TABLE = re.compile(r"^JDBCTable\(([^,]+),")


def _v2_target(view: NodeView) -> tuple[Dataset, ...]:
    """A V2 write's table: ``IcebergWrite(table=c.db.t)``, ``JDBCTable(t, …)``, an identifier."""
    for arg in view.args:
        jdbc_table = _JDBC_TABLE.match(arg)
        if jdbc_table:
            return (naming.jdbc(view.naming.jdbc_url(), jdbc_table.group(1)),)
        found = _V2_TABLE_IN_WRITE.search(arg)
        if found:
            return (naming.table(found.group(1), ctx=view.naming),)
    candidates = [a for a in view.args[1:] if re.fullmatch(r"[\w`]+(\.[\w`]+)+", a.strip())]
    return (naming.table(candidates[0], ctx=view.naming),) if candidates else ()


@rule(
    "WriteToDataSourceV2",
    "WriteToDataSourceV2Exec",
    "WriteToMicroBatchDataSource",
    "WriteToMicroBatchDataSourceV1",
)
def micro_batch_write(_view: NodeView) -> Effect:
    """A streaming sink: named only in the query's progress events (see lineage/streams.py)."""
    return Effect("stream_write")


# ---------------------------------------------------------------- DDL

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


@rule(*_TABLE_DDL)
def table_ddl(view: NodeView) -> Effect:
    table = _first_table(view)
    return Effect(_TABLE_DDL[view.node.key], writes=(table,) if table else ())


@rule("RefreshTableCommand", "RefreshTable", "RefreshTableExec", "RefreshResource")
def refresh(_view: NodeView) -> Effect:
    """REFRESH only drops cached metadata: recorded, no lineage."""
    return Effect("refresh")


@rule("AlterTableRenameCommand")
def rename_table(view: NodeView) -> Effect:
    """``old, new, isView``: reads the old name, writes the new one."""
    tables = view.table_args()
    if len(tables) < 2:
        return Effect("rename_table", warnings=("rename without both names in the plan",))
    is_view = _is_true(view.args, 2)

    def make(name: str) -> Dataset:
        return naming.view(name, temporary=False) if is_view else _table_of(name, view)

    return Effect("rename_table", reads=(make(tables[0]),), writes=(make(tables[1]),))


@rule("DropTableCommand")
def drop_table_command(view: NodeView) -> Effect:
    """``name, ifExists, isView, purge``."""
    tables = view.table_args()
    if not tables:
        return Effect("drop_table")
    if _is_true(view.args, 2):
        return Effect("drop_view", writes=(naming.view(tables[0], temporary=False),))
    return Effect("drop_table", writes=(_table_of(tables[0], view),))


@rule("DropTable", "DropTableExec")
def drop_table_v2(view: NodeView) -> Effect:
    """``catalog, ident, ifExists, purge`` (V2 session catalog, 3.5+)."""
    ident = view.args[1] if len(view.args) > 1 else None
    return Effect(
        "drop_table",
        writes=(naming.table(_bare_identifier(ident), ctx=view.naming),) if ident else (),
    )


@rule("CreateTable", "CreateTableExec")
def create_table_v2(view: NodeView) -> Effect:
    ident = view.args[1] if len(view.args) > 1 else None
    if ident is None:
        return Effect("create_table")
    name = _bare_identifier(ident)
    catalog = _catalog_name(view.args[0], view.naming)
    if catalog is not None and view.naming.is_jdbc_catalog(catalog):
        return Effect("create_table", writes=(naming.jdbc(view.naming.jdbc_url(catalog), name),))
    session = catalog in (None, naming.SESSION_CATALOG)
    qualified = name if session or name.count(".") >= 2 else f"{catalog}.{name}"
    return Effect("create_table", writes=(naming.table(qualified, ctx=view.naming),))


def _catalog_name(arg: str, ctx: NamingContext) -> str | None:
    """A V2 catalog as printed: ``V2SessionCatalog(spark_catalog)``, or ``pkg.Class@hash``
    (named through the application's ``spark.sql.catalog.<name>`` settings)."""
    found = re.search(r"\((\w+)\)\s*$", arg)
    if found:
        return found.group(1)
    return ctx.catalog_named_by_class(arg.split("@")[0].strip())


@rule("CreateViewCommand", "CreateView")
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


@rule("AlterViewAsCommand")
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


@rule(*_DATABASE_DDL)
def database_ddl(view: NodeView) -> Effect:
    return Effect(_DATABASE_DDL[view.node.key], writes=_database_arg(view))


def _database_arg(view: NodeView) -> tuple[Dataset, ...]:
    """The namespace: ``[sales]`` after a catalog in V2 nodes, the first argument in v1."""
    for arg in view.args:
        text = arg.strip()
        if text.startswith("[") and text.endswith("]") and "=" not in text:
            return (naming.database(_bare_identifier(text)),)
    if view.args and not re.search(r"[@(]", view.args[0]):
        return (naming.database(view.args[0].strip("`")),)
    return ()


# ---------------------------------------------------------------- reads


_OUTPUT_COLUMNS = re.compile(r"\[([^\[\]]*#\d+[^\[\]]*)\]")


def expression_ids(text: str) -> list[int]:
    """The expression ids in the first column list of ``text`` (``[a#1, b#2L]``)."""
    found = _OUTPUT_COLUMNS.search(text)
    return [int(i) for i in EXPRESSION_ID.findall(found.group(1))] if found else []


@rule("Scan", "BatchScan", "PhotonScan", "GpuScan", "GpuFileGpuScan")
def scan(view: NodeView) -> Effect:
    """File scans (``Scan parquet [db.t]``), JDBC relations, DSv2 batch scans."""
    effect = _scan(view)
    return Effect(reads=effect.reads, attributes=tuple(expression_ids(view.node.simple)))


def _scan(view: NodeView) -> Effect:
    node = view.node
    name_rest = node.name.split(" ", 2)
    if name_rest[1:2] and name_rest[1].startswith("JDBCRelation"):
        return Effect(reads=jdbc_relation(node.name, view.naming))
    if name_rest[1:2] and "JDBCScan" in name_rest[1]:
        return Effect(warnings=("reads a table of a JDBC catalog that the log does not name",))
    fmt = node.meta("Format") or (name_rest[1] if len(name_rest) > 1 else None)
    paths = location_paths(_scan_location(view))
    table_name = name_rest[2] if len(name_rest) > 2 else None
    if node.name.startswith("BatchScan"):
        return Effect(reads=_batch_scan(node, view))
    if table_name:
        location = paths[0] if len(paths) == 1 else None
        return Effect(
            reads=(naming.table(table_name, location=location, fmt=fmt, ctx=view.naming),)
        )
    return Effect(reads=tuple(naming.path(p, fmt=fmt, ctx=view.naming) for p in paths))


_V2_JDBC_SCAN = re.compile(r"^Scan JDBC v1 Relation from v2 scan (\S+)")


@rule("Scan JDBC")
def jdbc_catalog_scan(view: NodeView) -> Effect:
    """A JDBC catalog table read (4.x): ``Scan JDBC v1 Relation from v2 scan <table>``."""
    found = _V2_JDBC_SCAN.match(view.node.name)
    if found is None:
        return Effect(warnings=("reads a table of a JDBC catalog that the log does not name",))
    table = naming.jdbc(view.naming.jdbc_url(), found.group(1))
    return Effect(reads=(table,), attributes=tuple(expression_ids(view.node.simple)))


@rule("Scan hive", "HiveTableScan")
def hive_scan(view: NodeView) -> Effect:
    table_name = view.node.name.split(" ", 2)[2] if view.node.name.count(" ") >= 2 else None
    return Effect(
        reads=(naming.table(table_name, fmt="hive", ctx=view.naming),) if table_name else ()
    )


def _batch_scan(node: PlanNode, view: NodeView) -> tuple[Dataset, ...]:
    """DSv2 scans: a catalog table after the column list, or file paths in Location."""
    paths = location_paths(node.meta("Location") or _location_in(node.simple))
    if paths:
        fmt = node.meta("Format")
        return tuple(naming.path(p, fmt=fmt, ctx=view.naming) for p in paths)
    found = re.match(r"BatchScan\s*(?:\[[^\]]*\])?\s*([\w.`]+)", node.simple)
    if found and "." in found.group(1):
        return (naming.table(found.group(1), ctx=view.naming),)
    return ()


def _scan_location(view: NodeView) -> str:
    """A scan's file index, whole if any part of the event has it whole: the node's metadata,
    its block in the plan text, then its simpleString (cut at 100 characters)."""
    blocks = view.text.blocks_named(view.node.name)
    candidates = [
        view.node.meta("Location"),
        *(b.get("Location") for b in blocks),
        _location_in(view.node.simple),
    ]
    present = [c for c in candidates if c]
    whole = [c for c in present if naming.TRUNCATION_MARK not in c]
    return (whole or present or [""])[0]


def _location_in(simple: str) -> str:
    found = re.search(r"Location: (\S*\[[^\]]*\]?)", simple)
    return found.group(1) if found else ""


def location_paths(location: str) -> list[str]:
    """Paths of a file index as Spark prints it: ``InMemoryFileIndex(2 paths)[a, b]``."""
    found = _INDEX_PATHS.search(location.strip()) or re.search(r"\[([^\[\]]*)$", location.strip())
    return listed_paths(found.group(1)) if found else []


def listed_paths(listing: str) -> list[str]:
    """The paths of a comma-separated listing, up to where a cut-off string runs into other
    fields (``…/ltx1-..., PartitionFilters: [``)."""
    paths = []
    for item in listing.split(","):
        item = item.strip()
        if not item or " " in item:
            break
        paths.append(item)
    return paths


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


@rule("MicroBatchScan", "ContinuousScan")
def micro_batch_scan(_view: NodeView) -> Effect:
    """A streaming source: named only in the query's progress events (see lineage/streams.py)."""
    return Effect()


_TEXT_FILE_SCAN = re.compile(
    r"FileScan (\w+) ?([\w.`]*)\[([^\]]*)\][^\n]*?Location: \w+(?:\(\d+ paths?\))? ?\[([^\]]*)\]"
)


@rule("InMemoryTableScan")
def in_memory_table_scan(view: NodeView) -> Effect:
    """A cached relation: the tree stops here, but the plan text prints the cached plan, whose
    file scans are what the cache was filled from."""
    reads: list[Dataset] = []
    for fmt, table_name, _columns, paths in _TEXT_FILE_SCAN.findall(view.text.text):
        located = listed_paths(paths)
        if table_name:
            location = located[0] if len(located) == 1 else None
            reads.append(naming.table(table_name, location=location, fmt=fmt, ctx=view.naming))
        else:
            reads.extend(naming.path(p, fmt=fmt, ctx=view.naming) for p in located)
    return Effect(reads=tuple(reads))


# ---------------------------------------------------------------- logical relations in plan text


def _logical(
    name: str,
) -> Callable[
    [Callable[[PlanBlock, NamingContext], Effect]], Callable[[PlanBlock, NamingContext], Effect]
]:
    def register(
        fn: Callable[[PlanBlock, NamingContext], Effect],
    ) -> Callable[[PlanBlock, NamingContext], Effect]:
        LOGICAL_RULES[name] = fn
        return fn

    return register


@_logical("LogicalRelation")
def logical_relation(block: PlanBlock, ctx: NamingContext) -> Effect:
    """``format, [cols], <table>?, streaming``: a table when the relation is a catalog table."""
    args = split_arguments(block.arguments or "")
    tables = [a for a in args if _QUOTED_TABLE.match(a) or _DUMPED_TABLE.search(a)]
    if not tables:
        ids = expression_ids(block.arguments or "")
        return Effect(reads=(naming.relation(ids),)) if ids else Effect()
    dumped = _DUMPED_TABLE.search(tables[0])
    ident = f"{dumped.group(1)}.{dumped.group(2)}" if dumped else tables[0]
    return Effect(reads=(naming.table(ident, fmt=args[0] if args else None, ctx=ctx),))


@_logical("HiveTableRelation")
def hive_table_relation(block: PlanBlock, ctx: NamingContext) -> Effect:
    args = split_arguments(block.arguments or "")
    return Effect(reads=(naming.table(args[0], fmt="hive", ctx=ctx),)) if args else Effect()


@_logical("View")
def view_relation(block: PlanBlock, ctx: NamingContext) -> Effect:
    """``name, isTempView``: a persistent view read is named beside its tables."""
    args = split_arguments(block.arguments or "")
    if len(args) >= 2 and args[1] == "false":
        return Effect(reads=(naming.view(args[0], temporary=False),))
    return Effect()


@_logical("JDBCRelation")
def jdbc_logical(block: PlanBlock, ctx: NamingContext) -> Effect:
    return Effect(reads=jdbc_relation(block.arguments or "", ctx))


_EXTENDED_RELATION = re.compile(r"^(?:Relation|HiveTableRelation) ?([`\w.]*)\[([^\]]*)\]")


def extended_relation_lines(text: PlanText) -> Iterator[tuple[str, str]]:
    """(table or "", column list) of each relation in an extended plan's analyzed plan."""
    for line in text.tree_lines(ANALYZED):
        found = _EXTENDED_RELATION.match(line)
        if found:
            yield found.group(1), found.group(2)


def extended_relations(text: PlanText, ctx: NamingContext) -> Effect:
    """Relations in an extended plan's analyzed plan (2.x, 3.0): ``Relation db.t[cols] fmt``
    names a table, ``Relation[a#1,b#2] avro`` only its columns."""
    reads = []
    for table_name, columns in extended_relation_lines(text):
        if table_name:
            reads.append(naming.table(table_name, ctx=ctx))
        elif ids := [int(i) for i in EXPRESSION_ID.findall(columns)]:
            reads.append(naming.relation(ids))
    return Effect(reads=tuple(reads))


def extended_write_columns(text: PlanText) -> list[str] | None:
    """The written column names of the write command in an extended plan's analyzed plan."""
    for line in text.tree_lines(ANALYZED):
        command = line.split(" ", 1)[0]
        if command.endswith(("InsertIntoHadoopFsRelationCommand", "InsertIntoHiveTable")):
            lists = [a for a in split_arguments(line.removeprefix(command)) if a.startswith("[")]
            plain = [a for a in lists if "#" not in a and "=" not in a]
            return split_arguments(plain[-1][1:-1]) if plain else None
    return None
