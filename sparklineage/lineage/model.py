"""What the lineage stage produces: one :class:`Query` per query the user ran."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from sparklineage.lineage.naming import Dataset
from sparklineage.lineage.servers import Session

OPERATIONS = (
    "create_database", "alter_database", "drop_database", "create_table", "alter_table",
    "rename_table", "drop_table", "truncate_table", "create_view", "drop_view", "ctas", "insert",
    "insert_overwrite", "update_rows", "merge", "load_data", "insert_overwrite_directory",
    "write_path", "save_as_table", "stream_write", "refresh", "read_only", "rdd_read",
    "rdd_write", "other", "unknown",
)  # fmt: skip


# Warnings that say a query read or wrote something the log does not name; the text output
# shows that as "(not in the log)", apart from "–" (nothing).
UNNAMED_READ = "reads a relation the log does not name (no scan of its columns)"
UNLOGGED_WRITE = "Spark logs no path for an RDD write, so its output is unknown"


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """One written column's sources of one kind."""

    dataset: str  # the written dataset's id
    column: str
    sources: tuple[tuple[str, str], ...]  # (the read dataset's id, its column)
    transform: str
    via: str = "plan"  # plan | sql: which part of the log gave the answer


@dataclass(frozen=True)
class Effect:
    """What one plan node, logical relation or catalog event says a query did."""

    operation: str | None = None
    reads: tuple[Dataset, ...] = ()
    writes: tuple[Dataset, ...] = ()
    warnings: tuple[str, ...] = ()
    attributes: tuple[int, ...] = ()  # expression ids a read node outputs (``name#id``)


@dataclass(frozen=True)
class Query:
    """One query: a root SQL execution with its children folded in, one streaming run, or
    the jobs of one RDD action or job group (no SQL execution: ``execution_id`` is None)."""

    execution_id: int | None
    child_execution_ids: tuple[int, ...]
    operation: str
    status: str  # succeeded | failed | running
    description: str
    start: int | None
    end: int | None
    inputs: tuple[Dataset, ...]
    outputs: tuple[Dataset, ...]
    # The database of database DDL: what the query acts on, not a dataset it read or wrote (a
    # database is no DataSet in Atlas's model, and a process may only point at DataSets).
    target: Dataset | None = None
    columns: tuple[ColumnLineage, ...] = ()
    # The root execution's plan text, zlib-compressed (see plan_text); None when not kept (a
    # report written without --plans): a catalog then keeps the plan text it has.
    plan: bytes | None = None
    unsupported: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    # On a Thrift or Connect server: who ran it, in which session, with which statement.
    user: str | None = None
    session: Session | None = None
    statement: str | None = None
    job_ids: tuple[int, ...] = ()  # an RDD query's jobs (a SQL query's are not kept)

    @property
    def ref(self) -> str:
        """The query's name in every output and state: its root execution id, or ``job-N``
        for an RDD query (N its first job)."""
        if self.execution_id is not None:
            return str(self.execution_id)
        return f"job-{self.job_ids[0]}" if self.job_ids else "job-?"


def ref_order(ref: str) -> tuple[int, int]:
    """Sort key of query refs (:attr:`Query.ref`): executions by id, then RDD queries."""
    rdd = ref.startswith("job-")
    number = ref.removeprefix("job-")
    return (1 if rdd else 0, int(number) if number.isdigit() else -1)


PLAN_LIMIT = 1_000_000  # characters: a catalog asset must stay under 2 MB (Purview)
PLAN_CUT = "\n…[plan text cut by sparklineage: a catalog asset must stay under 2 MB]"


def compressed_plan(text: str) -> bytes:
    """A plan description cut to :data:`PLAN_LIMIT` (marked so) and compressed: plans are the
    biggest part of a log and one is kept per query until the catalog gets it."""
    if len(text) > PLAN_LIMIT and not text.endswith(PLAN_CUT):  # a report's plan: cut once
        text = text[:PLAN_LIMIT] + PLAN_CUT
    return zlib.compress(text.encode(), 6) if text else b""


def plan_text(query: Query) -> str:
    return zlib.decompress(query.plan).decode() if query.plan else ""


def merge_datasets(datasets: Iterable[Dataset]) -> tuple[Dataset, ...]:
    """One entry per id, details merged, sorted by id (stable, diff-friendly)."""
    by_id: dict[str, Dataset] = {}
    for dataset in datasets:
        seen = by_id.get(dataset.id)
        by_id[dataset.id] = seen.merged(dataset) if seen else dataset
    return tuple(by_id[k] for k in sorted(by_id))
