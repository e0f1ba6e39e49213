"""The Spark History Server source of ``sync``: over real HTTP, against a test server that
answers as the real one does (checked here against answers captured from real servers), over
copies of the real fixture logs."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from sparklineage.application import read_application
from sparklineage.errors import LogReadError, SourceUnavailableError, UsageError
from sparklineage.http import USER_AGENT, ReadRetry
from sparklineage.logs.candidates import Candidate
from sparklineage.logs.discovery import discover, discover_walked
from sparklineage.logs.history_server import download_logs, list_attempts
from tests.conftest import FIXTURES, fixture_index

CAPTURED = FIXTURES.parent / "history_server"
# The logs the captured applications lists were taken over (see its README).
CAPTURED_LOGS = [
    "spark-3.5/local-1795492989320.lz4",
    "spark-3.5/local-1795493097391.inprogress",
    "spark-3.5/eventlog_v2_local-1795493058571",
    "spark-4.0/local-1795493221031.zstd",
    "spark-4.0/eventlog_v2_local-1795493262337",
    "spark-4.0/eventlog_v2_local-1795493301671",
]
ATTEMPTS_APP = "application_1795000000000_0001"
ATTEMPTS_BASE_LOG = "spark-3.5/local-1795492972253"
SECRET = "s3cret-Pa55"


@pytest.fixture(autouse=True)
def _local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the test server never go through a proxy a developer has configured."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


# --------------------------------------------------------------------------------------------
# helpers

NO_WAIT = ReadRetry(sleep=lambda _seconds: None)  # retries without the waits


def copy_log(relative: str, log_dir: Path) -> Path:
    """Copy one fixture log (file or rolling directory) into ``log_dir``, times kept."""
    source, target = FIXTURES / relative, log_dir / Path(relative).name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


def make_log_dir(tmp_path: Path, *relatives: str) -> Path:
    log_dir = tmp_path / "spark-events"
    log_dir.mkdir()
    for relative in relatives:
        copy_log(relative, log_dir)
    return log_dir


def index_entry(relative: str) -> dict[str, Any]:
    return next(e for e in fixture_index() if e["path"] == relative)


def log_lines(relative: str) -> list[str]:
    return (FIXTURES / relative).read_text().splitlines()


def rewrite_start(lines: list[str], app_id: str, attempt_id: str, shift_ms: int = 0) -> list[str]:
    """The log's lines with the application start event given another id and an attempt id."""
    out = []
    for line in lines:
        event = json.loads(line)
        if event["Event"] == "SparkListenerApplicationStart":
            event["App ID"] = app_id
            event["App Attempt ID"] = attempt_id
            event["Timestamp"] += shift_ms
            line = json.dumps(event, separators=(",", ":"))
        out.append(line)
    return out


def make_attempt_logs(log_dir: Path) -> tuple[Path, Path]:
    """The two attempt logs the captured attempts list was taken over (see its README)."""
    lines = log_lines(ATTEMPTS_BASE_LOG)
    first = log_dir / f"{ATTEMPTS_APP}_1"
    first.write_text("\n".join(rewrite_start(lines, ATTEMPTS_APP, "1")) + "\n")
    second_lines = [
        line
        for line in rewrite_start(lines, ATTEMPTS_APP, "2", shift_ms=60_000)
        if '"Event":"SparkListenerApplicationEnd"' not in line
    ]
    second = log_dir / f"{ATTEMPTS_APP}_2.inprogress"
    second.write_text("\n".join(second_lines) + "\n")
    return first, second


def by_location(candidates: list[Candidate]) -> dict[str, Candidate]:
    return {c.location: c for c in candidates}


def candidate_of(candidates: list[Candidate], app_id: str) -> Candidate:
    [found] = [c for c in candidates if c.location.endswith(f"/applications/{app_id}")]
    return found


def with_credentials(url: str, user: str = "sync-user", password: str = SECRET) -> str:
    return url.replace("http://", f"http://{user}:{password}@", 1)


def set_mtime(path: Path, epoch_ms: int) -> None:
    os.utime(path, (epoch_ms / 1000, epoch_ms / 1000))


