"""A Spark-History-Server-like REST server for tests of the History Server source of ``sync``.

Why it exists: the client must be tested over real HTTP against what the real server answers,
and against the failures it must survive, without a JVM in the test run. It serves a
directory of real event logs that the test controls (and may change between requests: the
directory is scanned again on every request, as the real server scans it periodically), with
the application metadata read from the logs themselves by sparklineage's own reader.

What it copies from the real server, as observed on Spark 3.5.9 and 4.0.5 over copies of
tests/fixtures/eventlogs (see tests/fixtures/history_server/README.md) and in Spark's source
(FsHistoryProvider, ApplicationListResource, OneApplicationResource, EventLogFileReaders):

- only the log directory's top-level entries are logs: single files and ``eventlog_v2_*``
  directories; a log without an application start event is not listed;
- ``GET /api/v1/applications``: every application by default; ``status`` (repeatable,
  case-insensitive ``completed`` / ``running``; anything else is a 404 HTML page), the date
  window ``minDate`` (default 2010-01-01), ``maxDate``, ``minEndDate``, ``maxEndDate`` (400
  ``Couldn't parse date: …``), and ``limit`` (absent: all; ``-1``: none). Applications come in
  descending end time (running ones, end -1, last), ties by descending id;
- an application's ``attempts`` in descending start time; ``attemptId`` only when the log's
  start event has one; a running attempt has ``endTimeEpoch`` -1 (``endTime``
  ``1969-12-31T23:59:59.999GMT``), ``duration`` 0 and ``completed`` false — completed means the
  log holds the application end event;
- ``lastUpdatedEpoch``: for a completed attempt the modification time of the log (of its
  last ``events_N`` file when rolling); for a running one the time the server read the log.
  A log is looked at again only when it grew (its last file's size or number): a rolling log
  is then read again; a single file is not (``spark.history.fs.inProgressOptimization``, on
  by default) — only its ``lastUpdated`` becomes the time of the scan, finished or not.
  Touching a log's modification time changes nothing; a renamed log (``.inprogress`` gone)
  is a new log;
- ``GET …/applications/{id}`` (404 ``unknown app: {id}``), ``…/{id}/{attemptId}`` (404
  ``unknown app {id}, attempt {attemptId}``), and ``…/{id}[/{attemptId}]/logs``: a zip
  (deflated, streamed with data descriptors, chunked) of the log files — ``{name}`` for a
  single file; ``eventlog_v2_{id}/`` then ``eventlog_v2_{id}/{file}`` for each file of a
  rolling directory. Without an attempt id: every attempt's log, if the application has an
  attempt without id or with id ``1`` (else 404 ``no such app: {id}/1``); an unknown attempt
  is 404 ``no such app: {id}/{attemptId}``. Content-Disposition ``attachment;
  filename=eventLogs-{id}[-{attemptId}].zip``;
- bodies are gzip-encoded when the client accepts it (Jetty's GzipHandler), zips included;
  error texts are ``text/plain``, unknown routes a Jetty HTML 404 page;
- a wrong path is not always a 404: the summary page (200 ``text/html``) answers every path
  outside ``/api/``, ``/history/`` (404) and ``/static/``, e.g. ``/x/api/v1/applications``.

Not copied: the web UI (the summary page is a stub), every other REST endpoint (404), ACLs.
Basic authentication (``auth=(user, password)``) stands for a gateway in front of the server:
the real one has none of its own. Scripted faults (``add_fault``): ``("status", code)``,
``("drop",)`` (close without answering), ``("truncate",)`` (headers and half of the body,
then close), ``("slow", seconds)``, ``("body", content_type, bytes)`` (any answer, e.g. a
login page or a zip with hostile entry names), ``("gzipped", content_type, bytes)`` (bytes
already gzip-compressed, sent as a gzip-encoded body: a bomb), ``("trickle", seconds)`` (the
real answer, one byte per chunk, ``seconds`` apart).
"""

from __future__ import annotations

import base64
import gzip
import hmac
import io
import json
import re
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from sparklineage.application import read_application
from sparklineage.logs.discovery import ROLLING_PREFIX, LogSource, discover_walked
from tests.local_server import LocalServer, QuietHTTPServer

