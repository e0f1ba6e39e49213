"""``sparklineage extract``: the report of some logs, as text, JSON or Atlas payloads."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import orjson

from sparklineage.application import of_users
from sparklineage.atlas.mapping import plan_upload
from sparklineage.commands.reading import read_logs
from sparklineage.errors import ExitCode
from sparklineage.settings import Settings
from sparklineage.sinks.openlineage import render_ndjson
from sparklineage.sinks.output import write_output
from sparklineage.sinks.report import render_json, sort_key
from sparklineage.sinks.text import render_text


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    fmt: str | None,
    output: str | None,
    columns: bool,
    plans: bool,
    verbose: bool,
    users: Sequence[str],
) -> None:
    """Write the report; exit 3 when some log could not be read (the rest is reported)."""
    keep_plans = plans or fmt == "atlas"
    applications, partial = read_logs(paths, settings, plans=keep_plans, verbose=verbose)
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
    else:
        data = render_text(applications, columns=columns).encode()
    write_output(data, output)
    if partial:
        sys.exit(ExitCode.PARTIAL)
