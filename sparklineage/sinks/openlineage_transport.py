"""Sending run events through the OpenLineage client's own transport (``emit``,
``sync --openlineage``).

The client of ``openlineage-python`` is configured as it always is (``OPENLINEAGE_URL`` and
``OPENLINEAGE_API_KEY``, ``openlineage.yml`` in the working directory or ``~/.openlineage``,
``OPENLINEAGE_CONFIG``, ``OPENLINEAGE__TRANSPORT__…`` variables), so a team reuses what its
other producers already have; its transport (http, file, console, kafka, …) sends the events,
with its own retries (of 5xx answers and broken connections). What the client does not retry
is a throttled answer (HTTP 429): :class:`Sender` waits as the consumer asks and sends again,
within a time budget, as the Atlas client does. Where nothing is configured the client would
print the events to the console unasked: that is refused, in one line saying what to set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sparklineage.errors import UsageError
from sparklineage.http import ReadRetry, failure_reason
from sparklineage.redact import redact_text

_CONFIG_FILES = ("openlineage.yml", os.path.join("~", ".openlineage", "openlineage.yml"))


def transport_of(environ: Mapping[str, str]) -> Any:
    """The transport the OpenLineage client is configured with; a usage error when none is."""
    try:
        from openlineage.client import OpenLineageClient
    except ImportError:
        raise UsageError(
            "sending OpenLineage events needs the OpenLineage client: "
            "pip install 'spark-eventlog-lineage[openlineage]'"
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


@dataclass
class Sender:
    """A transport that waits out a throttling consumer: an event answered with HTTP 429 is
    sent again after the consumer's ``Retry-After`` (else a growing backoff), until
    ``budget`` seconds were spent on it; then its error is raised like any other."""

    transport: Any
    budget: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    notify: Callable[[str], None] = lambda _message: None

    def emit(self, event: dict[str, Any]) -> None:
        waited, attempt = 0.0, 0
        while True:
            try:
                self.transport.emit(event)
                return
            except Exception as exc:  # re-raised unless it is a throttled answer
                response = getattr(exc, "response", None)
                if getattr(response, "status_code", None) != 429:
                    raise
                attempt += 1
                wait = ReadRetry().wait(attempt, response)
                if waited + wait > self.budget:
                    raise
            self.notify(f"the OpenLineage consumer throttles (HTTP 429): waiting {wait:.1f}s")
            self.sleep(wait)
            waited += wait


def target_of(transport: Any) -> str:
    """Where a transport sends, as a sync state names its target: URL and endpoint for
    HTTP, else the transport's kind (file, console, kafka…) and what it writes to."""
    where = getattr(transport, "url", None) or getattr(transport, "kind", None) or "openlineage"
    for detail in ("endpoint", "topic", "log_file_path"):
        value = getattr(transport, detail, None) or getattr(
            getattr(transport, "config", None), detail, None
        )
        if value:
            where += f" {value}"
    return redact_text(str(where))


def is_connection_failure(exc: Exception) -> bool:
    """The consumer did not answer at all (past the client's own retries): stop sending."""
    import requests

    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def event_failure(event: dict[str, Any], exc: Exception) -> str:
    """One line: which event, and why (the HTTP status, or what the connection did)."""
    what = f"{event['eventType']} of {event['job']['name']} (run {event['run']['runId']})"
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        reason = f"HTTP {response.status_code}"
    elif is_connection_failure(exc):
        reason = failure_reason(exc)
    else:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    return redact_text(f"{what}: {reason}")


def _configured(environ: Mapping[str, str]) -> bool:
    if environ.get("OPENLINEAGE_URL") or environ.get("OPENLINEAGE_CONFIG"):
        return True
    if any(k.startswith("OPENLINEAGE__TRANSPORT") for k in environ):
        return True
    return any(os.path.isfile(os.path.expanduser(p)) for p in _CONFIG_FILES)
