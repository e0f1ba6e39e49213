"""``sparklineage emit``: OpenLineage run events, sent through the OpenLineage client.

The client of ``openlineage-python`` is configured as it always is (``OPENLINEAGE_URL`` and
``OPENLINEAGE_API_KEY``, ``openlineage.yml`` in the working directory or ``~/.openlineage``,
``OPENLINEAGE_CONFIG``, ``OPENLINEAGE__TRANSPORT__…`` variables), so a team reuses what its
other producers already have; its transport (http, file, console, kafka, …) sends the events,
with its own retries. Where nothing is configured the client would print the events to the
console unasked: that is refused, in one line saying what to set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from sparklineage.commands.reading import applications_of
from sparklineage.errors import ExitCode, UsageError
from sparklineage.http import failure_reason
from sparklineage.redact import redact_text
from sparklineage.settings import Settings
from sparklineage.sinks.openlineage import run_events
from sparklineage.sinks.report import sort_key

_CONFIG_FILES = ("openlineage.yml", os.path.join("~", ".openlineage", "openlineage.yml"))
# A connection that failed past the client's own retries: the consumer is down, stop.
_UNREACHABLE_AFTER = 1


def run(paths: Sequence[str], settings: Settings, *, dry_run: bool) -> None:
    """Exit 3 when some events or logs failed (the rest was sent)."""
    applications, partial = applications_of(paths, settings, plans=False)
    events = list(run_events(sorted(applications, key=sort_key), settings.openlineage))
    if dry_run:
        click.echo(f"would send {len(events)} events of {len(applications)} applications", err=True)
        return
    transport = _transport(settings.world.environ)
    sent, failures, in_a_row = 0, 0, 0
    for event in events:
        try:
            transport.emit(event)
        except Exception as exc:  # the transport's errors are many and not ours to list
            failures += 1
            in_a_row = in_a_row + 1 if _is_connection(exc) else 0
            click.echo(f"sparklineage: error: {_described(event, exc)}", err=True)
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


def _transport(environ: Mapping[str, str]) -> Any:
    try:
        from openlineage.client import OpenLineageClient
    except ImportError:
        raise UsageError(
            "emit needs the OpenLineage client: pip install 'spark-eventlog-lineage[openlineage]'"
        ) from None
    if not _configured(environ):
        raise UsageError(
            "no OpenLineage transport configured: set OPENLINEAGE_URL (and OPENLINEAGE_API_KEY), "
            "or write openlineage.yml (docs/openlineage.md)"
        )
    try:
        return OpenLineageClient().transport
    except Exception as exc:  # a configuration the client cannot read
        raise UsageError(
            f"the OpenLineage client's configuration: {redact_text(str(exc))}"
        ) from None


def _configured(environ: Mapping[str, str]) -> bool:
    if environ.get("OPENLINEAGE_URL") or environ.get("OPENLINEAGE_CONFIG"):
        return True
    if any(k.startswith("OPENLINEAGE__TRANSPORT") for k in environ):
        return True
    return any(os.path.isfile(os.path.expanduser(p)) for p in _CONFIG_FILES)


def _is_connection(exc: Exception) -> bool:
    import requests

    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def _described(event: dict[str, Any], exc: Exception) -> str:
    """One line: which event, and why (the HTTP status, or what the connection did)."""
    what = f"{event['eventType']} of {event['job']['name']} (run {event['run']['runId']})"
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        reason = f"HTTP {response.status_code}"
    elif _is_connection(exc):
        reason = failure_reason(exc)
    else:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    return redact_text(f"{what}: {reason}")
