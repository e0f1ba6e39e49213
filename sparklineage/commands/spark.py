"""``extract --engine spark``: the driver's side, said as the local engine says it.

The job itself is :mod:`sparklineage.spark_engine`; here are what the user sees of it:
problems on stderr in the local engine's words, and whether the run was partial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from sparklineage.application import Application
from sparklineage.commands.reading import is_partial, say_outcomes
from sparklineage.redact import redact_text
from sparklineage.settings import Settings
from sparklineage.spark_engine import collected, spark_session, write_parts
from sparklineage.work import find_work


@dataclass(frozen=True)
class SparkJob:
    """How the Spark engine runs: on which master, reading URLs with which options."""

    master: str | None
    storage_options: dict[str, Any]
    verbose: bool = False  # each application's warnings on stderr too


def read_on_spark(
    job: SparkJob, paths: Sequence[str], settings: Settings, *, plans: bool
) -> tuple[list[Application], bool]:
    """Every application under ``paths``, read by a Spark job, in the local engine's order."""
    found = find_work(paths, job.storage_options)
    spark, ours = spark_session(job.master)
    try:
        outcomes = collected(spark, found.work, reading=settings.reading, plans=plans)
    finally:
        if ours:
            spark.stop()
    report = say_outcomes(found, outcomes, verbose=job.verbose)
    return report.applications, is_partial(report)


def write_parts_on_spark(
    job: SparkJob, paths: Sequence[str], settings: Settings, out: str, *, plans: bool
) -> bool:
    """Every application under ``paths`` as part files under ``out``; True when partial."""
    found = find_work(paths, job.storage_options)
    spark, ours = spark_session(job.master)
    try:
        outcomes, written = write_parts(
            spark, found.work, out, reading=settings.reading, plans=plans
        )
    finally:
        if ours:
            spark.stop()
    report = say_outcomes(found, outcomes, verbose=job.verbose)
    click.echo(f"{written} applications written to {redact_text(out)}", err=True)
    return is_partial(report)
