"""An OpenLineage consumer on 127.0.0.1, as Marquez's ``POST /api/v1/lineage`` behaves.

It refuses (HTTP 400) what Marquez refuses: a body that is not a run event of the official
schema (validated with the schema of ``../shared/reference/openlineage-spec`` when it is
there; else its required fields), and keeps runs upserted by run id, one state per event
type, as Marquez does, so sending the same event twice changes nothing. ``fail_next`` scripts
failing answers; ``hold_after`` keeps the answer to an event it has applied until
``release``, so a test can kill the sender between the two.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import orjson
import pytest

from tests.local_server import LocalServer


class OpenLineageServer(LocalServer):
    thread_name = "openlineage-server"

    def __init__(self, validate: Any = None) -> None:
        self.validate = validate  # an event -> list of errors, or None for required fields only
        self.received: list[dict[str, Any]] = []  # every accepted event, in order
        self.runs: dict[str, dict[str, Any]] = {}  # runId -> eventType -> the event
        self.refused = 0
        self.failures: list[int] = []  # statuses to answer with, next requests first
        self.retry_after: str | None = None  # the Retry-After header of those answers
        self._lock = threading.Lock()
        self._hold_at: int | None = None  # hold the answer to the event of this number
        self._held = threading.Event()
        self._released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *statuses: int, retry_after: str | None = None) -> None:
        self.failures.extend(statuses)
        self.retry_after = retry_after

    def hold_after(self, events: int) -> None:
        """Apply the ``events``-th event from now, then hold its answer until released."""
        self._hold_at = len(self.received) + events

    def wait_held(self, timeout: float) -> bool:
        return self._held.wait(timeout)

    def release(self) -> None:
        self._released.set()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                failing = bool(server.failures)
                status = server.accept(self.path, body)
                if server._hold_at is not None and len(server.received) == server._hold_at:
                    server._hold_at = None
                    server._held.set()
                    server._released.wait(60)
                self.send_response(status)
                if failing and server.retry_after is not None:
                    self.send_header("Retry-After", server.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def accept(self, path: str, body: bytes) -> int:
        with self._lock:
            if self.failures:
                return self.failures.pop(0)
            if path.rstrip("/") != "/api/v1/lineage":
                return 404
            try:
                event = orjson.loads(body)
            except orjson.JSONDecodeError:
                self.refused += 1
                return 400
            if self._problems(event):
                self.refused += 1
                return 400
            self.received.append(event)
            self.runs.setdefault(event["run"]["runId"], {})[event["eventType"]] = event
            return 201

    def _problems(self, event: Any) -> list[str]:
        if self.validate is not None:
            return list(self.validate(event))
        required = ("eventTime", "producer", "schemaURL", "run", "job")
        return [k for k in required if not isinstance(event, dict) or k not in event]


@pytest.fixture
def openlineage_server() -> Iterator[OpenLineageServer]:
    from tests.test_openlineage import SPEC, event_problems

    server = OpenLineageServer(event_problems if SPEC.is_dir() else None)
    with server:
        try:
            yield server
        finally:
            server.release()  # a held answer would keep the server from stopping
