"""`sparklineage sync --openlineage` as cron runs it: real fixture logs, the OpenLineage
client's own HTTP transport, and a consumer on 127.0.0.1 that refuses what Marquez refuses and
upserts runs by run id; assertions on what the consumer holds and on what each run sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from tests.catalog import cli
from tests.conftest import copy_logs, run_cli
from tests.openlineage_server import OpenLineageServer

pytest.importorskip("openlineage.client")

SCENARIOS = ("ddl", "dml", "views", "hive", "rolling-multipart")


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return copy_logs(tmp_path / "events", SCENARIOS)


@pytest.fixture
def consumer(monkeypatch, openlineage_server: OpenLineageServer) -> OpenLineageServer:
    """The consumer, as the OpenLineage client of every run here is configured for it."""
    _point_at(monkeypatch, openlineage_server)
    return openlineage_server


def _point_at(monkeypatch, server: OpenLineageServer) -> None:
    for name in list(os.environ):
        if name.startswith("OPENLINEAGE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENLINEAGE_URL", server.url)


def sync(events: Path, state: Path, *extra: str):
    return cli("sync", str(events), "--openlineage", "--state", str(state), *extra)


def _exported(events: Path) -> list[dict]:
    """What ``extract --format openlineage`` writes for the same logs."""
    done = run_cli("extract", str(events), "--format", "openlineage")
    assert done.code == 0, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines()]


def _keys(events: list[dict]) -> Counter:
    return Counter(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in events)


def test_first_run_sends_every_event_once_and_the_second_sends_nothing(tmp_path, events, consumer):
    state = tmp_path / "state.sqlite3"
    first = sync(events, state)
    assert first.returncode == 0, first.stderr
    assert "5 applications seen: 5 new, 0 changed, 0 unchanged" in first.stdout
    expected = _exported(events)
    assert _keys(consumer.received) == _keys(expected), "each event once, as extract writes it"
    assert consumer.refused == 0
    assert f": {len(expected)} OpenLineage events" in first.stdout

    second = sync(events, state)
    assert second.returncode == 0, second.stderr
    assert "5 applications seen: 0 new, 0 changed, 5 unchanged" in second.stdout
    assert len(consumer.received) == len(expected), "an unchanged directory sends nothing"


def test_a_growing_log_sends_only_its_new_queries(tmp_path, consumer):
    from tests.conftest import fixture_path

    log = fixture_path("dml")
    events = tmp_path / "events"
    events.mkdir()
    running = events / f"{log.name}.inprogress"
    lines = log.read_bytes().splitlines(keepends=True)
    running.write_bytes(b"".join(lines[: len(lines) // 2]))
    state = tmp_path / "state.sqlite3"
    early = sync(events, state, "--include-incomplete")
    assert early.returncode == 0, early.stderr
    sent_early = {(e["run"]["runId"], e["eventType"]) for e in consumer.received}
    assert sent_early, "the queries of the running application were sent"

    running.unlink()
    log_copy = events / log.name
    log_copy.write_bytes(log.read_bytes())  # the application ended: Spark renamed its log
    done = sync(events, state, "--include-incomplete")
    assert done.returncode == 0, done.stderr
    assert "1 changed" in done.stdout
    later = consumer.received[len(sent_early) :]
    query_runs = [e for e in later if "parent" in e["run"].get("facets", {})]
    assert query_runs, "the new queries were sent"
    finished = {run for run, kind in sent_early if kind in ("COMPLETE", "FAIL")}
    assert finished, "some queries had ended when the log was cut"
    assert not {e["run"]["runId"] for e in query_runs} & finished, (
        "a query sent finished is not sent again"
    )
    assert _runs(consumer) == _runs_of(_exported(events)), "the consumer holds the whole log"


def _runs(server: OpenLineageServer) -> dict:
    return {run: dict(by_type) for run, by_type in server.runs.items()}


def _runs_of(events: list[dict]) -> dict:
    runs: dict = {}
    for event in events:
        runs.setdefault(event["run"]["runId"], {})[event["eventType"]] = event
    return runs


@pytest.mark.parametrize("after", [1, 7, 40])
def test_killed_while_sending_and_run_again_the_consumer_holds_every_run_once(
    tmp_path, events, consumer, after
):
    """kill -9 once the consumer applied an event and before the sender heard of it: the
    next run sends what was owed, and what it sends again is the same event (same run id,
    type and time), which an upserting consumer holds once."""
    state = tmp_path / "state.sqlite3"
    consumer.hold_after(after)
    args = ("sync", str(events), "--openlineage", "--state", str(state))
    process = subprocess.Popen(
        [sys.executable, "-m", "sparklineage", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("SPARKLINEAGE")},
    )
    try:
        assert consumer.wait_held(timeout=60), "sync never got to the event to kill it at"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
        consumer.release()
    expected = _runs_of(_exported(events))
    assert _runs(consumer) != expected, "the kill came before the end"

    again = sync(events, state)
    assert again.returncode == 0, again.stderr
    assert _runs(consumer) == expected
    resent = len(consumer.received) - sum(len(by_type) for by_type in expected.values())
    assert 0 <= resent <= max(_events_per_application(expected).values()), (
        "at most one application's events are sent again"
    )
    before = len(consumer.received)
    third = sync(events, state)
    assert "5 unchanged" in third.stdout and len(consumer.received) == before


def _events_per_application(runs: dict) -> Counter:
    per: Counter = Counter()
    for by_type in runs.values():
        for event in by_type.values():
            parent = event["run"].get("facets", {}).get("parent")
            per[parent["run"]["runId"] if parent else event["run"]["runId"]] += 1
    return per


def test_each_consumer_keeps_its_own_state(tmp_path, events, consumer, monkeypatch):
    state = tmp_path / "state.sqlite3"
    assert sync(events, state).returncode == 0
    with OpenLineageServer() as other:
        _point_at(monkeypatch, other)
        done = sync(events, state)
        assert done.returncode == 0, done.stderr
        assert "5 new" in done.stdout, "another consumer is another target"
        assert _runs(other) == _runs(consumer)
    _point_at(monkeypatch, consumer)
    renamed = sync(events, state, "--openlineage-namespace", "prod")
    assert "5 new" in renamed.stdout, "another job namespace names other runs: sent anew"


def test_a_refused_event_fails_its_application_and_the_next_run_sends_it(
    tmp_path, events, consumer
):
    state = tmp_path / "state.sqlite3"
    consumer.fail_next(400)
    failed = sync(events, state)
    assert failed.returncode == 3
    assert "1 failed" in failed.stdout and "HTTP 400" in failed.stderr
    assert "Traceback" not in failed.stderr
    again = sync(events, state)
    assert again.returncode == 0, again.stderr
    assert "1 new" in again.stdout and "4 unchanged" in again.stdout
    assert _runs(consumer) == _runs_of(_exported(events))


def test_an_unreachable_consumer_stops_the_run_and_records_nothing(
    tmp_path, events, consumer, monkeypatch
):
    state = tmp_path / "state.sqlite3"
    url = consumer.url
    consumer.stop()
    monkeypatch.delenv("OPENLINEAGE_URL")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY", '{"total": 1, "backoff_factor": 0.01}')
    done = sync(events, state)
    assert done.returncode == 3
    assert "did not answer: stopped" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") < 10
    with OpenLineageServer() as back:
        _point_at(monkeypatch, back)
        again = sync(events, state)
        assert "5 new" in again.stdout, "nothing was recorded as landed"


def test_dry_run_sends_and_records_nothing(tmp_path, events, consumer):
    state = tmp_path / "state.sqlite3"
    dry = sync(events, state, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout and not consumer.received
    assert "5 new" in sync(events, state).stdout


def test_without_a_configured_transport_sync_says_what_to_set(tmp_path, events, monkeypatch):
    for name in list(os.environ):
        if name.startswith("OPENLINEAGE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    done = cli("sync", str(events), "--openlineage", "--state", str(tmp_path / "s"), cwd=tmp_path)
    assert done.returncode == 2
    assert "set OPENLINEAGE_URL" in done.stderr and "Traceback" not in done.stderr
