"""``extract --engine spark``: the logs read by a Spark job, with the code the CLI reads them with.

A backfill of years of logs outgrows one machine; the teams that have it already run Spark.
The driver finds the applications as ``extract`` does (local or mounted paths by the same
walk, fsspec URLs by the listing ``sync`` uses), deals them out in partitions of about equal
bytes, and each executor probes and reads its share with :func:`probe_and_read`, the
function ``--jobs`` workers run. What comes back is either collected, to be written as the local
engine writes it (any ``--format``, byte for byte the same), or, for runs too big for one
driver, written by Spark itself as JSON-lines part files partitioned by application date
(``--format parts``, read back by ``upload``, ``emit`` and ``check``; see docs/scale.md).

Nothing about one log fails the Spark job: a log that cannot be read comes back as an
unreadable application (its ``read_error``) or as a problem of its path, and the driver says
it as the local engine does. Only the driver talks to the catalog, later: see docs/scale.md.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import operator
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from sparklineage.application import Application, ReadOptions, copy_identity, kept_copy
from sparklineage.errors import SparkJobError, UsageError
from sparklineage.redact import redact_url
from sparklineage.sinks.report import SCHEMA, application_entry, iso_time
from sparklineage.work import Outcome, Work, read_work

PARTITIONS_PER_CORE = 4  # small enough shares that one big log does not hold up the rest


def balanced(work: Sequence[Work], partitions: int) -> list[list[Work]]:
    """``work`` dealt into at most ``partitions`` shares of about equal bytes: the biggest
    first, each to the lightest share so far (within 4/3 of the best split)."""
    count = max(1, min(partitions, len(work)))
    shares: list[list[Work]] = [[] for _ in range(count)]
    lightest = [(0, i) for i in range(count)]
    for item in sorted(work, key=lambda w: (-w.size, w.index)):
        load, i = heapq.heappop(lightest)
        shares[i].append(item)
        heapq.heappush(lightest, (load + item.size, i))
    return [share for share in shares if share]


def read_share(share: Iterable[Work], *, reading: ReadOptions, plans: bool) -> Iterator[Outcome]:
    """An executor's share, read one piece at a time (memory is that of one log)."""
    for item in share:
        yield read_work(item, reading=reading, plans=plans)


def partition_date(app: Application) -> str:
    """The partition an application's part line goes to: the UTC day it started."""
    start = iso_time(app.start)
    return start[:10] if start else "unknown"


def part_line(app: Application, *, plans: bool) -> str:
    """One application as a line of a part file: a report document of its own, so every
    line is read by the report reader as it is."""
    document = {"schema": SCHEMA, "applications": [application_entry(app, plans=plans)]}
    return orjson.dumps(document).decode()


# ------------------------------------------------------------------ the Spark side


def spark_session(master: str | None) -> tuple[Any, bool]:
    """The session already there (a notebook, a Databricks job task: its context runs
    before our code does) or a new one (``--master``, or spark-submit's); True when it is
    ours to stop. A clear message when pyspark is not installed."""
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(
            "--engine spark needs pyspark: pip install 'spark-eventlog-lineage[spark]' "
            "(or run under spark-submit)"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if SparkContext._active_spark_context is not None:
        return SparkSession.builder.getOrCreate(), False
    if (master or "").startswith("local"):
        # Local executors are this machine's Python: the one that has sparklineage.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("sparklineage extract")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit: the JVM is ours
        quiet = Path(__file__).with_name("spark_log4j2.properties")
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={quiet}"
        ).config("spark.ui.showConsoleProgress", "false")
    if master:
        builder = builder.master(master)
    return builder.getOrCreate(), True


def outcomes_rdd(spark: Any, work: Sequence[Work], *, reading: ReadOptions, plans: bool) -> Any:
    """The RDD of every piece's :class:`Outcome`, one balanced share per partition."""
    context = spark.sparkContext
    shares = balanced(work, context.defaultParallelism * PARTITIONS_PER_CORE)
    read = functools.partial(read_share, reading=reading, plans=plans)
    return context.parallelize(shares, len(shares)).flatMap(read)


