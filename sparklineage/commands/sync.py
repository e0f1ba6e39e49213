"""``sparklineage sync``: land what is new in some sources in the catalog, for cron."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from sparklineage.commands.catalog import batch_limits, connected
from sparklineage.commands.reading import count_bar
from sparklineage.errors import ExitCode, UsageError
from sparklineage.settings import Settings


def run(
    sources: Sequence[str],
    settings: Settings,
    *,
    history_servers: Sequence[str],
    state: Path | None,
    wait: bool,
    include_incomplete: bool,
    since: str | None,
    dry_run: bool,
    storage_options: Sequence[str],
    quiet: bool,
    openlineage: bool = False,
) -> None:
    """Exit 3 when some applications failed, 75 when another sync holds the state.
    ``openlineage``: land in the consumer the OpenLineage client is configured for."""
    from sparklineage.logs.candidates import Source
    from sparklineage.logs.sources import source_of
    from sparklineage.state import default_state_path, exclusive, open_state
    from sparklineage.sync import (
        OpenLineageSyncer,
        Syncer,
        SyncOptions,
        openlineage_target_key,
        since_epoch,
        target_key,
    )

    if not sources and not history_servers:
        raise UsageError("give a SOURCE (log directory or URL) or --history-server URL")
    say = (lambda _line: None) if quiet else click.echo
    if openlineage:
        from sparklineage.sinks.openlineage_transport import Sender, transport_of

        configured = transport_of(settings.world.environ)
        target = openlineage_target_key(configured, settings.openlineage)
        transport = Sender(
            configured, settings.catalog.retry_budget, sleep=settings.world.sleep, notify=say
        )
    else:
        client = connected(settings)
        if quiet:
            client.notify = say  # waits are not errors: cron mail hears only of failures
        target = target_key(client, settings.mapping)
    fs_options = key_values(storage_options)
    where = [source_of(s, fs_options) for s in sources]
    where += [
        Source(
            "history-server",
            url.rstrip("/"),
            given=url,
            timeout=settings.catalog.timeout,
            sleep=settings.world.sleep,
        )
        for url in history_servers
    ]
    options = SyncOptions(
        include_incomplete=include_incomplete,
        since=since_epoch(since, settings.world.clock()) if since else None,
        jobs=settings.jobs,
        dry_run=dry_run,
        reading=settings.reading,
        mapping=settings.mapping,
        limits=batch_limits(settings),
        collection=settings.collection,
    )
    state_path = state or default_state_path()
    warn = functools.partial(click.echo, err=True)
    errors = lambda m: warn(f"sparklineage: error: {m}")  # noqa: E731
    lock = nullcontext() if dry_run else exclusive(state_path, wait=wait, on_wait=warn)
    with lock, open_state(state_path, target, read_only=dry_run, wait=wait) as memory:
        syncer = (
            OpenLineageSyncer(transport, memory, options, settings.openlineage, say, errors)
            if openlineage
            else Syncer(client, memory, options, say=say, warn=errors)
        )
        with count_bar(settings.progress, "syncing applications") as advance:
            summary = syncer.run(where, on_progress=advance)
    for line in summary.lines(dry_run=dry_run):
        say(line)
    if summary.partial:
        sys.exit(ExitCode.PARTIAL)


def key_values(pairs: Sequence[str]) -> dict[str, Any]:
    """``--storage-option`` KEY=VALUE pairs; true/false become booleans (fsspec wants them)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--storage-option {key!r}: give KEY=VALUE")
        options[key] = {"true": True, "false": False}.get(value.lower(), value)
    return options