def last_log_file(root: Path) -> Path:
    """The file whose modification time the History Server reports for a finished log."""
    if root.is_file():
        return root
    return sorted(root.glob("events_*"), key=lambda p: int(p.name.split("_")[1]))[-1]


def read_one(path: Path):
    [source] = discover_walked(path).sources
    return source, read_application(source)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# the test server answers as the real one


def shape(value: Any) -> Any:
    """Keys (in order) and value types, recursively: what a client relies on."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def comparable(applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list without what depends on when the server read a running log."""
    out = json.loads(json.dumps(applications))
    for app in out:
        for attempt in app["attempts"]:
            if not attempt["completed"]:
                attempt.pop("lastUpdated")
                attempt.pop("lastUpdatedEpoch")
    return out


def pin_mtimes(log_dir: Path, captured: list[dict[str, Any]]) -> None:
    """Give each finished log the modification time the real server reported for it (a git
    checkout does not keep the fixtures' times)."""
    roots = {}
    for root in log_dir.iterdir():
        [source] = discover_walked(root).sources
        app = read_application(source)
        roots[(app.id, app.attempt)] = root
    for app in captured:
        for attempt in app["attempts"]:
            if attempt["completed"]:
                root = roots[(app["id"], attempt.get("attemptId"))]
                set_mtime(last_log_file(root), attempt["lastUpdatedEpoch"])


def _captured_logs(log_dir_parent: Path) -> Path:
    return make_log_dir(log_dir_parent, *CAPTURED_LOGS)


def _attempt_logs(log_dir_parent: Path) -> Path:
    log_dir = make_log_dir(log_dir_parent)
    make_attempt_logs(log_dir)
    return log_dir


@pytest.mark.parametrize("version", ["3.5.9", "4.0.5"])
@pytest.mark.parametrize(
    ("capture", "logs"), [("applications", _captured_logs), ("attempts", _attempt_logs)]
)
def test_the_application_list_has_the_real_servers_shape_and_values(
    tmp_path, history_server_factory, version, capture, logs
):
    """Over the same logs, the same answer as a real History Server gave (captured), for
    applications without attempt ids and for attempts."""
    captured = orjson.loads((CAPTURED / f"{capture}-spark-{version}.json").read_bytes())
    log_dir = logs(tmp_path)
    pin_mtimes(log_dir, captured)
    server = history_server_factory(log_dir)

    answer = requests.get(server.url + "/api/v1/applications", timeout=30).json()

    assert shape(answer) == shape(captured)
    assert comparable(answer) == comparable(captured)


@pytest.mark.parametrize("version", ["3.5.9", "4.0.5"])
def test_the_logs_zip_has_the_real_servers_headers_and_entries(
    tmp_path, history_server_factory, version
):
    captured = orjson.loads((CAPTURED / "logs-zips.json").read_bytes())[version]
    server = history_server_factory(make_log_dir(tmp_path, *CAPTURED_LOGS))

    for app_id, real in captured.items():
        response = requests.get(f"{server.url}/api/v1/applications/{app_id}/logs", timeout=30)
        assert response.status_code == 200
        headers = {k: response.headers[k] for k in real["headers"]}
        assert headers == real["headers"]
        entries = [
            {
                "name": i.filename,
                "compress_type": i.compress_type,
                "flag_bits": i.flag_bits,
                "file_size": i.file_size,
            }
            for i in zipfile.ZipFile(io.BytesIO(response.content)).infolist()
        ]
        assert entries == real["entries"], app_id


def test_unknown_applications_and_attempts_are_404_with_the_real_texts(
    tmp_path, history_server_factory
):
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    api = server.url + "/api/v1/applications"
    expected = {
        "/nope": "unknown app: nope",
        "/nope/logs": "no such app: nope/1",
        "/local-1795493221031/1": "unknown app local-1795493221031, attempt 1",
        "/local-1795493221031/1/logs": "no such app: local-1795493221031/1",
    }
    for path, text in expected.items():
        response = requests.get(api + path, timeout=30)
        assert (response.status_code, response.text) == (404, text), path
        assert response.headers["Content-Type"] == "text/plain"
    assert requests.get(api, params={"limit": "-1"}, timeout=30).json() == []
    assert requests.get(api, params={"status": "bogus"}, timeout=30).status_code == 404


# --------------------------------------------------------------------------------------------
# listing


