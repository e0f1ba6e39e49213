"""RDD lineage: the files jobs read through the SparkContext, from their stages' RDD names.

Spark logs no SQL execution for an RDD job (``sc.textFile(...).map(...).saveAsTextFile(...)``),
but every ``SparkListenerJobStart`` lists the RDDs of its stages, and the reading methods
(``textFile``, ``hadoopFile``, ``wholeTextFiles``…) name their RDDs after the paths they were
given. So a job's inputs are in the log; its output is not (an RDD write names no path
anywhere), which the query says in a warning rather than hide.

A job with a SQL execution gives its RDD reads to that execution (an RDD turned into a
DataFrame and written: the plan shows only ``Scan ExistingRDD``). The other jobs become
queries of their own: one per job group when the user set one (``setJobGroup``: one unit of
work to them), else one per job (one action); a job that neither reads a file nor writes is
no lineage and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sparklineage.events import JobEnd, JobStart
from sparklineage.lineage import naming
from sparklineage.lineage.model import UNLOGGED_WRITE, Query, merge_datasets
from sparklineage.lineage.naming import Dataset, NamingContext

# RDD actions that write files (PySpark's saveAsPickleFile is saveAsObjectFile in the JVM).
RDD_WRITES = frozenset(
    {
        "saveAsTextFile",
        "saveAsObjectFile",
        "saveAsSequenceFile",
        "saveAsHadoopFile",
        "saveAsNewAPIHadoopFile",
        "saveAsHadoopDataset",
        "saveAsNewAPIHadoopDataset",
    }
)


def rdd_inputs(event: JobStart, ctx: NamingContext) -> tuple[Dataset, ...]:
    """The files a job's RDDs read, named as every path is (scheme-less: the default FS)."""
    return merge_datasets(naming.path(path, ctx=ctx) for _, path in event.rdd_reads)


@dataclass
class _RddQuery:
    """The jobs of one RDD query, as they start and end."""

    job_ids: list[int] = field(default_factory=list)
    description: str = ""
    start: int | None = None
    end: int | None = None
    running: int = 0  # jobs started and not yet ended
    inputs: list[Dataset] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # the write actions it ran
    error: str | None = None


class RddJobs:
    """The jobs that ran for no SQL execution, folded into queries."""

    def __init__(self) -> None:
        self._queries: dict[str, _RddQuery] = {}  # by job group, or "job-N"
        self._query_of_job: dict[int, _RddQuery] = {}

    def started(self, event: JobStart, ctx: NamingContext) -> None:
        key = f"group {event.job_group}" if event.job_group else f"job-{event.job_id}"
        query = self._queries.setdefault(key, _RddQuery())
        if not query.job_ids:
            query.description = event.description or event.call_site or (event.action or "")
            query.start = event.time
        query.job_ids.append(event.job_id)
        query.running += 1
        query.inputs.extend(rdd_inputs(event, ctx))
        if event.action in RDD_WRITES and event.action not in query.writes:
            query.writes.append(event.action)
        self._query_of_job[event.job_id] = query

    def ended(self, event: JobEnd) -> None:
        query = self._query_of_job.get(event.job_id)
        if query is None:
            return
        query.running -= 1
        query.end = event.time if event.time is not None else query.end
        if not event.succeeded:
            query.error = query.error or event.error or "a job of this query failed"

    def queries(self) -> tuple[Query, ...]:
        """One query per group of jobs that read a file or wrote, in the order they began."""
        return tuple(_query(q) for q in self._queries.values() if q.inputs or q.writes)


def _query(found: _RddQuery) -> Query:
    status = "failed" if found.error else "running" if found.running > 0 else "succeeded"
    return Query(
        execution_id=None,
        job_ids=tuple(found.job_ids),
        child_execution_ids=(),
        operation="rdd_write" if found.writes else "rdd_read",
        status=status,
        description=found.description,
        start=found.start,
        end=found.end,
        inputs=merge_datasets(found.inputs),
        outputs=(),
        warnings=tuple(f"writes with {action}: {UNLOGGED_WRITE}" for action in found.writes),
        error=found.error,
    )
