"""Write commands: file writes, table inserts, CTAS, data-source saves, DataSourceV2 writes."""

from __future__ import annotations

import re
from dataclasses import replace

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import Dataset, JdbcName, NamingContext
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.shared import first_table, in_catalog, table_of, v2_table
from sparklineage.lineage.rules.views import NODE, NodeView
from sparklineage.plan.arguments import format_of, is_true, options, storage_location


@RULES.rule(NODE, "InsertIntoHadoopFsRelationCommand")
def insert_into_hadoop_fs(view: NodeView) -> Effect:
    """Every file-based write: path writes and table inserts (path first, table later)."""
    args = view.args
    if not args:
        return Effect(warnings=("InsertIntoHadoopFsRelationCommand without arguments",))
    out_path, fmt = args[0], format_of(args)
    overwrite = "Overwrite" in args
    tables = view.table_args()
    if not tables:
        return Effect("write_path", writes=(naming.path(out_path, fmt=fmt, ctx=view.naming),))
    located = table_of(tables[0], view, location=out_path)
    written = replace(located, format=fmt or located.format)
    return Effect("insert_overwrite" if overwrite else "insert", writes=(written,))


@RULES.rule(
    NODE,
    "CreateDataSourceTableAsSelectCommand",
    "CreateHiveTableAsSelectCommand",
    "OptimizedCreateHiveTableAsSelectCommand",
)
def create_table_as_select(view: NodeView) -> Effect:
    table = first_table(view)
    return Effect("ctas", writes=(table,) if table else ())


@RULES.rule(NODE, "SaveAsV1TableCommand")
def save_as_v1_table(view: NodeView) -> Effect:
    table = first_table(view)
    return Effect("save_as_table", writes=(table,) if table else ())


@RULES.rule(NODE, "InsertIntoHiveTable")
def insert_into_hive_table(view: NodeView) -> Effect:
    """``table, partition, overwrite, ifPartitionNotExists, [cols]``."""
    table = first_table(view)
    flags = [a for a in view.args if a in ("true", "false")]
    overwrite = bool(flags) and flags[0] == "true"
    return Effect("insert_overwrite" if overwrite else "insert", writes=(table,) if table else ())


@RULES.rule(NODE, "InsertIntoDataSourceDirCommand", "InsertIntoHiveDirCommand")
def insert_overwrite_directory(view: NodeView) -> Effect:
    location = storage_location(view.args)
    if location is None:
        return Effect("insert_overwrite_directory", warnings=("directory not found in plan",))
    # INSERT OVERWRITE LOCAL DIRECTORY: a scheme-less location is on the driver's disk.
    local = view.key == "InsertIntoHiveDirCommand" and is_true(view.args, 0)
    target = naming.path(location if not local else f"file:{location}", ctx=view.naming)
    return Effect("insert_overwrite_directory", writes=(target,))


@RULES.rule(NODE, "LoadDataCommand")
def load_data(view: NodeView) -> Effect:
    """``table, path, isLocal, isOverwrite[, partition]``: reads the path, writes the table."""
    args = view.args
    table = first_table(view)
    source = args[1].strip("'\"") if len(args) > 1 else None
    local = is_true(args, 2)
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


@RULES.rule(NODE, "SaveIntoDataSourceCommand")
def save_into_data_source(view: NodeView) -> Effect:
    """``provider@hash, [options], mode``: JDBC, Kafka or any other data source."""
    provider = view.args[0].lower() if view.args else ""
    printed = next((options(a) for a in view.args[1:] if a.startswith(("[", "Map("))), {})
    if "jdbc" in provider:
        target = naming.jdbc(printed.get("url"), printed.get("dbtable", "?"))
        if isinstance(target.name, JdbcName) and target.name.url == naming.REDACTED_URL:
            return Effect("write_path", writes=(target,), warnings=(_REDACTED_JDBC,))
    elif "kafka" in provider:
        target = naming.kafka(printed.get("kafka.bootstrap.servers"), printed.get("topic", "?"))
    elif "path" in printed:
        target = naming.path(printed["path"], ctx=view.naming)
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
_V2_CTAS = frozenset(key for key, operation in _V2_WRITES.items() if operation == "ctas")


@RULES.rule(NODE, *_V2_WRITES)
def v2_write(view: NodeView) -> Effect:
    return Effect(_V2_WRITES[view.key], writes=_v2_target(view))


# Row-level changes of a V2 table (Iceberg, Delta V2): UPDATE and DELETE rewrite rows as
# ReplaceData or WriteDelta; a MERGE is the same node over MergeRows (3.4+) or MergeInto.
_ROW_LEVEL_WRITES = ("ReplaceData", "ReplaceDataExec", "WriteDelta", "WriteDeltaExec")
_MERGE_NODES = re.compile(r"\b(?:MergeRows|MergeRowsExec|MergeIntoTable|MergeInto\w*Table)\b")


@RULES.rule(NODE, *_ROW_LEVEL_WRITES)
def row_level_write(view: NodeView) -> Effect:
    merge = _MERGE_NODES.search(view.text.text) is not None
    return Effect("merge" if merge else "update_rows", writes=_v2_target(view))


_V2_TABLE_IN_WRITE = re.compile(r"(?:table=|RelationV2\[[^\]]*\] )([\w.`]+)")
_JDBC_TABLE = re.compile(r"^JDBCTable\(([^,]+),")


def _v2_target(view: NodeView) -> tuple[Dataset, ...]:
    """A V2 write's table: ``IcebergWrite(table=c.db.t)``, ``JDBCTable(t, …)``, or the
    identifier after the catalog (CTAS)."""
    ctx = view.naming
    for arg in view.args:
        jdbc_table = _JDBC_TABLE.match(arg)
        if jdbc_table:
            return (naming.jdbc(ctx.jdbc_url(), jdbc_table.group(1)),)
        found = _V2_TABLE_IN_WRITE.search(arg)
        if found:
            return (_written_table(found.group(1), arg, ctx),)
    table = v2_table(view) if view.key in _V2_CTAS else None
    return (table,) if table else ()


def _written_table(identifier: str, arg: str, ctx: NamingContext) -> Dataset:
    """Iceberg names a table being created (CTAS, ``writeTo().create()``) without its catalog
    (``IcebergWrite(table=db.t)``): it is the application's Iceberg catalog's, when it has one."""
    catalog = ctx.iceberg_catalog() if arg.startswith("IcebergWrite(") else None
    return in_catalog(catalog, identifier, ctx) if catalog else naming.table(identifier, ctx=ctx)


@RULES.rule(
    NODE,
    "WriteToDataSourceV2",
    "WriteToDataSourceV2Exec",
    "WriteToMicroBatchDataSource",
    "WriteToMicroBatchDataSourceV1",
)
def micro_batch_write(_view: NodeView) -> Effect:
    """A streaming sink: named only in the query's progress events (see :mod:`.streams`)."""
    return Effect("stream_write")
