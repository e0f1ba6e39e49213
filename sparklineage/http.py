"""HTTP as sparklineage speaks it to every server (a catalog, a History Server).

One session factory, so every request names the tool and its version in ``User-Agent`` (a
catalog's admin sees who calls); one wording of a failed request in a few words; and the
rules of retrying an idempotent read: which answers are worth another try and how long to
wait. What is safe to retry for a write is the Atlas client's business, not this module's.
"""

from __future__ import annotations

import http.client
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
import urllib3

from sparklineage import __version__

USER_AGENT = f"sparklineage/{__version__}"
RETRIED_STATUSES = frozenset({429, 502, 503, 504})  # throttled, or a gateway without its server


def new_session() -> requests.Session:
    """A session whose requests say who sends them."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


@dataclass(frozen=True)
class ReadRetry:
    """How an idempotent GET is tried again: on a throttled or gateway answer, a timeout or
    a broken connection, a few times, a few seconds apart (``sleep`` is the tests' to swap)."""

    attempts: int = 3
    backoff: float = 1.0  # first wait, doubled each time
    max_wait: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, attempt: int, response: requests.Response | None = None) -> float:
        """Seconds before attempt ``attempt + 1``: the server's ``Retry-After`` if it gave
        one (capped), else exponential backoff with jitter."""
        asked = retry_after(response) if response is not None else None
        if asked is not None:
            return min(asked, self.max_wait)
        wait = min(self.max_wait, self.backoff * 2.0 ** (attempt - 1))
        return wait * random.uniform(0.5, 1.0)


def retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds (given as seconds or as an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def nobody_listens(exc: BaseException) -> bool:
    """The connection was refused or the host name does not resolve: waiting will not help."""
    return any(isinstance(cause, ConnectionRefusedError | socket.gaierror) for cause in causes(exc))


def failure_reason(exc: BaseException) -> str:
    """A failed request in a few words (connection refused, name not known…), from the
    innermost OSError: requests' own text repeats the URL and connection pool internals."""
    for cause in causes(exc):
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError):
        return "the connection broke off mid-answer"
    if isinstance(exc, requests.exceptions.ContentDecodingError | urllib3.exceptions.DecodeError):
        return "the answer's gzip encoding is broken"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    return type(exc).__name__


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps, breadth first: chained exceptions, exceptions among its
    arguments and urllib3's ``reason``."""
    queue, seen = [exc], set()
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        queue.extend(e for e in [*wrapped, *current.args] if isinstance(e, BaseException))
