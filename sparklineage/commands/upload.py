"""``sparklineage upload``: the lineage of logs or reports, sent where the catalog differs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from sparklineage.atlas.mapping import plan_upload
from sparklineage.commands.catalog import batch_limits, connected
from sparklineage.commands.reading import applications_of
from sparklineage.errors import ExitCode
from sparklineage.redact import redact_text
from sparklineage.settings import Settings


def run(paths: Sequence[str], settings: Settings, *, dry_run: bool) -> None:
    """Exit 3 when some logs or entities failed (the rest landed)."""
    from sparklineage.atlas.upload import check_types, prepare, summary_line, upload

    client = connected(settings)
    applications, partial = applications_of(paths, settings)
    plan = plan_upload(applications, settings.mapping)
    check_types(client, plan)
    changes = prepare(client, plan)
    for line in changes.left_out:
        click.echo(f"sparklineage: {line}", err=True)
    if dry_run:
        for change in changes.entities:
            click.echo(change.line())
        click.echo(summary_line(changes.count(), " (dry run: nothing sent)"), err=True)
        return
    result = upload(client, changes, batch_limits(settings), settings.collection)
    for failure in result.failures:
        click.echo(f"sparklineage: error: {redact_text(failure)}", err=True)
    click.echo(result.summary(), err=True)
    if partial or result.failures:
        sys.exit(ExitCode.PARTIAL)