def test_one_candidate_per_attempt_keyed_by_its_rest_url(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, *CAPTURED_LOGS)
    make_attempt_logs(log_dir)
    server = history_server_factory(log_dir)
    api = server.url + "/api/v1/applications"

    candidates = list_attempts(server.url)

    expected = {f"{api}/{index_entry(p)['app_id']}": index_entry(p) for p in CAPTURED_LOGS}
    attempts = {f"{api}/{ATTEMPTS_APP}/1": False, f"{api}/{ATTEMPTS_APP}/2": True}
    found = by_location(candidates)
    assert len(candidates) == len(found) == len(expected) + 2
    assert set(found) == set(expected) | set(attempts)
    for location, entry in expected.items():
        assert found[location].in_progress is (not entry["complete"]), location
    for location, in_progress in attempts.items():
        assert found[location].in_progress is in_progress
    for candidate in candidates:
        assert candidate.path == candidate.location + "/logs"
    listed = requests.get(api, timeout=30).json()
    updated = {
        f"{api}/{app['id']}" + (f"/{a['attemptId']}" if "attemptId" in a else ""): a
        for app in listed
        for a in app["attempts"]
    }
    for location, attempt in updated.items():
        assert found[location].modified == attempt["lastUpdatedEpoch"] / 1000
    assert len({c.fingerprint for c in candidates}) == len(candidates)


def test_old_applications_and_running_ones_are_all_listed(tmp_path, history_server_factory):
    """The real server hides applications started before 2010 unless asked (minDate), and
    lists nothing at all for limit=-1: the client asks for everything."""
    log_dir = make_log_dir(tmp_path, "spark-3.5/local-1795493097391.inprogress")
    old = rewrite_start(log_lines(ATTEMPTS_BASE_LOG), "app-20090101000000-0000", "1")
    old = [line.replace('"Timestamp":1795492971075', '"Timestamp":1230768000000') for line in old]
    assert any('"Timestamp":1230768000000' in line for line in old)
    (log_dir / "app-20090101000000-0000_1").write_text("\n".join(old) + "\n")
    server = history_server_factory(log_dir)
    assert len(requests.get(server.url + "/api/v1/applications", timeout=30).json()) == 1

    candidates = list_attempts(server.url)

    assert {c.location.rsplit("/applications/", 1)[1] for c in candidates} == {
        "app-20090101000000-0000/1",
        "local-1795493097391",
    }


def test_a_base_url_behind_a_gateway_with_a_trailing_slash_or_pasted_api_path(
    tmp_path, history_server_factory
):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir, base_path="/gateway/sparkhistory")
    expected = server.url + "/api/v1/applications/local-1795493221031"

    for given in (server.url, server.url + "/", server.url + "/api/v1", server.url + "/api/v1/"):
        [candidate] = list_attempts(given)
        assert candidate.location == expected, given

    [candidate] = list_attempts(server.url)
    _, app = read_one(download_logs(candidate, tmp_path / "scratch"))
    assert app.id == "local-1795493221031"


# --------------------------------------------------------------------------------------------
# fingerprints


GROWING = ["spark-3.5/local-1795493097391.inprogress", "spark-3.5/local-1795492972253"]


@pytest.mark.parametrize("relative", GROWING, ids=["running", "finished"])
def test_a_growing_log_changes_its_fingerprint_and_only_its_own(
    tmp_path, history_server_factory, relative
):
    log_dir = make_log_dir(
        tmp_path, *GROWING, "spark-4.0/eventlog_v2_local-1795493301671", *CAPTURED_LOGS[3:5]
    )
    server = history_server_factory(log_dir)
    before = by_location(list_attempts(server.url))
    assert by_location(list_attempts(server.url)) == before  # nothing changed: same answer

    time.sleep(0.01)  # the real server stamps a grown log with the time of its scan (ms)
    with (log_dir / Path(relative).name).open("a") as out:
        out.write(log_lines(relative)[-1] + "\n")
    after = by_location(list_attempts(server.url))

    changed = {loc for loc in before if before[loc].fingerprint != after[loc].fingerprint}
    assert changed == {server.url + "/api/v1/applications/" + index_entry(relative)["app_id"]}
    assert {k: c.in_progress for k, c in after.items()} == {
        k: c.in_progress for k, c in before.items()
    }


