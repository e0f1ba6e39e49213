"""Endpoints that misbehave, and endpoint options given wrong: one line, the right exit code.

A gateway on 127.0.0.1 answers what proxies and half-configured catalogs answer (a login
page with 200, a redirect to a POST); a closed port is what a stopped catalog looks like.
None of them may end in a traceback, a silent minute, or a success that stored nothing.
"""

from __future__ import annotations

import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.catalog import cli
from tests.conftest import fixture_path
from tests.local_server import LocalServer

DML = str(fixture_path("dml", "3.5"))


class Gateway(LocalServer):
    """Answers every request with one canned status, headers and body; counts requests."""

    thread_name = "hostile-gateway"

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.seen: list[tuple[str, str]] = []

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                gateway.seen.append((self.command, self.path))
                self.send_response(gateway.status)
                for key, value in gateway.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(gateway.body)))
                self.end_headers()
                self.wfile.write(gateway.body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        return Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/atlas/v2"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [("typedefs",), ("upload", DML)])
def test_a_refused_connection_fails_fast_naming_host_and_cause(command):
    port = _closed_port()
    began = time.monotonic()
    done = cli(*command, "--endpoint", f"http://127.0.0.1:{port}/api/atlas/v2")
    assert time.monotonic() - began < 15  # not the 300 s retry budget
    assert done.returncode == 3, done.stderr  # the same code in every command
    assert f"127.0.0.1:{port}" in done.stderr and "connection refused" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_login_page_answered_with_200_is_no_success():
    page = b"<html><body>Sign in to continue</body></html>"
    with Gateway(200, page, {"Content-Type": "text/html"}) as gateway:
        done = cli("upload", DML, "--endpoint", gateway.url)
    assert done.returncode in (2, 3) and "not the Atlas API's JSON" in done.stderr
    assert "Traceback" not in done.stderr and "0 failed" not in done.stderr


def test_a_redirect_is_not_followed():
    """A 302 to a POST, followed as requests does, becomes a GET that stores nothing."""
    with Gateway(302, b"", {"Location": "/login?user=admin&password=hunter2"}) as gateway:
        done = cli("typedefs", "--endpoint", gateway.url)
        seen = list(gateway.seen)
    assert done.returncode == 3 and "redirects are not followed" in done.stderr
    assert all("/login" not in path for _, path in seen)
    assert "hunter2" not in done.stderr


def test_a_throttled_call_says_what_it_waits_for(catalog):
    catalog.add_faults(("status", 429, {"Retry-After": "1"}), path_contains="typedef")
    done = cli("typedefs", "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    assert "HTTP 429; trying again in 1.0s (at " in done.stderr


def test_a_quiet_sync_keeps_waits_out_of_cron_mail(catalog, tmp_path):
    catalog.add_faults(("status", 429, {"Retry-After": "1"}), path_contains="entity")
    state = str(tmp_path / "state.sqlite3")
    done = cli("sync", DML, "--endpoint", catalog.url, "--state", state, "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    assert catalog.pending_faults == 0, "the throttled call was made, and retried"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--endpoint", "atlas:21000/api/atlas/v2"), "give an http:// or https:// URL"),
        (("--endpoint", "htp://atlas:21000/api/atlas/v2"), "give an http:// or https:// URL"),
        (("--endpoint", "http://admin:hunter2@atlas:21000/api"), "credentials do not go in"),
        (("--endpoint", "http://127.0.0.1:1/api", "--timeout", "0"), "--timeout"),
        (("--endpoint", "http://127.0.0.1:1/api", "--retry-budget", "-5"), "--retry-budget"),
        (("--purview-account", "not an account!"), "give the account's name"),
    ],
)
def test_endpoint_mistakes_are_one_line_and_exit_2(options, says):
    done = cli("typedefs", *options)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr


@pytest.mark.parametrize("option", ["--batch-size", "--batch-bytes"])
def test_batch_limits_of_zero_are_usage_errors(option):
    done = cli("upload", DML, "--endpoint", "http://127.0.0.1:1/api", option, "0")
    assert done.returncode == 2 and option in done.stderr


@pytest.mark.parametrize(
    "given",
    ["contoso", "CONTOSO", "contoso.purview.azure.com", "https://contoso.purview.azure.com/"],
)
def test_a_purview_account_may_be_given_as_its_host_name(given):
    from sparklineage.atlas.client import purview_account_name

    assert purview_account_name(given) == "contoso"


def test_no_azure_credential_is_one_line_saying_what_to_do():
    """DefaultAzureCredential finding nothing (no variables, no managed identity, no az
    login) stands in here, given through the run's World: asking the real one would reach
    for Azure's addresses."""
    from azure.identity import CredentialUnavailableError

    from sparklineage.settings import World
    from tests.conftest import run_cli

    class NoCredential:
        def get_token(self, *_scopes: str) -> Any:
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

    done = run_cli(
        "typedefs", "--purview-account", "contoso", world=World(azure_credential=NoCredential)
    )
    assert done.code == 2, done.stderr
    assert re.search(r"no Azure credential for Purview.*docs/purview\.md", done.stderr)
    assert done.stderr.count("\n") == 1


def test_a_catalog_answer_that_is_a_decompression_bomb_is_refused():
    import gzip

    bomb = gzip.compress(b" " * (64 << 20), compresslevel=1)
    with Gateway(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"}) as g:
        done = cli("typedefs", "--endpoint", g.url)
    assert done.returncode == 3, done.stderr
    assert "inflates over 200 times" in done.stderr and "Traceback" not in done.stderr