API = "/api/v1"
_ROLLING_EVENTS = re.compile(r"^events_(\d+)_")
_DEFAULT_MIN_DATE = "2010-01-01"
_DEFAULT_MAX_DATE = "3000-01-01"
_GZIP_MIN_BYTES = 32  # Jetty's GzipHandler leaves smaller bodies alone
_HTML = "text/html;charset=utf-8"
_SUMMARY_PAGE = (
    b"<!DOCTYPE html><html><head><title>History Server</title></head><body></body></html>"
)


class HttpAnswer(Exception):
    """An error answer: status, content type and body."""

    def __init__(self, status: int, body: str, content_type: str = "text/plain") -> None:
        super().__init__(f"{status} {body[:80]}")
        self.status, self.body, self.content_type = status, body, content_type


def _not_found_page(path: str) -> HttpAnswer:
    """Jetty's HTML 404, which the real server gives for unknown routes and bad parameters."""
    page = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
        "<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n"
        f"<table>\n<tr><th>URI:</th><td>{path}</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n"
        "<tr><th>MESSAGE:</th><td>Not Found</td></tr>\n</table>\n\n</body>\n</html>\n"
    )
    return HttpAnswer(404, page, "text/html;charset=iso-8859-1")


# --------------------------------------------------------------------------------------------
# The logs, as the real server's listing sees them


@dataclass(frozen=True)
class Attempt:
    """One application attempt, read from one log of the directory."""

    app_id: str
    attempt_id: str | None
    name: str
    user: str
    spark_version: str
    start: int  # epoch ms
    end: int  # epoch ms, -1 while running
    last_updated: int  # epoch ms
    completed: bool
    root: Path  # the single file or the eventlog_v2_ directory

    def as_json(self) -> dict[str, Any]:
        """ApplicationAttemptInfo as Jackson writes it (attemptId left out when None)."""
        info: dict[str, Any] = {} if self.attempt_id is None else {"attemptId": self.attempt_id}
        duration = self.end - self.start if self.completed else 0
        info |= {
            "startTime": _date(self.start),
            "endTime": _date(self.end),
            "lastUpdated": _date(self.last_updated),
            "duration": duration,
            "sparkUser": self.user,
            "completed": self.completed,
            "appSparkVersion": self.spark_version,
            "startTimeEpoch": self.start,
            "endTimeEpoch": self.end,
            "lastUpdatedEpoch": self.last_updated,
        }
        return info

    def zip_entries(self) -> list[tuple[str, Path | None]]:
        """(entry name, file) pairs as EventLogFileReader.zipEventLogFiles writes them; a
        None file is a directory entry."""
        if not self.root.is_dir():
            return [(self.root.name, self.root)]
        prefix = self.root.name + "/"
        return [(prefix, None)] + [(prefix + f.name, f) for f in _rolling_files(self.root)]


@dataclass
class _Parsed:
    """A log as last read: what decides whether the real server would read it again."""

    last_index: int
    last_size: int
    attempts: list[Attempt]


def _date(epoch_ms: int) -> str:
    """Spark's REST date format, e.g. 2026-11-24T04:02:51.075GMT (-1 is 1969-…59.999GMT)."""
    seconds, millis = divmod(epoch_ms, 1000)
    when = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}GMT"


def _rolling_files(directory: Path) -> list[Path]:
    """All files of a rolling log directory: events_N in N order, then the rest by name."""
    files = [f for f in directory.iterdir() if f.is_file() and not f.name.startswith(".")]

    def order(f: Path) -> tuple[int, int, str]:
        match = _ROLLING_EVENTS.match(f.name)
        return (0, int(match.group(1)), "") if match else (1, 0, f.name)

    return sorted(files, key=order)


def _last_file(root: Path) -> tuple[Path, int]:
    """The file whose size and modification time the real server watches, and its index."""
    if not root.is_dir():
        return root, 0
    events = [f for f in _rolling_files(root) if _ROLLING_EVENTS.match(f.name)]
    if not events:
        return root, 0
    last = events[-1]
    match = _ROLLING_EVENTS.match(last.name)
    return last, int(match.group(1)) if match else 0


def _read_attempts(root: Path) -> list[Attempt]:
    """Read the log at ``root`` with sparklineage's reader: one attempt, or none when the log
    has no application start (the real server does not list those)."""
    attempts = []
    for source in discover_walked(root).sources:
        attempt = _attempt_of(root, source)
        if attempt is not None:
            attempts.append(attempt)
    return attempts