def test_a_touched_log_keeps_its_fingerprint(tmp_path, history_server_factory):
    """The real server looks at sizes, not modification times: touching changes nothing."""
    log_dir = make_log_dir(tmp_path, *CAPTURED_LOGS)
    server = history_server_factory(log_dir)
    before = by_location(list_attempts(server.url))

    for path in log_dir.rglob("*"):
        set_mtime(path, int(time.time() * 1000) + 60_000)
    after = by_location(list_attempts(server.url))

    assert after == before


def test_a_new_rolling_part_changes_the_fingerprint(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, "spark-4.0/eventlog_v2_local-1795493301671")
    server = history_server_factory(log_dir)
    [before] = list_attempts(server.url)

    time.sleep(0.01)
    rolling = log_dir / "eventlog_v2_local-1795493301671"
    shutil.copy(
        rolling / "events_1_local-1795493301671.zstd", rolling / "events_2_local-1795493301671.zstd"
    )
    [after] = list_attempts(server.url)

    assert after.location == before.location
    assert after.fingerprint != before.fingerprint
    assert after.in_progress


def test_a_log_that_finishes_changes_fingerprint_and_is_no_longer_in_progress(
    tmp_path, history_server_factory
):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    lines = log_lines("spark-3.5/local-1795492972253")
    running = log_dir / "local-1795492972253.inprogress"
    running.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    server = history_server_factory(log_dir)
    before = by_location(list_attempts(server.url))

    running.unlink()
    copy_log("spark-3.5/local-1795492972253", log_dir)
    after = by_location(list_attempts(server.url))

    location = server.url + "/api/v1/applications/local-1795492972253"
    assert before[location].in_progress and not after[location].in_progress
    assert before[location].fingerprint != after[location].fingerprint
    other = server.url + "/api/v1/applications/local-1795493221031"
    assert before[other] == after[other]


def test_a_sync_downloads_only_what_changed(tmp_path, history_server_factory):
    """What sync does with the fingerprints: the second run fetches the grown log only."""
    log_dir = make_log_dir(
        tmp_path,
        "spark-3.5/local-1795493097391.inprogress",
        "spark-4.0/local-1795493221031.zstd",
        "spark-4.0/eventlog_v2_local-1795493262337",
    )
    server = history_server_factory(log_dir)
    landed: dict[str, str] = {}

    def run(scratch: Path) -> None:
        for candidate in list_attempts(server.url):
            if landed.get(candidate.location) != candidate.fingerprint:
                download_logs(candidate, scratch)
                landed[candidate.location] = candidate.fingerprint

    run(tmp_path / "first")
    assert sorted(server.log_downloads) == [
        "local-1795493097391",
        "local-1795493221031",
        "local-1795493262337",
    ]
    run(tmp_path / "second")
    assert len(server.log_downloads) == 3
    time.sleep(0.01)
    with (log_dir / "local-1795493097391.inprogress").open("a") as out:
        out.write(log_lines("spark-3.5/local-1795493097391.inprogress")[-1] + "\n")
    run(tmp_path / "third")
    assert server.log_downloads[3:] == ["local-1795493097391"]


# --------------------------------------------------------------------------------------------
# downloads


@pytest.mark.parametrize(
    "relative",
    [
        "spark-4.0/local-1795493221031.zstd",
        "spark-3.5/local-1795492989320.lz4",
        "spark-4.0/eventlog_v2_local-1795493262337",
        "spark-3.5/local-1795493097391.inprogress",
    ],
)
def test_downloaded_logs_read_as_the_fixture_reads(tmp_path, history_server_factory, relative):
    log_dir = make_log_dir(tmp_path, relative, "spark-3.5/eventlog_v2_local-1795493058571")
    server = history_server_factory(log_dir)
    entry = index_entry(relative)
    candidate = candidate_of(list_attempts(server.url), entry["app_id"])
    [direct_source] = discover([FIXTURES / relative]).sources
    direct = read_application(direct_source)

    walked = download_logs(candidate, tmp_path / "scratch")

    source, app = read_one(walked)
    assert Path(source.path).name == Path(relative).name
    assert (source.layout, source.codec, source.in_progress, len(source.files)) == (
        direct_source.layout,
        direct_source.codec,
        direct_source.in_progress,
        len(direct_source.files),
    )
    assert (app.id, app.sql_executions, app.complete) == (
        direct.id,
        direct.sql_executions,
        direct.complete,
    )
    assert app.queries == direct.queries
    assert len(app.queries) > 0
    assert walked.is_relative_to(tmp_path / "scratch")


