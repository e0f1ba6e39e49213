"""HTTP to an Atlas v2 endpoint (Purview's data map, its legacy catalog API, Apache Atlas).

Every call has a timeout; 429, 502, 503, 504 and broken connections are retried with
exponential backoff and jitter, honouring ``Retry-After``, within a total time budget. Tokens
and passwords go into headers only, never into messages or logs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import requests

from sparklineage.errors import AtlasError, CatalogUnreachableError, UsageError

PURVIEW_SCOPE = "https://purview.azure.net/.default"
RETRIED_STATUSES = {429, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    timeout: float = 60.0  # seconds, each call
    attempts: int = 6
    backoff: float = 1.0  # first wait, doubled each time
    max_wait: float = 60.0
    budget: float = 300.0  # seconds of retrying for one call, at most


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._authorize = authorize
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._session = requests.Session()

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """One call, retried where that is safe; the decoded JSON answer (or None)."""
        policy, started = self._policy, time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                response = self._send(method, path, body, params)
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait, failure = self._backoff(attempt), f"{method} {path}: {type(exc).__name__}"
            else:
                if response.status_code < 400:
                    return orjson.loads(response.content) if response.content else None
                if response.status_code not in RETRIED_STATUSES:
                    raise _error(method, path, response)
                wait = _retry_after(response) or self._backoff(attempt)
                failure = f"{method} {path}: HTTP {response.status_code}"
            if attempt == policy.attempts or time.monotonic() - started + wait > policy.budget:
                raise CatalogUnreachableError(f"{failure} (gave up after {attempt} attempts)")
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, str] | None
    ) -> requests.Response:
        headers = {"Content-Type": "application/json", **self._authorize()}
        data = orjson.dumps(body) if body is not None else None
        return self._session.request(
            method,
            self.base_url + path,
            data=data,
            params=params,
            headers=headers,
            timeout=self._policy.timeout,
        )

    def _backoff(self, attempt: int) -> float:
        wait = min(self._policy.max_wait, self._policy.backoff * 2 ** (attempt - 1))
        return wait * random.uniform(0.5, 1.0)


def _retry_after(response: requests.Response) -> float | None:
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


def _error(method: str, path: str, response: requests.Response) -> AtlasError:
    try:
        body = orjson.loads(response.content)
        code, message = body.get("errorCode"), body.get("errorMessage")
    except (orjson.JSONDecodeError, AttributeError):
        code, message = None, response.text[:200]
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


def azure_auth() -> Callable[[], dict[str, str]]:
    """Bearer tokens from azure-identity's DefaultAzureCredential (env, managed identity, CLI…),
    fetched again shortly before they expire. Imported only when asked for: it is heavy."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()
    token: Any = None

    def header() -> dict[str, str]:
        nonlocal token
        if token is None or token.expires_on - 120 < time.time():
            token = credential.get_token(PURVIEW_SCOPE)
        return {"Authorization": f"Bearer {token.token}"}

    return header


def connect(
    endpoint: str | None,
    purview_account: str | None,
    auth: str | None,
    user: str | None,
    password: Callable[[], str],
    policy: RetryPolicy,
) -> AtlasClient:
    """A client for the endpoint the options name; ``password`` is asked only for basic auth."""
    if bool(endpoint) == bool(purview_account):
        raise UsageError("give either --endpoint URL or --purview-account NAME")
    base_url = endpoint or purview_endpoint(purview_account or "")
    scheme = auth or ("azure" if purview_account or ".purview.azure.com" in base_url else "none")
    if scheme == "basic":
        if not user:
            raise UsageError(
                "--auth basic needs --user; the password comes from "
                "SPARKLINEAGE_ATLAS_PASSWORD or a prompt"
            )
        authorize = basic_auth(user, password())
    elif scheme == "azure":
        authorize = azure_auth()
    else:
        authorize = dict
    return AtlasClient(base_url, authorize, policy)
