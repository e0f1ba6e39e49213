"""An OpenLineage consumer on 127.0.0.1, as Marquez's ``POST /api/v1/lineage`` behaves.

It refuses (HTTP 400) what Marquez refuses: a body that is not a run event of the official
schema (validated with the schema of ``../shared/reference/openlineage-spec`` when it is
there; else its required fields), and keeps runs upserted by run id, one state per event
type, as Marquez does, so sending the same event twice changes nothing. ``fail_next`` scripts
failing answers.
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
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = server.accept(self.path, body)
                self.send_response(status)
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
        yield server