def test_an_attempt_is_downloaded_alone(tmp_path, history_server_factory):
    """Without the attempt id the server zips every attempt's log: the client must ask for
    the one attempt."""
    log_dir = make_log_dir(tmp_path)
    make_attempt_logs(log_dir)
    server = history_server_factory(log_dir)
    api = server.url + "/api/v1/applications/" + ATTEMPTS_APP
    found = by_location(list_attempts(server.url))

    first, second = found[api + "/1"], found[api + "/2"]
    source_1, app_1 = read_one(download_logs(first, tmp_path / "one"))
    source_2, app_2 = read_one(download_logs(second, tmp_path / "two"))

    assert (app_1.id, app_1.attempt, app_1.complete) == (ATTEMPTS_APP, "1", True)
    assert (app_2.id, app_2.attempt, source_2.in_progress) == (ATTEMPTS_APP, "2", True)
    assert Path(source_1.path).name == f"{ATTEMPTS_APP}_1"


def test_two_downloads_into_the_same_scratch_directory_do_not_mix(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir)
    [candidate] = list_attempts(server.url)

    first = download_logs(candidate, tmp_path / "scratch")
    second = download_logs(candidate, tmp_path / "scratch")

    assert first != second
    assert [p.name for p in second.iterdir()] == ["local-1795493221031.zstd"]
    assert sorted(p.name for p in (tmp_path / "scratch").iterdir()) == sorted(
        [first.name, second.name]
    )


# --------------------------------------------------------------------------------------------
# failures


def test_an_unreachable_server_is_unavailable_and_says_so_without_credentials(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/sparkhistory"

    with pytest.raises(SourceUnavailableError) as caught:
        list_attempts(with_credentials(url), timeout=5)

    message = str(caught.value)
    assert "cannot reach the Spark History Server at " + url in message
    assert "connection refused" in message
    assert SECRET not in message and "sync-user" not in message
    assert "\n" not in message


def test_a_url_that_is_no_history_server_is_a_usage_error(tmp_path, history_server_factory):
    """Behind a gateway, a wrong path is a 404; on the server itself, the summary page answers
    (200 HTML) any path but /api/, /history/ and /static/, as the real one does."""
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    gateway = history_server_factory(log_dir, base_path="/sparkhistory")
    direct = history_server_factory(log_dir)
    cases = [
        (gateway.url.removesuffix("/sparkhistory") + "/spark", "answered HTTP 404", "base URL"),
        (direct.url + "/history", "answered HTTP 404", "base URL"),
        (direct.url + "/spark", "did not answer with a Spark application list (got text/html)", ""),
    ]
    for wrong, problem, hint in cases:
        with pytest.raises(UsageError) as caught:
            list_attempts(with_credentials(wrong))
        message = str(caught.value)
        assert message.startswith(f"{wrong}/api/v1/applications {problem}"), message
        assert hint in message and SECRET not in message and "sync-user" not in message
        assert "\n" not in message


def test_a_login_page_instead_of_the_list_is_a_usage_error(tmp_path, history_server_factory):
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    server.add_fault("body", "text/html", b"<html><form>Sign in</form></html>")

    with pytest.raises(UsageError, match=r"did not answer with a Spark application list \(got "):
        list_attempts(server.url)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("spark-history:18080", "is not a History Server URL"),
        ("ftp://spark-history/", "is not a History Server URL"),
    ],
)
def test_a_url_that_is_not_http_is_a_usage_error(given, expected):
    with pytest.raises(UsageError, match=expected):
        list_attempts(given)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (("status", 503), "/api/v1/applications answered HTTP 503: scripted fault 503: "),
        (("drop",), "(the server closed the connection without answering)"),
        (("truncate",), "broke off its application list (the connection broke off mid-answer)"),
    ],
    ids=["503", "drop", "truncate"],
)
def test_a_failing_listing_is_unavailable_this_time(
    tmp_path, history_server_factory, fault, expected
):
    """A 503 or a dropped connection is tried three times; a body cut off is not retried."""
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    tries = 1 if fault == ("truncate",) else NO_WAIT.attempts
    for _ in range(tries):
        server.add_fault(*fault)

    with pytest.raises(SourceUnavailableError) as caught:
        list_attempts(with_credentials(server.url), retry=NO_WAIT)
    assert len(server.requests) == tries

    assert expected in str(caught.value)
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)
    assert len(list_attempts(server.url)) == 1  # the next run is fine