def _attempt_of(root: Path, source: LogSource) -> Attempt | None:
    app = read_application(source)
    if app.start is None or any("no application start event" in w for w in app.warnings):
        return None
    completed = app.end is not None
    last, _ = _last_file(root)
    now_ms = int(time.time() * 1000)
    return Attempt(
        app_id=app.id,
        attempt_id=app.attempt,
        name=app.name or "",
        user=app.user or "",
        spark_version=app.spark_version or "",
        start=app.start,
        end=app.end if completed and app.end is not None else -1,
        last_updated=int(last.stat().st_mtime * 1000) if completed else now_ms,
        completed=completed,
        root=root,
    )


# --------------------------------------------------------------------------------------------
# HTTP server


@dataclass(frozen=True)
class _Fault:
    """One scripted failure, consumed by the first request whose path contains ``where``."""

    kind: str
    status: int = 0
    seconds: float = 0.0
    content_type: str = ""
    body: bytes = b""
    where: str | None = None


def _parse_fault(fault: tuple[Any, ...], where: str | None) -> _Fault:
    """Check a fault tuple when it is added, so a typo fails the test that wrote it."""
    match fault:
        case ("status", int(status)):
            return _Fault("status", status=status, where=where)
        case ("drop",) | ("truncate",):
            return _Fault(fault[0], where=where)
        case ("slow", int(seconds) | float(seconds)) if seconds >= 0:
            return _Fault("slow", seconds=float(seconds), where=where)
        case ("trickle", int(seconds) | float(seconds)) if seconds > 0:
            return _Fault("trickle", seconds=float(seconds), where=where)
        case ("body" | "gzipped", str(content_type), bytes(body)):
            return _Fault(fault[0], content_type=content_type, body=body, where=where)
    raise ValueError(
        f"unknown fault {fault!r}: use ('status', code), ('drop',), ('truncate',), "
        "('slow', seconds), ('trickle', seconds), ('body', content_type, bytes) or "
        "('gzipped', content_type, gzip bytes)"
    )


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    path: str  # below the base path, percent-decoded, without the query
    query: dict[str, list[str]]
    status: int  # 0 when the connection was dropped without an answer
    authorization: str | None
    user_agent: str | None = None


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class HistoryServer(LocalServer):
    """The server: start it (or use ``with``), point the client at ``url``, change the log
    directory as a running cluster would, inspect ``requests`` / ``log_downloads``, script
    failures with ``add_fault``."""

    def __init__(
        self,
        log_dir: Path,
        *,
        base_path: str = "",
        auth: tuple[str, str] | None = None,
        spark_version: str = "3.5.9",
    ) -> None:
        self.log_dir = Path(log_dir)
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self._auth = (
            "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None
        )
        self.spark_version = spark_version
        self._lock = threading.Lock()
        self._parsed: dict[Path, _Parsed] = {}
        self._faults: list[_Fault] = []
        self._requests: list[Request] = []
        self.internal_errors: list[str] = []

    thread_name = "history-test-server"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    @property
    def url(self) -> str:
        """The base URL a user would give, e.g. ``http://127.0.0.1:PORT[/prefix]``."""
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    # -- test-facing state -----------------------------------------------------------------

    def add_fault(self, *fault: Any, path_contains: str | None = None) -> None:
        """Queue one failure, consumed by the first request (with ``path_contains``: the first
        whose percent-decoded path contains that text)."""
        parsed = _parse_fault(tuple(fault), path_contains)
        with self._lock:
            self._faults.append(parsed)

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    @property
    def requests(self) -> list[Request]:
        """Every request received, faulted and refused ones included."""
        with self._lock:
            return list(self._requests)

    @property
    def log_downloads(self) -> list[str]:
        """``{id}[/{attemptId}]`` of every logs request, in order (whatever the answer)."""
        prefix = API + "/applications/"
        return [
            r.path.removeprefix(prefix).removesuffix("/logs")
            for r in self.requests
            if r.path.startswith(prefix) and r.path.endswith("/logs")
        ]

    def attempts(self) -> list[Attempt]:
        """The attempts the directory holds now, as the listing would show them."""
        with self._lock:
            return [a for app in self._applications() for a in app[1]]

    # -- the directory ----------------------------------------------------------------------

    def _applications(self) -> list[tuple[str, list[Attempt]]]:
        """(id, attempts) of every application, in the listing's order (lock held)."""
        by_id: dict[str, dict[str | None, Attempt]] = {}
        for attempt in self._scan():
            by_id.setdefault(attempt.app_id, {})[attempt.attempt_id] = attempt
        apps = [
            (app_id, sorted(found.values(), key=lambda a: (a.start, a.attempt_id or "")))
            for app_id, found in by_id.items()
        ]
        apps = [(app_id, attempts[::-1]) for app_id, attempts in apps]
        return sorted(apps, key=lambda app: (app[1][0].end, app[0]), reverse=True)

    def _scan(self) -> list[Attempt]:
        """Every attempt of the top-level logs, each read when the real server reads it: when
        new, or grown if rolling; a grown single file only gets the scan time as lastUpdated."""
        found: list[Attempt] = []
        seen: set[Path] = set()
        for entry in sorted(self.log_dir.iterdir()):
            if entry.name.startswith(".") or (
                entry.is_dir() and not entry.name.startswith(ROLLING_PREFIX)
            ):
                continue
            seen.add(entry)
            last, index = _last_file(entry)
            size = last.stat().st_size if last.is_file() else 0
            parsed = self._parsed.get(entry)
            if parsed is None or (
                entry.is_dir() and (index > parsed.last_index or size > parsed.last_size)
            ):
                parsed = _Parsed(index, size, _read_attempts(entry))
            elif size > parsed.last_size:
                scanned = int(time.time() * 1000)
                touched = [replace(a, last_updated=scanned) for a in parsed.attempts]
                parsed = _Parsed(index, size, touched)
            self._parsed[entry] = parsed
            found.extend(parsed.attempts)
        for gone in set(self._parsed) - seen:
            del self._parsed[gone]
        return found

    # -- request handling (called from the handler threads) ----------------------------------

    def _begin(self, path: str) -> _Fault | None:
        """The first queued fault that applies to the request, taken off the queue."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.where is None or fault.where in path:
                    return self._faults.pop(i)
        return None

    def _record(
        self,
        path: str,
        query: dict[str, list[str]],
        status: int,
        auth: str | None,
        agent: str | None = None,
    ) -> None:
        with self._lock:
            self._requests.append(Request(path, query, status, auth, agent))

    def _respond(self, raw_path: str, authorization: str | None) -> _Answer:
        """Authenticate and route one GET."""
        if self._auth is not None and not (
            authorization and hmac.compare_digest(authorization.encode(), self._auth.encode())
        ):
            return _Answer(
                401,
                b"authentication required",
                "text/plain",
                {"WWW-Authenticate": 'Basic realm="spark-history"'},
            )
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        try:
            with self._lock:
                return self._route(path, query)
        except HttpAnswer as answer:
            return _Answer(answer.status, answer.body.encode(), answer.content_type)
        except Exception as error:  # a bug here must not pass for a server failure
            self.internal_errors.append(traceback.format_exc())
            return _Answer(500, f"test server bug: {error!r}".encode(), "text/plain")

    def _route(self, path: str, query: dict[str, list[str]]) -> _Answer:
        if not (path == self.base_path or path.startswith(self.base_path + "/")):
            raise _not_found_page(path)
        below = path[len(self.base_path) :] or "/"
        if below == API + "/version":
            return _json({"spark": self.spark_version})
        if below.startswith("/history/"):  # an application's UI: none here
            raise HttpAnswer(404, "<html><body>Application not found</body></html>", _HTML)
        if below.startswith(("/api/", "/static/")) and not below.startswith(API + "/"):
            raise _not_found_page(path)
        if not below.startswith(API + "/"):  # the summary page answers every other path
            return _Answer(200, _SUMMARY_PAGE, _HTML)
        match below.removeprefix(API + "/").rstrip("/").split("/"):
            case ["applications"]:
                return _json(self._listing(path, query))
            case ["applications", app_id]:
                return _json(self._application(app_id))
            case ["applications", app_id, "logs"]:
                return self._logs(app_id, None)
            case ["applications", app_id, attempt_id]:
                return _json(self._attempt(app_id, attempt_id))
            case ["applications", app_id, attempt_id, "logs"]:
                return self._logs(app_id, attempt_id)
        raise _not_found_page(path)

    def _listing(self, path: str, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """ApplicationListResource.appList: status, date window and limit."""
        statuses = set()
        for value in query.get("status", []):
            if value.upper() not in ("COMPLETED", "RUNNING"):
                raise _not_found_page(path)
            statuses.add(value.upper())
        window = {
            name: _date_param(query, name, default)
            for name, default in (
                ("minDate", _DEFAULT_MIN_DATE),
                ("maxDate", _DEFAULT_MAX_DATE),
                ("minEndDate", _DEFAULT_MIN_DATE),
                ("maxEndDate", _DEFAULT_MAX_DATE),
            )
        }
        limit = _limit_param(path, query)
        include_completed = not statuses or "COMPLETED" in statuses
        include_running = not statuses or "RUNNING" in statuses
        chosen = []
        for app_id, attempts in self._applications():
            running = not attempts[0].completed
            if not ((running and include_running) or (not running and include_completed)):
                continue
            if any(_in_window(a, window, running) for a in attempts):
                chosen.append(_app_json(app_id, attempts))
        return chosen[: max(limit, 0)] if limit is not None else chosen

    def _find(self, app_id: str) -> list[Attempt] | None:
        return next((a for i, a in self._applications() if i == app_id), None)

    def _application(self, app_id: str) -> dict[str, Any]:
        attempts = self._find(app_id)
        if attempts is None:
            raise HttpAnswer(404, f"unknown app: {app_id}")
        return _app_json(app_id, attempts)

    def _attempt(self, app_id: str, attempt_id: str) -> dict[str, Any]:
        for attempt in self._find(app_id) or []:
            if attempt.attempt_id == attempt_id:
                return attempt.as_json()
        raise HttpAnswer(404, f"unknown app {app_id}, attempt {attempt_id}")

    def _logs(self, app_id: str, attempt_id: str | None) -> _Answer:
        """OneApplicationResource.getEventLogs: the UI check (with the retry as attempt 1),
        then every matching attempt's files in one zip."""
        attempts = self._find(app_id) or []
        ids = {a.attempt_id for a in attempts}
        if attempt_id is not None:
            chosen = [a for a in attempts if a.attempt_id == attempt_id]
        elif None in ids or "1" in ids:
            chosen = attempts
        else:
            chosen = []
        if not chosen:
            raise HttpAnswer(404, f"no such app: {app_id}/{attempt_id or '1'}")
        name = f"eventLogs-{app_id}" + (f"-{attempt_id}" if attempt_id else "") + ".zip"
        return _Answer(
            200,
            _zip(chosen),
            "application/octet-stream",
            {"Content-Disposition": f"attachment; filename={name}"},
        )


