"""Applications from a Spark History Server's REST API, for ``sync --history-server``.

Where the log directory itself cannot be reached (another cluster, a managed service, a
gateway in front of it), the History Server still lists every application attempt and hands
out its event logs. What the real server does, as observed on Spark 3.5.9 and 4.0.5:

- ``GET /api/v1/applications`` lists every application by default: no ``limit`` means all
  (``limit=-1`` means none!), no ``status`` means completed and running alike. Only the start
  date window has a default floor (``minDate=2010-01-01``), lowered here to the epoch.
- Each application has ``attempts``; ``attemptId`` is present only when the cluster manager
  numbers attempts (YARN), absent for local and standalone applications. ``completed`` is
  false for a running attempt (``endTimeEpoch`` -1, ``duration`` 0).
- ``lastUpdatedEpoch`` is the log's modification time (of its last ``events_N`` file when
  rolling) once the attempt has finished; while it runs, the time the server read the log.
  The server looks again at a log that grew (in size or number of parts) and then stamps it
  with the time of that scan; one that finished is renamed, so read anew. So it changes
  whenever the log does — the heart of the fingerprint — and not when a log is only touched.
  A running attempt's also changes when the server restarts (one needless download).
- ``GET …/applications/{id}[/{attemptId}]/logs`` answers ``application/octet-stream``, a zip
  (``Content-Disposition: attachment; filename=eventLogs-{id}[-{attemptId}].zip``) of the log
  as Spark wrote it: one entry ``{file name}`` for a single-file log, or a directory entry
  ``eventlog_v2_{id}/`` followed by ``eventlog_v2_{id}/events_N_…`` and ``appstatus_…``
  entries for a rolling log. Without an attempt id the zip holds every attempt's log, so an
  attempt that has an id is always fetched by it. Unknown applications or attempts are 404
  with a ``text/plain`` reason. Bodies may come gzip-encoded; requests decodes them.

The URL given may carry a path prefix (a gateway), ``user:password@`` credentials (used for
basic authentication) and a query string (kept for the requests). Locations, the keys of the
sync state that messages show, never carry credentials or the query string.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import orjson
import requests
import urllib3

from sparklineage.errors import (
    LogReadError,
    LogVanishedError,
    SourceUnavailableError,
    UsageError,
)
from sparklineage.http import (
    RETRIED_STATUSES,
    ReadRetry,
    failure_reason,
    new_session,
    nobody_listens,
)
from sparklineage.http_body import MAX_RATIO, RATIO_FLOOR, BodyRefused, body_chunks
from sparklineage.logs.candidates import Candidate
from sparklineage.redact import without_secrets

API = "/api/v1"
APPLICATIONS = API + "/applications"
# Every application, whatever its state or age: status lists both states, and the start
# window's floor (2010-01-01 by default) is lowered to the epoch. No ``limit``: none means all.
LISTING_PARAMS: dict[str, Any] = {
    "status": ["completed", "running"],
    "minDate": "1970-01-01",
    "minEndDate": "1970-01-01",
}
_CHUNK = 1 << 20
LISTING_MAX_BYTES = 256 << 20  # decoded: ~500 000 applications; past it, not a real listing
LISTING_DEADLINE = 600.0  # seconds for the whole listing, however slowly it trickles
DOWNLOAD_DEADLINE = 3600.0  # seconds for one attempt's logs
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class _Server:
    """A History Server's base URL, split into what requests use and what may be shown."""

    url: str  # scheme://[user:password@]host[:port][/prefix] (what requests are sent to)
    query: str  # the base URL's query string, sent with every request
    public: str  # scheme://host[:port][/prefix]: no credentials, no query string
    secrets: tuple[str, ...]  # the credentials, to be kept out of every message

    def endpoint(self, path: str, *, public: bool = False) -> str:
        """The URL of ``path`` (below the base), with the base's query string unless public."""
        if public:
            return self.public + path
        return self.url + path + (f"?{self.query}" if self.query else "")


READ_RETRY = ReadRetry()  # a listing or a download is tried 3 times, 1-2 s apart


def list_attempts(
    base_url: str,
    *,
    timeout: float = 60.0,
    deadline: float = LISTING_DEADLINE,
    retry: ReadRetry = READ_RETRY,
) -> list[Candidate]:
    """Every application attempt the History Server at ``base_url`` lists, one
    :class:`Candidate` each, from ``GET {base_url}/api/v1/applications`` alone.

    Raises :class:`UsageError` when the server cannot be reached or does not answer like a
    History Server: nothing can be synced from it, and the fix is in the command line.
    """
    server = _parse_base(base_url)
    applications = _get_listing(server, timeout, time.monotonic() + deadline, retry)
    return [c for app in applications for c in _candidates(server, app)]