def test_a_slow_listing_times_out_as_unavailable(tmp_path, history_server_factory):
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    for _ in range(NO_WAIT.attempts):
        server.add_fault("slow", 2.0)

    with pytest.raises(SourceUnavailableError, match=r"did not answer within 0\.3 s"):
        list_attempts(server.url, timeout=0.3, retry=NO_WAIT)


def test_a_server_that_stumbles_is_tried_again_and_knows_who_calls(
    tmp_path, history_server_factory
):
    """A 503 while the server restarts, or a connection dropped by its gateway, costs a wait
    and another try, not the run; every request says it is sparklineage."""
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    server.add_fault("status", 503)
    server.add_fault("drop")
    waits: list[float] = []
    retry = ReadRetry(sleep=waits.append)

    [candidate] = list_attempts(server.url, retry=retry)
    server.add_fault("status", 502, path_contains="/logs")
    _, app = read_one(download_logs(candidate, tmp_path / "scratch", retry=retry))

    assert app.id == "local-1795493221031"
    assert [r.status for r in server.requests] == [503, 0, 200, 502, 200]
    assert len(waits) == 3 and all(0 < w <= retry.max_wait for w in waits)
    assert {r.user_agent for r in server.requests} == {USER_AGENT}


def test_credentials_in_the_url_authenticate_but_never_show(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir, auth=("sync-user", SECRET))

    with pytest.raises(UsageError, match="HTTP 401") as caught:
        list_attempts(server.url)
    assert "credentials" in str(caught.value)

    [candidate] = list_attempts(with_credentials(server.url) + "?doAs=alice")

    assert candidate.location == server.url + "/api/v1/applications/local-1795493221031"
    assert SECRET not in candidate.location and "doAs" not in candidate.location
    assert SECRET in candidate.path  # requests takes basic auth from it
    _, app = read_one(download_logs(candidate, tmp_path / "scratch"))
    assert app.id == "local-1795493221031"
    served = [r for r in server.requests if r.status == 200]
    assert [r.path.rsplit("/", 1)[1] for r in served] == ["applications", "logs"]
    assert all(r.query.get("doAs") == ["alice"] for r in served)


BOMB = bytes(64 << 20)  # 64 MiB of zeros: deflate makes it ~64 KiB
BOMB_GZIP = gzip.compress(BOMB, compresslevel=1)
FAILED_DOWNLOADS = [
    (("status", 500), "HTTP 500"),
    (("drop",), "download failed (the server closed the connection without answering)"),
    (("truncate",), "event logs download failed"),
    (("body", "application/octet-stream", b"PK\x03\x04 not a zip"), "not a readable zip"),
    (("body", "application/octet-stream", zip_bytes({})), "holds no files"),
    (("gzipped", "application/zip", b"\x1f\x8b\x08\x00 broken"), "has a broken gzip encoding"),
    (("gzipped", "application/zip", BOMB_GZIP), "inflates over 200 times"),
    (
        ("body", "application/zip", zip_bytes({"app": BOMB}, zipfile.ZIP_DEFLATED)),
        "zip entry 'app' inflates over 200 times (a decompression bomb): refused",
    ),
]


