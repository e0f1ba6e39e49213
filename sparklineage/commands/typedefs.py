"""``sparklineage typedefs``: create or update the Atlas types sparklineage uploads."""

from __future__ import annotations

import click

from sparklineage.commands.catalog import connected
from sparklineage.settings import Settings


def run(settings: Settings, *, dry_run: bool) -> None:
    from sparklineage.atlas.upload import sync_typedefs

    spark_types = settings.mapping.spark_types
    client = connected(settings)
    created, updated = sync_typedefs(client, dry_run=dry_run, spark_types=spark_types)
    verb = "would " if dry_run else ""
    for name in created:
        click.echo(f"{verb}create {name}")
    for name in updated:
        click.echo(f"{verb}update {name}")
    if not created and not updated:
        click.echo("all types are up to date")