def download_logs(
    candidate: Candidate,
    into: Path,
    *,
    timeout: float = 60.0,
    deadline: float = DOWNLOAD_DEADLINE,
    retry: ReadRetry = READ_RETRY,
) -> Path:
    """Fetch the attempt's event logs (a zip from ``candidate.path``) and unpack them into a
    new directory under ``into``; return that directory, which holds the log in Spark's own
    layout (one file, or an ``eventlog_v2_…`` directory) for discovery to walk.

    Raises :class:`LogReadError` (this attempt only: the others may still be fine) when the
    download fails, the answer is not a zip, or the zip would write outside its directory.
    """
    secrets = _credentials(urlsplit(candidate.path).netloc)
    try:
        into.mkdir(parents=True, exist_ok=True)
        target = _new_directory(into, candidate.location)
    except OSError as exc:
        raise LogReadError(
            candidate.location, f"cannot make a scratch directory in {into} ({exc.strerror})"
        ) from None
    archive = target.with_name(target.name + ".zip")
    try:
        _fetch(candidate, archive, timeout, time.monotonic() + deadline, secrets, retry)
        _unpack(candidate, archive, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        archive.unlink(missing_ok=True)
    return target


# --------------------------------------------------------------------------------------------
# The listing


def _parse_base(base_url: str) -> _Server:
    """Split the base URL; tolerate a trailing slash and a pasted ``/api/v1[/applications]``
    (the location must not depend on how the user spelled the same server)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{without_secrets(base_url)!r} is not a History Server URL: "
            "give its http(s) address, e.g. http://spark-history:18080"
        )
    path = parts.path.rstrip("/")
    for suffix in (APPLICATIONS, API):
        if path.endswith(suffix):
            path = path.removesuffix(suffix).rstrip("/")
            break
    host = parts.netloc.rpartition("@")[2]
    return _Server(
        url=urlunsplit((parts.scheme, parts.netloc, path, "", "")),
        query=parts.query,
        public=urlunsplit((parts.scheme, host, path, "", "")),
        secrets=_credentials(parts.netloc),
    )


def _credentials(netloc: str) -> tuple[str, ...]:
    """The user name and password of ``user:password@host``, as given and percent-decoded,
    to be masked in any text a server sends back (too short ones would mask anything)."""
    userinfo, at, _ = netloc.rpartition("@")
    given = userinfo.split(":", 1) if at else []
    return tuple({v for part in given if len(part) > 2 for v in (part, unquote(part))})


def _get_listing(
    server: _Server, timeout: float, deadline: float, retry: ReadRetry
) -> list[dict[str, Any]]:
    """The decoded application list. A server that cannot answer now is unavailable (the
    next run tries again); one that answers what no History Server does is a UsageError."""
    where = server.endpoint(APPLICATIONS, public=True)
    session = new_session()

    def get() -> requests.Response:
        return session.get(
            server.endpoint(APPLICATIONS),
            params=LISTING_PARAMS,
            headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
            timeout=timeout,
            stream=True,
        )

    with session, _get_retried(retry, get, _listing_failure(server, timeout)) as response:
        if response.status_code >= 500:
            raise SourceUnavailableError(_listing_status_message(server, where, response))
        if response.status_code != 200:
            raise UsageError(_listing_status_message(server, where, response))
        try:
            body = b"".join(body_chunks(response, deadline, LISTING_MAX_BYTES))
        except BodyRefused as exc:
            raise SourceUnavailableError(
                f"the Spark History Server at {server.public}: its application list {exc}; "
                "the next run tries again"
            ) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise SourceUnavailableError(
                f"the Spark History Server at {server.public} broke off its application list "
                f"({failure_reason(exc)}): try again, and look at the server's log if it persists"
            ) from None
    return _application_list(server, where, response, body)


def _listing_failure(server: _Server, timeout: float) -> Callable[[BaseException], Exception]:
    """What a listing that could not be had, after its retries, raises."""

    def failure(exc: BaseException) -> Exception:
        if isinstance(exc, requests.Timeout):
            return SourceUnavailableError(
                f"the Spark History Server at {server.public} did not answer within "
                f"{timeout:g} s: check that it is up (and not overloaded) or raise the timeout"
            )
        return SourceUnavailableError(
            f"cannot reach the Spark History Server at {server.public} ({failure_reason(exc)}): "
            "check the URL (e.g. http://spark-history:18080) and that the server is running"
        )

    return failure


def _get_retried(
    retry: ReadRetry,
    get: Callable[[], requests.Response],
    failure: Callable[[BaseException], Exception],
) -> requests.Response:
    """A GET tried again while the server throttles or its gateway stands alone (429,
    502-504), or the connection times out or breaks; a refused connection or an unknown host
    is not worth waiting for. The last answer, whatever its status; or ``failure(exc)``."""
    for attempt in range(1, retry.attempts + 1):
        last = attempt == retry.attempts
        try:
            response = get()
        except (requests.Timeout, requests.ConnectionError) as exc:
            if last or nobody_listens(exc):
                raise failure(exc) from None
            retry.sleep(retry.wait(attempt))
            continue
        except requests.RequestException as exc:
            raise failure(exc) from None
        if response.status_code in RETRIED_STATUSES and not last:
            response.close()
            retry.sleep(retry.wait(attempt, response))
            continue
        return response
    raise AssertionError("unreachable")  # pragma: no cover


def _listing_status_message(server: _Server, where: str, response: requests.Response) -> str:
    """What to do about a listing answered with an error status, in one line."""
    status = response.status_code
    if status == 404:
        return (
            f"{where} answered HTTP 404: {server.public} is not a Spark History Server's base "
            "URL (give the address its web UI has, e.g. http://spark-history:18080, or the "
            "gateway path in front of it)"
        )
    if status in (401, 403):
        return (
            f"{where} answered HTTP {status}: the server wants credentials; give them in the "
            "URL (https://user:password@host/…) or use an account allowed to list applications"
        )
    return (
        f"{where} answered HTTP {status}{_excerpt(response, server.secrets)}: "
        "the History Server failed; try again later or look at its log"
    )


def _application_list(
    server: _Server, where: str, response: requests.Response, body: bytes
) -> list[dict[str, Any]]:
    """The body as a list of application objects, or a UsageError that says what came."""
    try:
        applications = orjson.loads(body)
    except orjson.JSONDecodeError:
        applications = None
    if not isinstance(applications, list) or not all(isinstance(a, dict) for a in applications):
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise UsageError(
            f"{where} did not answer with a Spark application list (got {kind}): check that "
            f"{server.public} is a Spark History Server (a login page or another service "
            "answers there)"
        )
    return applications


def _candidates(server: _Server, app: dict[str, Any]) -> Iterator[Candidate]:
    """One candidate per attempt of one listed application."""
    app_id = app.get("id")
    if not isinstance(app_id, str) or not app_id:
        return
    attempts = app.get("attempts")
    for attempt in attempts if isinstance(attempts, list) else ():
        if isinstance(attempt, dict):
            yield _candidate(server, app_id, attempt)


def _candidate(server: _Server, app_id: str, attempt: dict[str, Any]) -> Candidate:
    """An attempt as a candidate: keyed by its REST URL, fingerprinted by its times."""
    attempt_id = attempt.get("attemptId")
    path = f"{APPLICATIONS}/{quote(app_id, safe='')}"
    if attempt_id is not None and str(attempt_id) != "":
        path += f"/{quote(str(attempt_id), safe='')}"
    completed = attempt.get("completed") is True
    last_updated = _epoch_ms(attempt, "lastUpdated")
    fingerprint = (
        f"lastUpdated={last_updated} completed={str(completed).lower()} "
        f"end={_epoch_ms(attempt, 'endTime')} duration={attempt.get('duration')}"
    )
    return Candidate(
        location=server.endpoint(path, public=True),
        path=server.endpoint(path + "/logs"),
        fingerprint=fingerprint,
        in_progress=not completed,
        modified=last_updated / 1000 if last_updated is not None else 0.0,
    )


def _epoch_ms(attempt: dict[str, Any], field: str) -> int | None:
    """``{field}Epoch`` in milliseconds, or the ``{field}`` date string parsed (servers
    before Spark 2.x give the string only), or None."""
    value = attempt.get(field + "Epoch")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = attempt.get(field)
    if not isinstance(text, str):
        return None
    try:  # e.g. 2026-11-24T04:05:25.241GMT
        when = datetime.strptime(text.removesuffix("GMT"), "%Y-%m-%dT%H:%M:%S.%f")
    except ValueError:
        return None
    return int(when.replace(tzinfo=timezone.utc).timestamp() * 1000)


# --------------------------------------------------------------------------------------------
# The logs


def _new_directory(into: Path, location: str) -> Path:
    """A fresh directory under ``into`` named after the attempt (readable in messages)."""
    app_part = location.rpartition(APPLICATIONS + "/")[2]
    name = "eventLogs-" + (_UNSAFE_NAME.sub("_", app_part.replace("/", "-")) or "app")
    target = into / name
    try:
        target.mkdir()
    except FileExistsError:
        target = Path(tempfile.mkdtemp(prefix=name + "-", dir=into))
    return target


def _fetch(
    candidate: Candidate,
    archive: Path,
    timeout: float,
    deadline: float,
    secrets: tuple[str, ...],
    retry: ReadRetry,
) -> None:
    """Stream the zip to ``archive``; every failure is this attempt's LogReadError. The
    request is tried again as a listing is; a body that breaks off is not (the next run)."""
    session = new_session()

    def get() -> requests.Response:
        headers = {"Accept-Encoding": "gzip"}
        return session.get(candidate.path, stream=True, timeout=timeout, headers=headers)

    def failure(exc: BaseException) -> Exception:
        if isinstance(exc, requests.Timeout):
            reason = f"event logs download timed out (no data for {timeout:g} s)"
        else:
            reason = f"event logs download failed ({failure_reason(exc)}); the next run retries"
        return LogReadError(candidate.location, reason)

    try:
        with session, _get_retried(retry, get, failure) as response:
            if response.status_code == 404:  # cleaned from the history since it was listed
                raise LogVanishedError(candidate.location, _download_status(response, secrets))
            if response.status_code != 200:
                raise LogReadError(candidate.location, _download_status(response, secrets))
            with open(archive, "wb") as out:
                for chunk in body_chunks(response, deadline):
                    out.write(chunk)
    except BodyRefused as exc:
        raise LogReadError(
            candidate.location, f"event logs download {exc}; the next run tries again"
        ) from None
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise LogReadError(
            candidate.location, f"event logs download timed out (no data for {timeout:g} s)"
        ) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise LogReadError(
            candidate.location,
            f"event logs download failed ({failure_reason(exc)}); the next run retries",
        ) from None
    except OSError as exc:
        raise LogReadError(
            candidate.location, f"cannot write the downloaded logs ({exc.strerror})"
        ) from None


def _download_status(response: requests.Response, secrets: tuple[str, ...]) -> str:
    """Why the server refused the logs, with what to expect next."""
    status = response.status_code
    detail = _excerpt(response, secrets)
    if status == 404:
        return (
            f"the History Server has no event logs for it (HTTP 404{detail}); it may have "
            "been cleaned from the history since it was listed"
        )
    if status in (401, 403):
        return f"the History Server refused the event logs (HTTP {status}): check the credentials"
    return f"event logs download failed (HTTP {status}{detail}); the next run retries"


def _unpack(candidate: Candidate, archive: Path, target: Path) -> None:
    """Extract every entry of the zip below ``target``, refusing any that would land outside
    it (zip slip) and checking each entry's CRC, so a cut download cannot pass for a log."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if not any(not m.is_dir() for m in members):
                raise LogReadError(candidate.location, "the logs zip holds no files")
            for member in members:
                _extract(candidate, zipped, member, target)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise LogReadError(
            candidate.location, f"the History Server's answer is not a readable zip ({exc})"
        ) from None
    except (NotImplementedError, RuntimeError) as exc:  # unsupported compression, encryption
        raise LogReadError(candidate.location, f"cannot unpack the logs zip ({exc})") from None
    except OSError as exc:
        raise LogReadError(candidate.location, f"cannot write the logs ({exc.strerror})") from None


def _extract(
    candidate: Candidate, zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path
) -> None:
    """One entry, written as a plain file or directory (never a link) under ``target``."""
    relative = _safe_relative(member.filename)
    if relative is None:
        raise LogReadError(
            candidate.location,
            f"the logs zip has an entry outside its directory ({member.filename!r}): refused",
        )
    destination = target.joinpath(*relative.parts)
    if member.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(
        member.compress_size, 1
    ):
        raise LogReadError(
            candidate.location,
            f"the logs zip entry {member.filename!r} inflates over {MAX_RATIO} times "
            "(a decompression bomb): refused",
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipped.open(member) as source, open(destination, "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def _safe_relative(name: str) -> PurePosixPath | None:
    """The entry name as a relative path that stays inside, or None: absolute paths, drive
    letters, ``..`` and empty names are refused (backslashes count as separators)."""
    normalised = name.replace("\\", "/")
    parts = [p for p in normalised.split("/") if p not in ("", ".")]
    if normalised.startswith("/") or _DRIVE.match(normalised) or ".." in parts or not parts:
        return None
    return PurePosixPath(*parts)


# --------------------------------------------------------------------------------------------
# Messages


def _excerpt(response: requests.Response, secrets: tuple[str, ...]) -> str:
    """``: <first line of a plain-text error body>`` (the real server's 404s say which app or
    attempt is unknown), without credentials; empty for HTML pages and binary bodies."""
    kind = response.headers.get("Content-Type", "")
    if not kind.startswith("text/plain"):
        return ""
    try:
        head = next(response.iter_content(300), b"")
    except requests.RequestException:
        return ""
    lines = head.decode("utf-8", "replace").strip().splitlines()
    text = lines[0][:200] if lines else ""
    for secret in secrets:
        text = text.replace(secret, "***")
    return f": {text}" if text else ""
