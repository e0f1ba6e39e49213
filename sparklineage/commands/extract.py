"""``sparklineage extract``: the report of some logs, as text, JSON or Atlas payloads."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import orjson

from sparklineage.application import of_users, without_copies
from sparklineage.atlas.mapping import plan_upload
from sparklineage.commands.reading import applications_of, read_pieces
from sparklineage.commands.spark import SparkJob, read_on_spark, write_parts_on_spark
from sparklineage.commands.sync import key_values
from sparklineage.errors import ExitCode, UsageError
from sparklineage.settings import Settings
from sparklineage.sinks.html import render_html
from sparklineage.sinks.openlineage import render_ndjson
from sparklineage.sinks.output import write_output
from sparklineage.sinks.report import render_json, sort_key
from sparklineage.sinks.text import render_text
from sparklineage.work import is_url


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    engine: str = "local",
    master: str | None = None,
    storage_options: Sequence[str] = (),
    fmt: str | None,
    output: str | None,
    columns: bool,
    plans: bool,
    verbose: bool,
    users: Sequence[str],
) -> None:
    """Write the report; exit 3 when some log could not be read (the rest is reported)."""
    keep_plans = plans or fmt == "atlas"
    _check_engine_options(engine, settings, fmt=fmt, output=output, users=users)
    job = SparkJob(master, key_values(storage_options), verbose=verbose)
    if fmt == "parts":
        assert output is not None
        if write_parts_on_spark(job, paths, settings, output, plans=plans):
            sys.exit(ExitCode.PARTIAL)
        return
    if engine == "spark":
        applications, partial = read_on_spark(job, paths, settings, plans=keep_plans)
    elif any(is_url(p) for p in paths):  # listed and copied as sync does, read here
        applications, partial = read_pieces(
            paths, settings, key_values(storage_options), plans=keep_plans, verbose=verbose
        )
    else:  # logs, or reports (a report drawn as a page, or shown as text)
        applications, partial = applications_of(
            paths, settings, plans=keep_plans, in_report_order=False, verbose=verbose
        )
    applications = without_copies(applications)  # the other readers' results too
    if users:
        applications = of_users(applications, users)
    if fmt is None:
        fmt = "text" if output is None and sys.stdout.isatty() else "json"
    if fmt == "json":
        data = render_json(applications, plans=plans)
    elif fmt == "atlas":
        plan = plan_upload(sorted(applications, key=sort_key), settings.mapping)  # as upload
        data = orjson.dumps(plan.payloads(), option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "openlineage":
        data = render_ndjson(sorted(applications, key=sort_key), settings.openlineage)
    elif fmt == "html":
        data = render_html(applications)
    else:
        data = render_text(applications, columns=columns).encode()
    write_output(data, output)
    if partial:
        sys.exit(ExitCode.PARTIAL)


def _check_engine_options(
    engine: str,
    settings: Settings,
    *,
    fmt: str | None,
    output: str | None,
    users: Sequence[str],
) -> None:
    """What an engine cannot do, said before anything is read (or a session started)."""
    if fmt == "parts" and engine != "spark":
        raise UsageError("--format parts is the Spark engine's: add --engine spark")
    if engine != "spark":
        return
    if settings.jobs > 1:
        raise UsageError(
            "--jobs is the local engine's; with --engine spark, the cluster's cores read "
            "(--master local[N] on one machine)"
        )
    if fmt == "parts" and not output:
        raise UsageError("--format parts writes a directory: give it with -o OUT")
    if fmt == "parts" and users:
        raise UsageError("--user is not available with --format parts: filter a JSON report")
