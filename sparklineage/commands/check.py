"""``sparklineage check``: the lineage of logs (or a report) against an expected file."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from sparklineage.check import differences, expected_document, load_expected, render_expected
from sparklineage.commands.reading import applications_of
from sparklineage.errors import ExitCode, UsageError, shown
from sparklineage.settings import Settings
from sparklineage.sinks.html import render_diff_html
from sparklineage.sinks.output import write_output
from sparklineage.sinks.report import load_report


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    expected: str,
    update: bool,
    html: str | None = None,
) -> None:
    """Exit 0 when equal (or written), 1 with the differences, 3 when a log is unreadable;
    with ``html``, the diff drawn as a lineage page too, equal or not."""
    applications, partial = applications_of(paths, settings, plans=False)
    if partial:
        click.echo("sparklineage: not compared: some logs could not be read", err=True)
        sys.exit(ExitCode.PARTIAL)
    queries = sum(len(a.queries) for a in applications)
    if update:
        write_output(render_expected(applications), expected)
        click.echo(
            f"wrote {expected}: {len(applications)} applications, {queries} queries", err=True
        )
        return
    wanted, actual = _expected(expected), expected_document(applications)["applications"]
    changes = differences(wanted, actual)
    if html:
        title = f"Lineage of {len(paths)} path(s) against {os.path.basename(expected)}"
        write_output(render_diff_html(wanted, actual, title=title), html)
    if changes:
        click.echo(f"lineage differs from {expected}:")
        click.echo("\n".join(f"  {line}" for line in changes))
        sys.exit(ExitCode.DIFFERS)
    click.echo(f"lineage matches {expected}: {len(applications)} applications, {queries} queries")


def _expected(path: str) -> dict[str, Any]:
    """What an expected file expects, or the lineage of a report (an earlier run's)."""
    try:
        reported = load_report(path)
        if reported is not None:
            return dict(expected_document(reported)["applications"])
        with open(path, "rb") as handle:
            return load_expected(handle.read(), path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; write it with --update") from None
    except OSError as exc:
        raise UsageError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from None