def collected(
    spark: Any, work: Sequence[Work], *, reading: ReadOptions, plans: bool
) -> list[Outcome]:
    """Every outcome on the driver, in the local engine's order."""
    if not work:
        return []
    rdd = outcomes_rdd(spark, work, reading=reading, plans=plans)
    with _job_failures("read the logs"):
        outcomes = rdd.collect()
    return sorted(outcomes, key=lambda o: o.index)


def write_parts(
    spark: Any, work: Sequence[Work], out: str, *, reading: ReadOptions, plans: bool
) -> tuple[list[Outcome], int]:
    """Every application as a line of a part file under ``out/date=YYYY-MM-DD/``, written
    by Spark (through the cluster's own filesystem); the driver gets back only what went
    wrong (an outcome without its applications' content) and how many lines were written.
    Copies of one application found in two places are written once, the copy the local
    engine keeps (:func:`~sparklineage.application.kept_copy`): they meet by their identity."""
    from pyspark.accumulators import AccumulatorParam

    class Merged(AccumulatorParam):
        """Entries by key: a retried task adds what its first try added, no more."""

        def zero(self, value: dict[Any, Any]) -> dict[Any, Any]:
            return {}

        def addInPlace(  # pyspark's name
            self, value1: dict[Any, Any], value2: dict[Any, Any]
        ) -> dict[Any, Any]:
            value1.update(value2)
            return value1

    if not work:
        return [], 0  # nothing to read: no job, no directory (as the local engine writes none)
    said = spark.sparkContext.accumulator({}, Merged())
    written = spark.sparkContext.accumulator({}, Merged())  # the identities of lines written
    rdd = outcomes_rdd(spark, work, reading=reading, plans=plans)
    # Copies meet by identity; each group is small (one application, the few places it was).
    copies = rdd.flatMap(functools.partial(_copies, said=said)).reduceByKey(operator.add)
    rows = copies.map(functools.partial(_row, written=written, plans=plans))
    frame = spark.createDataFrame(rows, "date string, value string")
    # One file a day: each day's lines to one task (as many tasks as shares, not Spark's 200).
    with _job_failures(f"write {redact_url(out)}"):
        frame.repartition(rdd.getNumPartitions(), "date").write.partitionBy("date").text(out)
    return sorted(said.value.values(), key=lambda o: o.index), len(written.value)


@contextmanager
def _job_failures(doing: str) -> Iterator[None]:
    """A Spark failure as one line: an output that exists is the user's to move; anything
    else failed the job as a whole (the logs' own problems never do)."""
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ not in ("Py4JJavaError", "AnalysisException", "Py4JError"):
            raise
        java = getattr(exc, "java_exception", None)  # Py4JJavaError: the JVM's own words
        text = str(java.toString()) if java is not None else str(exc)
        first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
        if "already exists" in first:
            raise UsageError(f"{first.strip()[:300]}: give a new directory with -o") from None
        raise SparkJobError(
            f"the Spark job failed and nothing was written ({first.strip()[:300]}); "
            f"run it again once the cluster is well (could not {doing})"
        ) from None


def _copies(outcome: Outcome, *, said: Any) -> Iterator[tuple[int, tuple[Application, ...]]]:
    """An outcome's applications keyed by their copy identity; its summary (problems, and
    unreadable applications only) goes to the driver."""
    said.add(
        {
            outcome.index: Outcome(
                outcome.index,
                tuple(a for a in outcome.applications if a.read_error),
                outcome.problems,
                outcome.strict,
                outcome.probed,
            )
        }
    )
    for app in outcome.applications:
        # An int key: Python's string hashes differ between workers unless seeded.
        digest = hashlib.sha1(repr(copy_identity(app)).encode()).digest()
        yield int.from_bytes(digest[:8], "big"), (app,)


def _row(
    keyed: tuple[int, tuple[Application, ...]], *, written: Any, plans: bool
) -> tuple[str, str]:
    """The part line of the copy kept, naming the others."""
    identity, same = keyed
    written.add({identity: True})
    kept = kept_copy(same)
    return partition_date(kept), part_line(kept, plans=plans)