def _app_json(app_id: str, attempts: list[Attempt]) -> dict[str, Any]:
    """ApplicationInfo: the name is the latest attempt's."""
    return {"id": app_id, "name": attempts[0].name, "attempts": [a.as_json() for a in attempts]}


def _date_param(query: dict[str, list[str]], name: str, default: str) -> int:
    """SimpleDateParam: ``yyyy-MM-dd'T'HH:mm:ss.SSSz`` or a GMT ``yyyy-MM-dd``, else 400."""
    value = query.get(name, [default])[0]
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%Z", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=timezone.utc).timestamp() * 1000)
    raise HttpAnswer(400, f"Couldn't parse date: {value}")


def _limit_param(path: str, query: dict[str, list[str]]) -> int | None:
    """``limit``: an Integer; a value Jersey cannot convert makes the route not match (404)."""
    if "limit" not in query:
        return None
    try:
        return int(query["limit"][0])
    except ValueError:
        raise _not_found_page(path) from None


def _in_window(attempt: Attempt, window: dict[str, int], running: bool) -> bool:
    """ApplicationListResource.isAttemptInRange."""
    start_ok = window["minDate"] <= attempt.start <= window["maxDate"]
    if running:
        return start_ok and window["maxEndDate"] > time.time() * 1000
    return start_ok and window["minEndDate"] <= attempt.end <= window["maxEndDate"]


