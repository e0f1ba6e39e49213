"""HTTP to an Atlas v2 endpoint (Purview's data map, its legacy catalog API, Apache Atlas).

Every call has a timeout; 429, 502, 503, 504 and broken connections are retried with
exponential backoff and jitter, honouring ``Retry-After``, within a total time budget. Tokens
and passwords go into headers only, never into messages or logs.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import urllib3

from sparklineage.errors import AtlasError, CatalogUnreachableError, UsageError
from sparklineage.http import (
    RETRIED_STATUSES,
    failure_reason,
    new_session,
    nobody_listens,
    retry_after,
)
from sparklineage.http_body import BodyRefused, body_chunks
from sparklineage.redact import redact_url

PURVIEW_SCOPE = "https://purview.azure.net/.default"


@dataclass(frozen=True)
class RetryPolicy:
    timeout: float = 60.0  # seconds, each call
    attempts: int = 6
    backoff: float = 1.0  # first wait, doubled each time
    max_wait: float = 60.0
    budget: float = 300.0  # seconds of retrying for one call, at most

    @property
    def answer_deadline(self) -> float:
        """Seconds one answer may take to arrive whole, however it trickles."""
        return 10 * self.timeout


MAX_ANSWER_BYTES = 256 << 20  # decoded; Atlas answers a page of entities in a few MiB


def purview_endpoint(account: str) -> str:
    return f"https://{account}.purview.azure.com/datamap/api/atlas/v2"


class AtlasClient:
    """A session on one Atlas v2 base URL, e.g. ``http://host:21000/api/atlas/v2``."""

    def __init__(
        self,
        base_url: str,
        authorize: Callable[[], dict[str, str]] = dict,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] = lambda _message: None,
    ) -> None:
        """``notify`` hears, before each wait, what is retried and until when."""
        self.base_url = base_url.rstrip("/")
        self._host = urlsplit(self.base_url).netloc
        self._authorize = authorize
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self.notify = notify
        self._session = new_session()

    @property
    def timeout(self) -> float:
        """Seconds each HTTP call may take: ``--timeout``, for the History Server's too."""
        return self._policy.timeout

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """One call, retried where that is safe; the decoded JSON answer (or None)."""
        policy, started = self._policy, time.monotonic()
        refused = 0
        for attempt in range(1, policy.attempts + 1):
            try:
                response, content = self._send(method, path, body, params)
            except BodyRefused as exc:
                raise CatalogUnreachableError(
                    f"{method} {self._host}{path}: the answer {exc}"
                ) from None
            except (requests.ConnectionError, urllib3.exceptions.ProtocolError) as exc:
                cause, fast = _connection_cause(exc)
                refused += fast
                failure = f"{method} {self._host}{path}: {cause}"
                if refused >= _FAST_ATTEMPTS:  # nobody listens there: no use waiting minutes
                    message = f"{failure} (gave up after {attempt} attempts)"
                    raise CatalogUnreachableError(message) from None
                wait = self._backoff(attempt)
            except (requests.Timeout, urllib3.exceptions.TimeoutError):
                wait = self._backoff(attempt)
                failure = f"{method} {self._host}{path}: no answer within {policy.timeout:g}s"
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise AtlasError(f"{method} {self._host}{path}: {failure_reason(exc)}") from None
            else:
                if response.status_code < 400:
                    return _answer(method, path, response, content)
                if response.status_code not in RETRIED_STATUSES:
                    raise _error(method, path, response, content)
                wait = retry_after(response) or self._backoff(attempt)
                failure = f"{method} {path}: HTTP {response.status_code}"
            if attempt == policy.attempts or time.monotonic() - started + wait > policy.budget:
                raise CatalogUnreachableError(f"{failure} (gave up after {attempt} attempts)")
            until = time.strftime("%H:%M:%S", time.localtime(time.time() + wait))
            self.notify(f"{failure}; trying again in {wait:.1f}s (at {until})")
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, str] | None
    ) -> tuple[requests.Response, bytes]:
        """The answer and its body, read within the policy's deadline and the size cap."""
        headers = {
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
            **self._authorize(),
        }
        data = orjson.dumps(body) if body is not None else None
        deadline = time.monotonic() + self._policy.answer_deadline
        response = self._session.request(
            method,
            self.base_url + path,
            data=data,
            params=params,
            headers=headers,
            timeout=self._policy.timeout,
            allow_redirects=False,  # a POST followed as a GET stores nothing and says 200
            stream=True,
        )
        with response:
            return response, b"".join(body_chunks(response, deadline, MAX_ANSWER_BYTES))

    def _backoff(self, attempt: int) -> float:
        wait = min(self._policy.max_wait, self._policy.backoff * 2.0 ** (attempt - 1))
        return wait * random.uniform(0.5, 1.0)


_FAST_ATTEMPTS = 2  # refused connections and unknown hosts: tried twice, a second apart


def _connection_cause(exc: Exception) -> tuple[str, bool]:
    """What broke the connection, in words, and whether it is worth a fast failure (nothing
    listens, or the host has no address) rather than the retry budget."""
    if nobody_listens(exc):
        hint = "is the endpoint's host and port right?"
        return f"{failure_reason(exc)} ({hint})", True
    return f"the connection broke ({type(exc).__name__})", False


