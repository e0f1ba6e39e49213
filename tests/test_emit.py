"""`sparklineage emit`: run events sent through the OpenLineage client's own HTTP transport
to a consumer on 127.0.0.1 that refuses what Marquez refuses and upserts runs by run id."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from sparklineage.settings import World
from tests.conftest import FIXTURES, run_cli

pytest.importorskip("openlineage.client")

LOGS = str(FIXTURES / "spark-3.5")


def _emit(monkeypatch, server, *args: str):
    monkeypatch.setenv("OPENLINEAGE_URL", server.url)
    for name in ("OPENLINEAGE_CONFIG", "OPENLINEAGE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return run_cli("emit", *args)


def test_every_event_lands_once_and_a_second_emit_changes_nothing(
    monkeypatch, openlineage_server, tmp_path: Path
):
    exported = run_cli("extract", LOGS, "--format", "openlineage")
    expected = [orjson.loads(line) for line in exported.stdout.splitlines()]
    first = _emit(monkeypatch, openlineage_server, LOGS)
    assert first.code == 0, first.stderr
    assert openlineage_server.refused == 0
    assert openlineage_server.received == expected, "each event once, in order, as extract wrote it"
    assert f"{len(expected)} events sent of {len(expected)}" in first.stderr
    runs = {k: dict(v) for k, v in openlineage_server.runs.items()}

    again = _emit(monkeypatch, openlineage_server, LOGS)
    assert again.code == 0, again.stderr
    assert openlineage_server.runs == runs, "the same run ids: an upserting consumer is unchanged"
    assert len(openlineage_server.runs) == len(runs)


def test_a_report_emits_as_the_logs_it_came_from(monkeypatch, openlineage_server, tmp_path: Path):
    report = tmp_path / "report.json"
    assert run_cli("extract", LOGS, "--format", "json", "-o", str(report)).code == 0
    done = _emit(monkeypatch, openlineage_server, str(report))
    assert done.code == 0, done.stderr
    exported = run_cli("extract", LOGS, "--format", "openlineage")
    assert openlineage_server.received == [orjson.loads(x) for x in exported.stdout.splitlines()]


def test_a_refused_event_is_one_line_and_the_rest_is_sent(monkeypatch, openlineage_server):
    openlineage_server.fail_next(400)
    done = _emit(monkeypatch, openlineage_server, LOGS)
    assert done.code == 3
    errors = [line for line in done.stderr.splitlines() if line.startswith("sparklineage: error:")]
    assert len(errors) == 1 and "HTTP 400" in errors[0]
    assert "1 failed" in done.stderr and "Traceback" not in done.stderr
    assert openlineage_server.received


def test_a_throttling_consumer_is_waited_for_and_every_event_lands_once(
    monkeypatch, openlineage_server
):
    """HTTP 429 without Retry-After, which the OpenLineage client does not retry (with the
    header, its urllib3 retry waits as asked): sent again after a backoff."""
    waits: list[float] = []
    openlineage_server.fail_next(429, 429)
    monkeypatch.setenv("OPENLINEAGE_URL", openlineage_server.url)
    done = run_cli("emit", LOGS, world=World(sleep=waits.append))
    assert done.code == 0, done.stderr
    assert len(waits) == 2 and all(0 < w <= 30 for w in waits)
    assert done.stderr.count("throttles (HTTP 429): waiting") == 2
    exported = run_cli("extract", LOGS, "--format", "openlineage")
    assert openlineage_server.received == [orjson.loads(x) for x in exported.stdout.splitlines()]


def test_throttling_past_the_retry_budget_fails_the_event_in_one_line(
    monkeypatch, openlineage_server
):
    openlineage_server.fail_next(429)
    monkeypatch.setenv("OPENLINEAGE_URL", openlineage_server.url)
    done = run_cli("emit", LOGS, "--retry-budget", "0", world=World(sleep=lambda _s: None))
    assert done.code == 3
    errors = [line for line in done.stderr.splitlines() if line.startswith("sparklineage: error:")]
    assert len(errors) == 1 and "HTTP 429" in errors[0]
    assert "1 failed" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_consumer_stops_the_run_in_a_few_lines(monkeypatch, openlineage_server):
    url = openlineage_server.url
    openlineage_server.stop()  # nobody listens on that port any more
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY", '{"total": 1, "backoff_factor": 0.01}')
    done = run_cli("emit", LOGS)
    assert done.code == 3
    assert "does not answer: stopped" in done.stderr and "connection refused" in done.stderr
    assert done.stderr.count("\n") < 10 and "Traceback" not in done.stderr


def test_without_a_configured_transport_nothing_is_printed_unasked(monkeypatch, tmp_path: Path):
    for name in list(__import__("os").environ):
        if name.startswith("OPENLINEAGE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    done = run_cli("emit", LOGS, cwd=tmp_path)
    assert done.code == 2
    assert "no OpenLineage transport configured" in done.stderr and done.stdout == ""
    assert done.stderr.count("\n") == 1