def _json(payload: Any) -> _Answer:
    """Jackson's pretty printer, near enough: two-space indent, `` : `` between key and value."""
    text = json.dumps(payload, indent=2, separators=(",", " : "))
    return _Answer(200, text.encode(), "application/json")


class _Unseekable(io.RawIOBase):
    """A write-only stream, so zipfile writes data descriptors as Java's ZipOutputStream."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer.extend(data)
        return len(data)


class _JavaZipInfo(zipfile.ZipInfo):
    """An entry flagged with UTF-8 names as java.util.zip flags every entry (zipfile flags
    only non-ASCII names); the data-descriptor flag comes from writing to a stream."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("utf-8"), self.flag_bits | 0x800


def _zip(attempts: list[Attempt]) -> bytes:
    """The attempts' log files, deflated, in the real server's entry names and order."""
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for attempt in attempts:
            for name, path in attempt.zip_entries():
                info = _JavaZipInfo(name, date_time=time.localtime()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                zipped.writestr(info, b"" if path is None else path.read_bytes())
    return bytes(out.buffer)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive and chunked bodies, as Jetty answers."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: QuietHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean; the server records requests itself."""

    def do_GET(self) -> None:
        history = self.server.owner
        parts = urlsplit(self.path)
        below = unquote(parts.path)
        if history.base_path and below.startswith(history.base_path):
            below = below[len(history.base_path) :] or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        authorization = self.headers.get("Authorization")
        fault = history._begin(below)
        if fault is not None and fault.kind == "drop":
            history._record(below, query, 0, authorization, self.headers.get("User-Agent"))
            self.close_connection = True  # no status line: the client sees the connection end
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            answer = _Answer(fault.status, f"scripted fault {fault.status}".encode(), "text/plain")
        elif fault is not None and fault.kind in ("body", "gzipped"):
            answer = _Answer(200, fault.body, fault.content_type)
        else:
            answer = history._respond(self.path, authorization)
        history._record(below, query, answer.status, authorization, self.headers.get("User-Agent"))
        kind = fault.kind if fault is not None else None
        trickle = fault.seconds if fault is not None and kind == "trickle" else 0.0
        self._send(answer, truncate=kind == "truncate", encoded=kind == "gzipped", trickle=trickle)

    def _send(
        self, answer: _Answer, *, truncate: bool, encoded: bool = False, trickle: float = 0.0
    ) -> None:
        """Write the answer, chunked and gzipped as Jetty would; ``truncate`` stops halfway
        through the body and closes the connection; ``encoded``: the body is gzip already;
        ``trickle``: one byte per chunk, that many seconds apart."""
        body = answer.body
        encoding = self.headers.get("Accept-Encoding", "")
        zipped = "gzip" in encoding and len(body) >= _GZIP_MIN_BYTES and answer.status == 200
        if zipped and not encoded:
            body = gzip.compress(body)
        zipped = zipped or encoded
        try:
            self.send_response(answer.status)
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Vary", "Accept-Encoding, User-Agent")
            if zipped:
                self.send_header("Content-Encoding", "gzip")
            if answer.status == 200:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if answer.status != 200:
                self.wfile.write(body)
                return
            if trickle:
                self._trickle(body, trickle)
                return
            self._write_chunks(body[: len(body) // 2] if truncate else body)
            if truncate:
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _trickle(self, body: bytes, seconds: float) -> None:
        for byte in body:
            self.wfile.write(b"1\r\n" + bytes([byte]) + b"\r\n")
            self.wfile.flush()
            time.sleep(seconds)  # until the client gives up: then the write fails
        self.close_connection = True

    def _write_chunks(self, body: bytes, size: int = 64 * 1024) -> None:
        for start in range(0, len(body), size):
            chunk = body[start : start + size]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


# --------------------------------------------------------------------------------------------
# pytest fixtures


@pytest.fixture
def history_server_factory() -> Iterator[Callable[..., HistoryServer]]:
    """Make started servers over a log directory (``factory(log_dir, base_path=…,
    auth=(user, password))``); all are stopped after the test, which fails if a server hit a
    bug of its own (those are answered 500 and would pass for a server failure)."""
    servers: list[HistoryServer] = []

    def make(log_dir: Path | str, **kwargs: Any) -> HistoryServer:
        server = HistoryServer(Path(log_dir), **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    errors = [e for server in servers for e in server.internal_errors]
    assert not errors, "\n".join(errors)
