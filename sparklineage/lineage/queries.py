"""From an application's events to its queries: executions analysed, children folded into roots.

Each SQL execution's plan is analysed as soon as it arrives (rules over the tree, logical
relations in the text) and only the small :class:`Effect` list is kept, so memory does not
grow with plan sizes. At the end executions are grouped by their root (``rootExecutionId``,
3.4+; a parent may be logged after its child), micro-batches by their streaming run, and
each group becomes one :class:`Query`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sparklineage.events import (
    CatalogEvent,
    EnvironmentUpdate,
    Event,
    JobEnd,
    JobStart,
    ServerOperationEnded,
    ServerOperationStarted,
    ServerSessionClosed,
    ServerSessionStarted,
    SQLAdaptiveExecutionUpdate,
    SQLExecutionEnd,
    SQLExecutionStart,
    StreamingQueryProgress,
)
from sparklineage.lineage import naming
from sparklineage.lineage.columns import (
    RDD_COLUMNS,
    execution_columns,
    micro_batch_columns,
    sql_view_definition,
)
from sparklineage.lineage.model import (
    UNNAMED_READ,
    ColumnLineage,
    Effect,
    Query,
    compressed_plan,
    merge_datasets,
)
from sparklineage.lineage.naming import Dataset, NamingContext, PathName, RelationName
from sparklineage.lineage.rdds import RddJobs, rdd_inputs
from sparklineage.lineage.rules import (
    CATALOG_EVENT,
    EXTENDED_RELATION,
    LOGICAL,
    NODE,
    RULES,
    CatalogEventView,
    ExtendedRelationView,
    LogicalView,
    NodeView,
    is_unsupported,
)
from sparklineage.lineage.servers import Link, ServerActivity, Session
from sparklineage.lineage.streams import stream_datasets
from sparklineage.plan import parse_plan_text, plan_tree
from sparklineage.plan.arguments import extended_relations
from sparklineage.redact import redact_text

DESCRIPTION_LIMIT = 2000
UNNAMED_COLUMN_SOURCE = (
    "column sources in a relation the log does not name (no scan of its columns) are left out"
)
NO_PLAN_TEXT = "the log has no plan text for this execution: lineage from the plan tree only"
_SAVE_AS_TABLE = ("saveAsTable at ", "toTable at ")
_TABLE_WRITES = ("ctas", "insert", "insert_overwrite")
_MICRO_BATCH = re.compile(r"\nid = [0-9a-f-]{36}\nrunId = ([0-9a-f-]{36})\nbatch = \d+\s*$")
# The operation of a query whose executions disagree: the command the user typed wins.
_WRITE_OPS = (
    "insert_overwrite_directory",
    "load_data",
    "merge",
    "update_rows",
    "insert_overwrite",
    "insert",
    "write_path",
)


@dataclass
class _Execution:
    execution_id: int
    root_id: int
    description: str = ""
    start: int | None = None
    end: int | None = None
    ended: bool = False
    error: str | None = None
    run_id: str | None = None  # the streaming run of a micro-batch
    echo: bool = False  # a bare ``CommandResult``: the spark-sql CLI's echo of a command
    own: list[Effect] = field(default_factory=list)  # from the plan
    catalog: list[Effect] = field(default_factory=list)  # from catalog events
    unsupported: set[str] = field(default_factory=set)
    columns: tuple[ColumnLineage, ...] = ()
    plan: bytes | None = None  # the plan text, compressed, when kept (for the catalog)
    column_warnings: tuple[str, ...] = ()
    # A micro-batch's columns into its stream's sink, which only the progress events name.
    batch_columns: tuple[ColumnLineage, ...] = ()
    link: Link | None = None  # the server session and operation it ran for
    rdd_reads: list[Dataset] = field(default_factory=list)  # files its jobs' RDDs read
    # Spark ≤ 3.3 logs no rootExecutionId: the execution that was running when this one began
    nested_in: int | None = None


@dataclass
class _Stream:
    inputs: set[Dataset] = field(default_factory=set)
    outputs: set[Dataset] = field(default_factory=set)


class LineageCollector:
    """Fed every event of one application in order; :meth:`queries` gives its lineage."""

    def __init__(self, *, keep_plans: bool = False) -> None:
        self._keep_plans = keep_plans
        self._executions: dict[int, _Execution] = {}
        self._open: list[int] = []  # started, not ended: catalog events belong to the last
        self._job_execution: dict[int, int] = {}
        self._streams: dict[str, _Stream] = {}
        self._read_by_attribute: dict[int, Dataset] = {}  # expression id -> what a scan read
        self._view_queries: dict[str, str] = {}  # views' SQL, where only the SQL text has it
        self.naming = NamingContext()
        self.servers = ServerActivity()
        self.rdd_jobs = RddJobs()

    def add(self, event: Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    # -------------------------------------------------------------- event handlers

    def _environment(self, event: EnvironmentUpdate) -> None:
        self.naming = NamingContext.from_properties(event.properties)

    def _execution_start(self, event: SQLExecutionStart) -> None:
        execution = self._execution(event.execution_id)
        execution.root_id = (
            event.root_execution_id if event.root_execution_id is not None else event.execution_id
        )
        execution.description = event.description[:DESCRIPTION_LIMIT]
        execution.start = event.time
        if self._keep_plans:
            execution.plan = compressed_plan(event.plan_description)
        micro_batch = _MICRO_BATCH.search(event.description)
        execution.run_id = micro_batch.group(1) if micro_batch else None
        execution.link = self.servers.link_execution(event)
        if event.root_execution_id is None and self._open:
            execution.nested_in = self._open[-1]
        self._analyse(execution, event.plan_info, event.plan_description, event.description)
        self._open.append(event.execution_id)

    def _adaptive_update(self, event: SQLAdaptiveExecutionUpdate) -> None:
        """A re-plan changes joins and partitions, not what is read or written: looked at only
        when the plan before it named no dataset (an adaptive plan may show its scans late)."""
        execution = self._execution(event.execution_id)
        if not any(e.reads or e.writes for e in execution.own):
            self._analyse(execution, event.plan_info, event.plan_description, "")

    def _execution_end(self, event: SQLExecutionEnd) -> None:
        execution = self._execution(event.execution_id)
        execution.end, execution.ended = event.time, True
        execution.error = execution.error or event.error
        if event.execution_id in self._open:
            self._open.remove(event.execution_id)

    def _job_start(self, event: JobStart) -> None:
        if event.execution_id is None:
            self.rdd_jobs.started(event, self.naming)
            return
        self._job_execution[event.job_id] = event.execution_id
        execution = self._executions.get(event.execution_id)
        if execution is None:
            return
        execution.rdd_reads.extend(rdd_inputs(event, self.naming))
        if not (execution.link and execution.link.certain):
            execution.link = self.servers.link_job(event) or execution.link

    def _server(
        self,
        event: ServerSessionStarted
        | ServerSessionClosed
        | ServerOperationStarted
        | ServerOperationEnded,
    ) -> None:
        self.servers.add(event)

    def _job_end(self, event: JobEnd) -> None:
        self.rdd_jobs.ended(event)
        execution_id = self._job_execution.get(event.job_id)
        if not event.succeeded and execution_id is not None:
            execution = self._execution(execution_id)
            execution.error = execution.error or event.error or "a job of this query failed"

    def _catalog(self, event: CatalogEvent) -> None:
        if event.pre or not self._open:
            return
        effect = catalog_effect(event, self.naming)
        if effect is not None:
            self._execution(self._open[-1]).catalog.append(effect)

    def _progress(self, event: StreamingQueryProgress) -> None:
        stream = self._streams.setdefault(event.run_id, _Stream())
        inputs, outputs = stream_datasets(event, self.naming)
        stream.inputs.update(inputs)
        stream.outputs.update(outputs)

    # -------------------------------------------------------------- analysis

    def _execution(self, execution_id: int) -> _Execution:
        found = self._executions.get(execution_id)
        if found is None:
            found = self._executions[execution_id] = _Execution(execution_id, execution_id)
        return found

    def _analyse(
        self,
        execution: _Execution,
        plan_info: Mapping[str, Any],
        plan_description: str,
        statement: str,
    ) -> None:
        """The lineage of one plan, contained: a plan no rule foresaw (cut, damaged, of a
        Spark yet unknown) costs that execution what its plan would have told, with a
        warning, never the rest of the log."""
        try:
            self._analyse_plan(execution, plan_info, plan_description, statement)
        except Exception as exc:  # a bug of ours on an unforeseen plan; the event's rest stays
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            warning = (
                f"lineage of this execution could not be fully derived from its plan ({reason})"
            )
            execution.own.append(Effect(warnings=(warning,)))

    def _analyse_plan(
        self,
        execution: _Execution,
        plan_info: Mapping[str, Any],
        plan_description: str,
        statement: str,
    ) -> None:
        """Rules over the tree, logical relations in the text, then columns; ``statement`` is
        the whole description, the SQL text for the column fallback where it is one."""
        tree = plan_tree(plan_info)
        text = parse_plan_text(plan_description)
        execution.echo = tree is not None and tree.name == "CommandResult" and not tree.children
        if tree is not None:
            for node in tree.walk():
                found = RULES.find(NODE, node.key)
                if found is not None:
                    effect = found(NodeView.of(node, text, self.naming))
                    self._remember_attributes(effect)
                    execution.own.append(effect)
                elif is_unsupported(node):
                    execution.unsupported.add(node.key)
        for block in text.blocks:
            logical = RULES.find(LOGICAL, block.name)
            if logical is not None:
                execution.own.append(logical(LogicalView(block, self.naming)))
        for relation in extended_relations(text):
            extended = RULES.find(EXTENDED_RELATION, relation.name)
            if extended is not None:
                execution.own.append(extended(ExtendedRelationView(relation, self.naming)))
        if tree is not None and not plan_description.strip():
            execution.own.append(Effect(warnings=(NO_PLAN_TEXT,)))
        written = {d for e in execution.own for d in e.writes}
        target = written.pop() if len(written) == 1 else None
        if target is not None:
            execution.columns, execution.column_warnings = execution_columns(
                text, target, statement, self.naming, self._view_queries
            )
            self._view_queries.update(sql_view_definition(text, statement))
        elif execution.run_id is not None:
            execution.batch_columns, execution.column_warnings = micro_batch_columns(
                text, self.naming
            )

    def _remember_attributes(self, effect: Effect) -> None:
        if len(effect.reads) == 1:
            for expression_id in effect.attributes:
                self._read_by_attribute[expression_id] = effect.reads[0]

    def _resolved(self, dataset: Dataset) -> Dataset | None:
        """A relation known only by expression ids is what a scan of those ids read (None
        when the log has no such scan); any other dataset is itself."""
        if not isinstance(dataset.name, RelationName):
            return dataset
        ids = dataset.name.expression_ids
        return next((self._read_by_attribute[i] for i in ids if i in self._read_by_attribute), None)

    def _resolve(self, datasets: tuple[Dataset, ...], warnings: list[str]) -> tuple[Dataset, ...]:
        """Relations known only by expression ids become what a scan of those ids read."""
        resolved = []
        for dataset in datasets:
            found = self._resolved(dataset)
            if found is not None:
                resolved.append(found)
            else:
                warnings.append(UNNAMED_READ)
        return merge_datasets(resolved)

    def _resolve_columns(
        self, columns: tuple[ColumnLineage, ...], effects: list[Effect], warnings: list[str]
    ) -> tuple[ColumnLineage, ...]:
        """Column sources in a relation known only by expression ids, named as the query's
        inputs are (through the scan of those ids), or left out with a warning: its ids
        change with the Spark version, so a ``relation:`` source would break a check."""
        relations = {d.id: d for e in effects for d in e.reads if isinstance(d.name, RelationName)}
        if not relations:
            return columns
        resolved = []
        for column in columns:
            sources = set()
            for dataset_id, name in column.sources:
                relation = relations.get(dataset_id)
                found = self._resolved(relation) if relation is not None else None
                if relation is None:
                    sources.add((dataset_id, name))
                elif found is not None:
                    sources.add((found.id, name))
                else:
                    warnings.append(UNNAMED_COLUMN_SOURCE)
            if sources:
                resolved.append(replace(column, sources=tuple(sorted(sources))))
        return tuple(resolved)

    # -------------------------------------------------------------- the result

    def queries(self) -> tuple[Query, ...]:
        # Keyed by root execution id (an int) or, for micro-batches, streaming run id (a str).
        groups: dict[int | str, list[_Execution]] = {}
        for execution in sorted(self._executions.values(), key=lambda e: e.execution_id):
            key = execution.run_id or self._root(execution)
            groups.setdefault(key, []).append(execution)
        _fold_operations(groups)
        _fold_echoes(groups)
        _fold_nested_writes(groups)
        queries = [self._contained_query(key, members) for key, members in groups.items()]
        executed = sorted(queries, key=lambda q: q.execution_id or 0)
        return (*executed, *self.rdd_jobs.queries())

    def _contained_query(self, key: int | str, members: list[_Execution]) -> Query:
        """The query of one group of executions; a failure of ours on it costs that query
        its lineage (said in a warning), not the application its other queries."""
        try:
            return self._query(key, members)
        except Exception as exc:
            root = _root_of(key, members)
            error = _error_of(members)
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            return Query(
                execution_id=root.execution_id,
                child_execution_ids=tuple(m.execution_id for m in members if m is not root),
                operation="unknown",
                status=_status(error, root),
                description=root.description,
                start=root.start,
                end=root.end,
                inputs=(),
                outputs=(),
                plan=root.plan,
                warnings=(f"the lineage of this query could not be derived ({reason})",),
                error=error,
            )

    def _root(self, execution: _Execution) -> int:
        seen = set()
        while execution.root_id != execution.execution_id and execution.root_id not in seen:
            seen.add(execution.execution_id)
            parent = self._executions.get(execution.root_id)
            if parent is None:
                return execution.root_id
            execution = parent
        return execution.execution_id

    def _query(self, key: int | str, members: list[_Execution]) -> Query:
        root = _root_of(key, members)
        effects = [e for m in [root, *[m for m in members if m is not root]] for e in m.own]
        catalog = [e for m in members for e in m.catalog]
        # Catalog events are evidence for DDL the plan did not name, not a second opinion.
        evidence = effects if any(e.writes for e in effects) else [*effects, *catalog]
        rdd_reads = [d for m in members for d in m.rdd_reads]
        inputs = merge_datasets([*(d for e in evidence for d in e.reads), *rdd_reads])
        outputs = merge_datasets(d for e in evidence for d in e.writes)
        operation = _operation(root.own, effects, catalog, inputs, outputs)
        if operation in _TABLE_WRITES and self._saves_as_table(root):
            operation = "save_as_table"  # the same commands as SQL; only the call site differs
        columns = _columns(members)
        if isinstance(key, str):
            stream = self._streams.get(key)
            if stream is not None:
                sinks = [naming.managed_table(d, self.naming) for d in stream.outputs]
                columns += _into_sink(members, inputs, stream.inputs, sinks)
                inputs = _stream_inputs(inputs, stream.inputs)
                outputs = merge_datasets([*outputs, *sinks])
            operation = "stream_write"
        outputs, renamed = _fold_write_paths_into_tables(operation, outputs)
        target = next((d for d in outputs if d.kind == "database"), None)
        if operation == "refresh" and len(outputs) == 1:  # no data moves: what it acts on
            target, outputs = outputs[0], ()
        inputs = tuple(d for d in inputs if d.kind != "database")
        outputs = tuple(d for d in outputs if d.kind != "database")
        notes: list[str] = [w for m in members for w in m.column_warnings]
        inputs = self._resolve(inputs, notes)
        if not inputs:  # data made in the program (createDataFrame of a list): nothing missed
            notes = [n for n in notes if n != RDD_COLUMNS]
        columns = self._resolve_columns(_renamed(columns, renamed), effects, notes)
        error = _error_of(members)
        link = root.link
        return Query(
            execution_id=root.execution_id,
            child_execution_ids=tuple(m.execution_id for m in members if m is not root),
            operation=operation,
            status=_status(error, root),
            description=root.description,
            plan=root.plan,
            start=root.start,
            end=root.end,
            inputs=inputs,
            outputs=outputs,
            target=target,
            columns=columns,
            unsupported=_unsupported(members),
            warnings=_warnings(effects, inputs, outputs, notes),
            error=error,
            user=self.servers.user(link) if link else None,
            session=self.servers.session(link) if link else None,
            statement=self.servers.statement(link) if link else None,
        )

    def _saves_as_table(self, root: _Execution) -> bool:
        if root.description.startswith(_SAVE_AS_TABLE):
            return True
        return root.link is not None and self.servers.saves_as_table(root.link)

    def sessions(self) -> tuple[Session, ...]:
        """The server sessions of the application (none off a Thrift or Connect server)."""
        return self.servers.sessions()


def _root_of(key: int | str, members: list[_Execution]) -> _Execution:
    """The execution a query is named after: its root (a stream's: its first batch)."""
    return next((m for m in members if m.execution_id == key), members[0])


def _error_of(members: list[_Execution]) -> str | None:
    return next((m.error for m in members if m.error), None)


def _status(error: str | None, root: _Execution) -> str:
    return "failed" if error else ("succeeded" if root.ended else "running")


def _stream_inputs(planned: tuple[Dataset, ...], sources: set[Dataset]) -> tuple[Dataset, ...]:
    """A stream reads its sources; each micro-batch's plan scans only that batch's new files
    (or a cut-off listing of them), which are the source, not datasets of their own."""
    kept = [d for d in planned if not _batch_files(d, sources)]
    return merge_datasets([*kept, *sources])


def _batch_files(dataset: Dataset, sources: set[Dataset]) -> bool:
    """Whether a micro-batch's scan is of its stream's files: under a source's path, or a
    listing Spark cut."""
    roots = tuple(s.name.uri + "/" for s in sources if isinstance(s.name, PathName))
    return isinstance(dataset.name, PathName) and (
        dataset.truncated or dataset.name.uri.startswith(roots)
    )


def _batch_source(dataset: Dataset, sources: set[Dataset]) -> Dataset | None:
    """The stream source a micro-batch's files belong to: the one whose path holds them, or
    for a listing Spark cut, the stream's only path source."""
    if not isinstance(dataset.name, PathName):
        return None
    paths = {s: s.name.uri for s in sources if isinstance(s.name, PathName)}
    holding = [s for s, uri in paths.items() if dataset.name.uri.startswith(uri + "/")]
    if holding:
        return max(holding, key=lambda s: len(paths[s]))
    return next(iter(paths)) if dataset.truncated and len(paths) == 1 else None


def _fold_operations(groups: dict[int | str, list[_Execution]]) -> None:
    """A server runs one statement as several root executions (the Thrift server logs the
    command, then a ``CommandResult`` of it): one query per operation, named by its first."""
    first: dict[str, int | str] = {}
    for key in sorted(k for k in groups if isinstance(k, int)):
        link = groups[key][0].link
        operation = link.operation_id if link else None
        if operation is None:
            continue
        if operation in first:
            groups[first[operation]].extend(groups.pop(key))
        else:
            first[operation] = key


def _fold_echoes(groups: dict[int | str, list[_Execution]]) -> None:
    """A query that is only a CommandResult echo (3.3's spark-sql CLI logs one after each
    command) belongs to the query just before it: the user ran one statement, not two."""
    for key in sorted(k for k in groups if isinstance(k, int)):
        if all(m.echo for m in groups[key]) and key - 1 in groups:
            groups[key - 1].extend(groups.pop(key))


def _fold_nested_writes(groups: dict[int | str, list[_Execution]]) -> None:
    """Spark 3.3 runs the write of INSERT OVERWRITE DIRECTORY as an execution of its own,
    inside the command's, and logs no rootExecutionId to say so: an execution begun while
    another ran, writing only what that one writes, is part of it (one statement, one query).
    Executions of other threads that merely overlap write something else and stay apart."""
    for key in sorted(k for k in groups if isinstance(k, int)):
        members = groups[key]
        parent = members[0].nested_in
        if len(members) != 1 or parent is None or parent not in groups:
            continue
        writes = {d.id for e in members[0].own for d in e.writes}
        outer = {d.id for m in groups[parent] for e in m.own for d in e.writes}
        if writes and writes <= outer:
            groups[parent].extend(groups.pop(key))


def _operation(
    root_effects: list[Effect],
    effects: list[Effect],
    catalog: list[Effect],
    inputs: tuple[Dataset, ...],
    outputs: tuple[Dataset, ...],
) -> str:
    """The root's own command first; then the strongest write of its children; then the catalog."""
    for effect in root_effects:
        if effect.operation and effect.operation not in _WRITE_OPS:
            return effect.operation
    ops = [e.operation for e in effects if e.operation]
    for op in _WRITE_OPS:
        if op in ops:
            return op
    if ops:
        return ops[0]
    if catalog and catalog[0].operation:
        return catalog[0].operation
    # An action (collect, count, show) reads, even when what it reads is no dataset (Range).
    return "unknown" if outputs else "read_only"


def _fold_write_paths_into_tables(
    operation: str, outputs: tuple[Dataset, ...]
) -> tuple[tuple[Dataset, ...], dict[str, str]]:
    """A CTAS child writes the new table's files by path, unnamed: one output, the table.

    Returns the outputs and which path ids became which table id.
    """
    tables = [d for d in outputs if d.kind == "table"]
    paths = {d: d.name.uri for d in outputs if isinstance(d.name, PathName)}
    if (
        operation not in ("ctas", "save_as_table", "insert", "insert_overwrite")
        or len(tables) != 1
        or not paths
    ):
        return outputs, {}
    table = tables[0]
    folded = [p for p, uri in paths.items() if table.location in (None, uri)]
    if not folded:
        return outputs, {}
    location = table.location or paths[folded[0]]
    kept = [d for d in outputs if d not in folded and d is not table]
    located = replace(table, location=location, format=table.format or folded[0].format)
    return merge_datasets([*kept, located]), {p.id: table.id for p in folded}


def _columns(members: list[_Execution]) -> tuple[ColumnLineage, ...]:
    return tuple(c for m in members for c in m.columns)


def _into_sink(
    members: list[_Execution],
    planned: tuple[Dataset, ...],
    sources: set[Dataset],
    sinks: list[Dataset],
) -> tuple[ColumnLineage, ...]:
    """A stream's micro-batch columns, into its sink and from its sources: a batch's plan
    scans that batch's files, named as the query's inputs are (:func:`_stream_inputs`)."""
    if len(sinks) != 1:
        return ()
    by_id = {d.id: d for d in planned}
    entries = []
    for column in (c for m in members for c in m.batch_columns):
        named = set()
        for dataset_id, name in column.sources:
            scanned = by_id.get(dataset_id)
            source = _batch_source(scanned, sources) if scanned is not None else None
            if scanned is None or not _batch_files(scanned, sources):
                named.add((dataset_id, name))
            elif source is not None:
                named.add((source.id, name))
        if named:
            entries.append(replace(column, dataset=sinks[0].id, sources=tuple(sorted(named))))
    return tuple(entries)


def _renamed(
    columns: tuple[ColumnLineage, ...], renamed: dict[str, str]
) -> tuple[ColumnLineage, ...]:
    """The column lineage of a query's executions, once each, under the ids the query
    reports."""
    merged = {replace(c, dataset=renamed.get(c.dataset, c.dataset)) for c in columns}
    return tuple(sorted(merged, key=lambda c: (c.dataset, c.column, c.transform)))


def _unsupported(members: list[_Execution]) -> tuple[str, ...]:
    """The plan nodes no rule understood, named as the plan tree does: that text is not
    redacted when it is read, so it is here."""
    return tuple(sorted({redact_text(k) for m in members for k in m.unsupported}))


def _warnings(
    effects: list[Effect],
    inputs: tuple[Dataset, ...],
    outputs: tuple[Dataset, ...],
    notes: list[str],
) -> tuple[str, ...]:
    """A query's warnings, redacted: rules quote the plan tree, which is not redacted when
    it is read."""
    warnings = {w for e in effects for w in e.warnings} | set(notes)
    for dataset in (*inputs, *outputs):
        if dataset.truncated:
            warnings.add(
                f"{dataset.id}: Spark truncated this name in the plan; it may be incomplete"
            )
    return tuple(sorted({redact_text(w) for w in warnings}))


def catalog_effect(event: CatalogEvent, ctx: NamingContext) -> Effect | None:
    """What a catalog event proves happened (free evidence for DDL), if anything."""
    found = RULES.find(CATALOG_EVENT, event.kind)
    effect = found(CatalogEventView(event, ctx)) if found is not None else None
    return effect if effect is not None and effect.operation else None


_HANDLERS: dict[type, Callable[[LineageCollector, Any], None]] = {
    EnvironmentUpdate: LineageCollector._environment,
    SQLExecutionStart: LineageCollector._execution_start,
    SQLAdaptiveExecutionUpdate: LineageCollector._adaptive_update,
    SQLExecutionEnd: LineageCollector._execution_end,
    JobStart: LineageCollector._job_start,
    JobEnd: LineageCollector._job_end,
    CatalogEvent: LineageCollector._catalog,
    StreamingQueryProgress: LineageCollector._progress,
    ServerSessionStarted: LineageCollector._server,
    ServerSessionClosed: LineageCollector._server,
    ServerOperationStarted: LineageCollector._server,
    ServerOperationEnded: LineageCollector._server,
}
