"""``sparklineage emit``: OpenLineage run events, sent through the OpenLineage client's own
transport, configured as that client always is (see ``sinks/openlineage_transport.py``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from sparklineage.commands.reading import applications_of
from sparklineage.errors import ExitCode
from sparklineage.settings import Settings
from sparklineage.sinks.openlineage import run_events
from sparklineage.sinks.openlineage_transport import (
    Sender,
    event_failure,
    is_connection_failure,
    transport_of,
)
from sparklineage.sinks.report import sort_key

# A connection that failed past the client's own retries: the consumer is down, stop.
_UNREACHABLE_AFTER = 1


def run(paths: Sequence[str], settings: Settings, *, dry_run: bool) -> None:
    """Exit 3 when some events or logs failed (the rest was sent)."""
    applications, partial = applications_of(paths, settings, plans=False)
    events = list(run_events(sorted(applications, key=sort_key), settings.openlineage))
    if dry_run:
        click.echo(f"would send {len(events)} events of {len(applications)} applications", err=True)
        return
    transport = Sender(
        transport_of(settings.world.environ),
        budget=settings.catalog.retry_budget,
        sleep=settings.world.sleep,
        notify=lambda message: click.echo(f"sparklineage: {message}", err=True),
    )
    sent, failures, in_a_row = 0, 0, 0
    for event in events:
        try:
            transport.emit(event)
        except Exception as exc:  # the transport's errors are many and not ours to list
            failures += 1
            in_a_row = in_a_row + 1 if is_connection_failure(exc) else 0
            click.echo(f"sparklineage: error: {event_failure(event, exc)}", err=True)
            if in_a_row >= _UNREACHABLE_AFTER:
                click.echo(
                    "sparklineage: error: the OpenLineage consumer does not answer: stopped; "
                    f"{len(events) - sent - failures} events not sent",
                    err=True,
                )
                break
            continue
        sent += 1
        in_a_row = 0
    click.echo(
        f"{sent} events sent of {len(events)} ({len(applications)} applications); "
        f"{failures} failed",
        err=True,
    )
    if partial or sent < len(events):
        sys.exit(ExitCode.PARTIAL)