@pytest.mark.parametrize(("fault", "reason"), FAILED_DOWNLOADS, ids=lambda v: str(v)[:20])
def test_a_failed_download_is_that_attempts_log_read_error(
    tmp_path, history_server_factory, fault, reason
):
    log_dir = make_log_dir(
        tmp_path, "spark-4.0/local-1795493221031.zstd", "spark-3.5/local-1795492989320.lz4"
    )
    server = history_server_factory(log_dir, auth=("sync-user", SECRET))
    candidates = list_attempts(with_credentials(server.url))
    failing = candidate_of(candidates, "local-1795493221031")
    other = candidate_of(candidates, "local-1795492989320")
    for _ in range(NO_WAIT.attempts if fault == ("drop",) else 1):  # drops are tried again
        server.add_fault(*fault, path_contains="local-1795493221031/logs")
    scratch = tmp_path / "scratch"

    with pytest.raises(LogReadError) as caught:
        download_logs(failing, scratch, retry=NO_WAIT)

    assert caught.value.path == failing.location
    assert reason in caught.value.reason
    assert SECRET not in str(caught.value) and "sync-user" not in str(caught.value)
    assert list(scratch.iterdir()) == []  # nothing half-written is left
    assert server.pending_faults == 0
    _, app = read_one(download_logs(other, scratch))
    assert app.id == "local-1795492989320"


def test_a_log_gone_since_the_listing_is_a_404_log_read_error(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir)
    [candidate] = list_attempts(server.url)
    (log_dir / "local-1795493221031.zstd").unlink()

    with pytest.raises(LogReadError, match="HTTP 404: no such app: local-1795493221031/1"):
        download_logs(candidate, tmp_path / "scratch")


@pytest.mark.parametrize(
    "name", ["../escaped", "logs/../../escaped", "{tmp}/escaped", "..\\escaped", "C:/escaped"]
)
def test_a_zip_entry_outside_its_directory_is_refused(tmp_path, history_server_factory, name):
    name = name.format(tmp=tmp_path)  # an absolute path, kept inside the test's directory
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir)
    [candidate] = list_attempts(server.url)
    hostile = zip_bytes({"local-1795493221031": b'{"Event":"x"}\n', name: b"owned"})
    server.add_fault("body", "application/octet-stream", hostile)
    scratch = tmp_path / "deep" / "scratch"

    with pytest.raises(LogReadError, match="outside its directory"):
        download_logs(candidate, scratch)

    assert not list(tmp_path.rglob("escaped"))
    assert list(scratch.iterdir()) == []


def test_a_server_that_trickles_is_given_up_at_the_deadline(tmp_path, history_server_factory):
    log_dir = make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd")
    server = history_server_factory(log_dir)
    [candidate] = list_attempts(server.url)
    server.add_fault("trickle", 0.2, path_contains="/logs")
    started = time.monotonic()

    with pytest.raises(LogReadError, match="took too long"):
        download_logs(candidate, tmp_path / "scratch", timeout=5, deadline=1.5)

    assert time.monotonic() - started < 5, "each byte came within the timeout: the deadline ends it"
    server.add_fault("trickle", 0.2)
    with pytest.raises(SourceUnavailableError, match="application list took too long"):
        list_attempts(server.url, timeout=5, deadline=1.5)


def test_a_listing_that_is_a_decompression_bomb_is_refused(tmp_path, history_server_factory):
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    server.add_fault(
        "gzipped", "application/json", gzip.compress(b"[" + b" " * (64 << 20), compresslevel=1)
    )

    with pytest.raises(SourceUnavailableError, match="inflates over 200 times"):
        list_attempts(server.url)


def test_listed_values_of_the_wrong_type_are_passed_over(tmp_path, history_server_factory):
    server = history_server_factory(make_log_dir(tmp_path, "spark-4.0/local-1795493221031.zstd"))
    listing = [
        {"id": "app-number", "attempts": 5},
        {"id": "app-string", "attempts": "many"},
        {"id": 7, "attempts": []},
        {"id": "app-odd-times", "attempts": [{"lastUpdatedEpoch": "x", "completed": "yes"}, 3]},
        list_attempts_raw(server.url)[0],
    ]
    server.add_fault("body", "application/json", orjson.dumps(listing))

    candidates = list_attempts(server.url)

    assert [c.location.rsplit("/", 1)[1] for c in candidates] == [
        "app-odd-times",
        "local-1795493221031",
    ]
    assert candidates[0].in_progress, "not completed: true is not completed"


def list_attempts_raw(url: str) -> list[dict[str, Any]]:
    return requests.get(url + "/api/v1/applications", timeout=10).json()