def _answer(method: str, path: str, response: requests.Response, content: bytes) -> Any:
    """The JSON of a successful answer; a redirect or a body that is not JSON (a proxy's
    or a login page's HTML) is no answer of the Atlas API."""
    if 300 <= response.status_code < 400:
        target = redact_url(response.headers.get("Location", "elsewhere"))
        raise CatalogUnreachableError(
            f"{method} {path}: HTTP {response.status_code} to {target}: redirects are not "
            "followed (a write would be sent again as a read); give the endpoint's final URL"
        )
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        kind = response.headers.get("Content-Type", "unknown content")
        raise CatalogUnreachableError(
            f"{method} {path}: HTTP {response.status_code} but the answer is {kind}, not the "
            "Atlas API's JSON (a proxy or a login page?): check the endpoint"
        ) from None


def _error(method: str, path: str, response: requests.Response, content: bytes) -> AtlasError:
    try:
        body = orjson.loads(content)
        code, message = body.get("errorCode"), body.get("errorMessage")
    except (orjson.JSONDecodeError, AttributeError):
        code, message = None, content[:200].decode("utf-8", "replace")
    hint = (
        " (check the credentials and the Data Curator role)"
        if response.status_code in (401, 403)
        else ""
    )
    return AtlasError(
        f"{method} {path}: HTTP {response.status_code} {code or ''} {message or ''}{hint}".strip(),
        response.status_code,
        code,
    )


def basic_auth(user: str, password: str) -> Callable[[], dict[str, str]]:
    token = requests.auth._basic_auth_str(user, password)
    return lambda: {"Authorization": token}


def azure_auth(new_credential: Callable[[], Any]) -> Callable[[], dict[str, str]]:
    """Bearer tokens from an azure-identity credential (DefaultAzureCredential: env, managed
    identity, CLI…), fetched again shortly before they expire. No credential on the machine
    is one line saying which ways there are, not azure-identity's page of attempts."""
    from azure.core.exceptions import ClientAuthenticationError  # heavy: only when asked for

    credential = new_credential()
    token: Any = None

    def header() -> dict[str, str]:
        nonlocal token
        if token is None or token.expires_on - 120 < time.time():
            try:
                token = credential.get_token(PURVIEW_SCOPE)
            except ClientAuthenticationError:
                raise UsageError(
                    "no Azure credential for Purview: set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                    "AZURE_CLIENT_SECRET (a service principal), run on a managed identity, or "
                    "`az login`; see docs/purview.md, 'Authentication'"
                ) from None
        return {"Authorization": f"Bearer {token.token}"}

    return header


_ACCOUNT = re.compile(
    r"^(?:https?://)?([a-z0-9][a-z0-9-]{1,61}[a-z0-9])(?:\.purview\.azure\.com)?(?:/.*)?$"
)


def purview_account_name(given: str) -> str:
    """The account name of ``--purview-account``: ``contoso``, or the host name or URL of
    its endpoint, which users copy from the portal."""
    found = _ACCOUNT.match(given.strip().lower())
    if found is None:
        raise UsageError(
            f"--purview-account {given!r}: give the account's name (contoso), "
            "or its host name (contoso.purview.azure.com)"
        )
    return found.group(1)


def checked_endpoint(endpoint: str) -> str:
    """An ``--endpoint`` fit to use: an http(s) URL with a host and no credentials in it."""
    parts = urlsplit(endpoint.strip())
    shown = redact_url(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--endpoint {shown!r}: give an http:// or https:// URL, e.g. "
            "http://atlas:21000/api/atlas/v2"
        )
    if parts.username or parts.password:
        raise UsageError(
            f"--endpoint {shown!r}: credentials do not go in the URL: use --auth basic --user "
            "and SPARKLINEAGE_ATLAS_PASSWORD"
        )
    return endpoint.strip()


def connect(
    endpoint: str | None,
    purview_account: str | None,
    auth: str | None,
    user: str | None,
    password: Callable[[], str],
    policy: RetryPolicy,
    notify: Callable[[str], None] = lambda _message: None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    azure_credential: Callable[[], Any],
) -> AtlasClient:
    """A client for the endpoint the options name; ``password`` is asked only for basic auth,
    ``azure_credential`` made only for Azure auth."""
    if bool(endpoint) == bool(purview_account):
        raise UsageError("give either --endpoint URL or --purview-account NAME")
    if endpoint:
        base_url = checked_endpoint(endpoint)
    else:
        base_url = purview_endpoint(purview_account_name(purview_account or ""))
    scheme = auth or ("azure" if purview_account or ".purview.azure.com" in base_url else "none")
    if scheme == "basic":
        if not user:
            raise UsageError(
                "--auth basic needs --user; the password comes from "
                "SPARKLINEAGE_ATLAS_PASSWORD or a prompt"
            )
        authorize = basic_auth(user, password())
    elif scheme == "azure":
        authorize = azure_auth(azure_credential)
    else:
        authorize = dict
    return AtlasClient(base_url, authorize, policy, sleep=sleep, notify=notify)
