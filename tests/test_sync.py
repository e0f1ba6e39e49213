"""`sparklineage sync` as cron runs it: real fixture logs, a real subprocess, the
Atlas-compatible server on 127.0.0.1; assertions on what the catalog holds at the end and on
what each run sent."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import fsspec
import pytest

from sparklineage.atlas.client import AtlasClient
from sparklineage.cli import main
from sparklineage.logs.sources import list_candidates, source_of
from sparklineage.redact import without_secrets
from sparklineage.settings import World
from sparklineage.state import exclusive, open_state
from sparklineage.sync import Syncer, SyncOptions, since_epoch
from tests.atlas_server import AtlasServer
from tests.catalog import catalog_contents, cli, cli_started, prepare_catalog
from tests.conftest import CORPUS, copy_logs, fixture_path

# Logs with DROPs (ddl, views, hive) and without, single files and a rolling zstd directory.
SCENARIOS = ("ddl", "dml", "views", "hive", "rolling-multipart")


def sync(events: Path | str, server: AtlasServer, state: Path, *extra: str):
    return cli("sync", str(events), "--endpoint", server.url, "--state", str(state), *extra)


@pytest.fixture
def reference(tmp_path_factory, atlas_server_factory):
    """What one uninterrupted sync of SCENARIOS leaves in a fresh catalog."""
    events = copy_logs(tmp_path_factory.mktemp("reference") / "events", SCENARIOS)
    server = prepare_catalog(atlas_server_factory())
    done = sync(events, server, events.parent / "state.sqlite3")
    assert done.returncode == 0, done.stderr
    return catalog_contents(server)


def test_first_run_lands_every_application_and_the_second_sends_nothing(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    state = tmp_path / "state.sqlite3"
    first = sync(events, catalog, state)
    assert first.returncode == 0, first.stderr
    assert "5 applications seen: 5 new, 0 changed, 0 unchanged" in first.stdout
    apps = {a["attributes"]["name"] for a in catalog.entities("spark_application")}
    assert apps == set(SCENARIOS)
    ddl_processes = [
        p for p in catalog.entities("spark_process") if p["attributes"]["operation"] == "drop_table"
    ]
    assert ddl_processes, "the DROP TABLE queries of the ddl log landed as processes"
    before = catalog.request_count

    second = sync(events, catalog, state)
    assert second.returncode == 0, second.stderr
    assert "5 applications seen: 0 new, 0 changed, 5 unchanged" in second.stdout
    assert "0 queries sent" in second.stdout
    assert catalog.request_count == before, "an unchanged directory costs no request"


def test_a_history_server_is_synced_like_its_log_directory(
    tmp_path, atlas_server_factory, history_server_factory, reference
):
    history = history_server_factory(copy_logs(tmp_path / "events", SCENARIOS))
    server = prepare_catalog(atlas_server_factory())
    state = tmp_path / "state.sqlite3"
    args = ("sync", "--history-server", history.url, "--endpoint", server.url)
    first = cli(*args, "--state", str(state))
    assert first.returncode == 0, first.stderr
    assert "5 applications seen: 5 new" in first.stdout
    assert catalog_contents(server) == reference
    assert len(history.log_downloads) == 5

    second = cli(*args, "--state", str(state))
    assert second.returncode == 0, second.stderr
    assert "5 unchanged" in second.stdout
    assert len(history.log_downloads) == 5, "unchanged applications are not downloaded"


def test_sync_lands_what_upload_lands(tmp_path, catalog, atlas_server_factory):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    assert sync(events, catalog, tmp_path / "state.sqlite3").returncode == 0
    uploaded = prepare_catalog(atlas_server_factory())
    done = cli("upload", str(events), "--endpoint", uploaded.url)
    assert done.returncode == 0, done.stderr
    assert catalog_contents(catalog) == catalog_contents(uploaded)


def _cut_log(log: Path, fraction: float) -> tuple[bytes, set[int]]:
    """The first ``fraction`` of a plain log's lines (as Spark had written them by then)
    and the execution ids that had ended by that line."""
    lines = log.read_bytes().splitlines(keepends=True)
    head = lines[: int(len(lines) * fraction)]
    ended = {
        int(line.split(b'"executionId":')[1].split(b",")[0].split(b"}")[0])
        for line in head
        if b"SparkListenerSQLExecutionEnd" in line
    }
    return b"".join(head), ended


@pytest.mark.parametrize("via", ["directory", "history-server"])
def test_a_growing_log_sends_only_its_new_queries_and_lands_whole_when_done(
    tmp_path, catalog, atlas_server_factory, history_server_factory, via
):
    log = fixture_path("dml")
    events = tmp_path / "events"
    events.mkdir()
    running = events / f"{log.name}.inprogress"
    head, ended = _cut_log(log, 0.5)
    running.write_bytes(head)
    state = tmp_path / "state.sqlite3"
    source = events if via == "directory" else history_server_factory(events).url

    def sync_source(*extra: str):
        where = (str(source),) if via == "directory" else ("--history-server", source)
        return cli("sync", *where, "--endpoint", catalog.url, "--state", str(state), *extra)

    skipped = sync_source()
    assert skipped.returncode == 0, skipped.stderr
    assert "1 running" in skipped.stdout and not catalog.entities("spark_application")

    early = sync_source("--include-incomplete")
    assert early.returncode == 0, early.stderr
    [app] = catalog.entities("spark_application")
    app_qn = app["attributes"]["qualifiedName"]
    landed = {p["attributes"]["qualifiedName"] for p in catalog.entities("spark_process")}
    assert landed, "queries of the running application landed"

    # The application finishes: Spark writes the rest and renames the file.
    running.unlink()
    shutil.copy2(log, events / log.name)
    mark = catalog.request_count
    done = sync_source("--include-incomplete")
    assert done.returncode == 0, done.stderr
    assert "1 changed" in done.stdout
    resent = {
        e["attributes"]["qualifiedName"]
        for e in catalog.sent_entities(since=mark)
        if e["typeName"] == "spark_process"
    }
    assert resent, "the new queries were sent"
    finished_early = {f"{app_qn}/{execution}" for execution in ended}
    assert not resent & finished_early, "a query that had landed finished was sent again"

    fresh = prepare_catalog(atlas_server_factory())
    assert sync(events, fresh, tmp_path / "fresh.sqlite3").returncode == 0
    assert catalog_contents(catalog) == catalog_contents(fresh)


def test_a_second_run_on_a_locked_state_exits_at_once_or_waits(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml",))
    state = tmp_path / "state.sqlite3"
    with exclusive(state, wait=False, on_wait=print):
        started = time.monotonic()
        busy = sync(events, catalog, state)
        assert busy.returncode == 75
        assert time.monotonic() - started < 15
        assert f"another sync is running on {state} (pid {os.getpid()})" in busy.stderr
        assert "--wait" in busy.stderr and "Traceback" not in busy.stderr
        assert not catalog.entities("spark_application")

    lock = threading.Lock()
    lock.acquire()

    def hold_lock() -> None:
        with exclusive(state, wait=False, on_wait=print):
            lock.acquire()  # until the test lets go

    holder = threading.Thread(target=hold_lock)
    holder.start()
    time.sleep(0.2)
    args = ("sync", str(events), "--endpoint", catalog.url, "--state", str(state), "--wait")
    waiting = cli_started(*args)
    time.sleep(2)
    assert waiting.poll() is None, "it waits while the lock is held"
    lock.release()
    holder.join()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "waiting for the sync running on" in err
    assert "1 new" in out and catalog.entities("spark_application")


def _kill_at_held_request(
    server, events, state, path_contains: str, skip: int, *extra: str
) -> list[int]:
    """Run sync until the ``skip+1``-th request whose path contains ``path_contains`` has
    been applied by the server, then kill -9 it before it sees the answer; the pids of the
    processes it had started."""
    server.add_faults(*[("slow", 0)] * skip, ("hold",), path_contains=path_contains)
    args = ("sync", str(events), "--endpoint", server.url, "--state", str(state), *extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "sparklineage", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.wait_held(timeout=60), "sync never got to the request to kill it at"
        children = [
            int(pid)
            for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        ]
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
        server.release()
    return children


@pytest.mark.parametrize(
    ("path_contains", "skip"),
    [
        ("/entity/bulk", 0),  # the first application's datasets
        ("/entity/bulk", 2),  # the first application's processes
        ("/entity/bulk", 4),  # a later application, the first ones landed
        ("/entity/uniqueAttribute", 0),  # the first DROP applied, its answer lost
        ("/entity/uniqueAttribute", 2),  # in the middle of an application's deletes
    ],
)
def test_killed_at_any_request_and_run_again_everything_lands_once(
    tmp_path, atlas_server_factory, reference, path_contains, skip
):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    state = tmp_path / "state.sqlite3"
    server = prepare_catalog(atlas_server_factory())
    _kill_at_held_request(server, events, state, path_contains, skip)
    assert catalog_contents(server) != reference, "the kill came before the end"

    again = sync(events, server, state)
    assert again.returncode == 0, again.stderr
    assert catalog_contents(server) == reference
    third = sync(events, server, state)
    assert "0 queries sent" in third.stdout and catalog_contents(server) == reference


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_a_killed_parallel_run_leaves_no_worker_and_no_lock_behind(
    tmp_path, atlas_server_factory, reference
):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    state = tmp_path / "state.sqlite3"
    server = prepare_catalog(atlas_server_factory())
    workers = _kill_at_held_request(server, events, state, "/entity/bulk", 2, "--jobs", "2")
    assert workers, "the run had started its reading processes"
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_running(pid) for pid in workers), "workers outlived their killed run"

    again = sync(events, server, state, "--jobs", "2")
    assert again.returncode == 0, again.stderr  # not 75: no orphan holds the lock
    assert catalog_contents(server) == reference


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead child not yet reaped by init)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_killed_again_and_again_at_random_moments_everything_lands_once(
    tmp_path, atlas_server_factory, reference
):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    state = tmp_path / "state.sqlite3"
    server = prepare_catalog(atlas_server_factory())
    args = ("sync", str(events), "--endpoint", server.url, "--state", str(state))
    for delay in (0.4, 0.8, 1.1, 1.3, 1.6):
        process = subprocess.Popen(
            [sys.executable, "-m", "sparklineage", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    done = sync(events, server, state)
    assert done.returncode == 0, done.stderr
    assert catalog_contents(server) == reference


def test_a_source_that_cannot_be_listed_now_leaves_the_others_to_land(
    tmp_path, catalog, history_server_factory
):
    """A History Server that is down this time: exit 3 (not a usage error), the directory
    given beside it lands, and the next run takes the server's applications."""
    events = copy_logs(tmp_path / "events", ("dml",))
    history = history_server_factory(copy_logs(tmp_path / "history", ("ddl",)))
    for _ in range(3):  # a listing is tried three times
        history.add_fault("status", 503)
    state = tmp_path / "state.sqlite3"
    args = ("--history-server", history.url)
    down = sync(events, catalog, state, *args)
    assert down.returncode == 3, down.stderr
    assert "answered HTTP 503" in down.stderr and "Traceback" not in down.stderr
    assert "1 new" in down.stdout and "1 sources could not be listed" in down.stdout
    again = sync(events, catalog, state, *args)
    assert again.returncode == 0, again.stderr
    assert "1 new" in again.stdout and "1 unchanged" in again.stdout


def test_since_leaves_old_logs_alone(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml", "ddl"))
    old = events / fixture_path("ddl").name
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    done = sync(events, catalog, tmp_path / "state.sqlite3", "--since", "7d")
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout and "1 older than --since" in done.stdout
    assert {a["attributes"]["name"] for a in catalog.entities("spark_application")} == {"dml"}


def test_parallel_reading_lands_the_same_catalog(tmp_path, catalog, reference):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    done = sync(events, catalog, tmp_path / "state.sqlite3", "--jobs", "3")
    assert done.returncode == 0, done.stderr
    assert catalog_contents(catalog) == reference


def test_dry_run_sends_and_records_nothing(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml", "ddl"))
    state = tmp_path / "state.sqlite3"
    before = [r for r in catalog.requests if r[0] != "GET"]
    dry = sync(events, catalog, state, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout and "queries would be sent" in dry.stdout
    assert "created" in dry.stdout  # what the catalog lacks, read from it (GETs only)
    assert [r for r in catalog.requests if r[0] != "GET"] == before and not state.exists()
    real = sync(events, catalog, state)
    assert "2 new" in real.stdout


def test_dry_run_reads_an_existing_state_given_by_a_relative_path(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml", "ddl"))
    args = ("sync", str(events), "--endpoint", catalog.url, "--state", "state.sqlite3")
    assert cli(*args[:-1], "state.sqlite3", cwd=tmp_path).returncode == 0
    (events / fixture_path("dml").name).write_bytes(fixture_path("dml").read_bytes() + b"\n")
    before = catalog.request_count
    dry = cli(*args, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "1 changed" in dry.stdout and "1 unchanged" in dry.stdout
    assert catalog.request_count == before

    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (text)").connection.commit()
    refused = cli(*args[:-1], str(foreign), "--dry-run")
    assert refused.returncode == 2 and "not a sparklineage sync state" in refused.stderr


def test_a_failed_batch_is_reported_and_sent_by_the_next_run(tmp_path, catalog, reference):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    state = tmp_path / "state.sqlite3"
    catalog.add_faults(("status", 500), path_contains="/entity/bulk", method="POST")
    failed = sync(events, catalog, state)
    assert failed.returncode == 3
    assert "1 failed" in failed.stdout and "HTTP 500" in failed.stderr
    again = sync(events, catalog, state)
    assert again.returncode == 0, again.stderr
    assert "1 new" in again.stdout and "4 unchanged" in again.stdout
    assert catalog_contents(catalog) == reference


def test_an_unreachable_endpoint_stops_the_run_and_records_nothing(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml", "ddl"))
    state = tmp_path / "state.sqlite3"
    gone = AtlasServer().start()
    url = gone.url
    gone.stop()
    done = cli("sync", str(events), "--endpoint", url, "--state", str(state), "--retry-budget", "1")
    assert done.returncode == 3
    assert "did not answer: stopped" in done.stderr and "Traceback" not in done.stderr
    again = sync(events, catalog, state)
    assert "2 new" in again.stdout, "nothing was recorded as landed"


def test_an_unreadable_log_fails_once_and_is_not_retried_until_it_changes(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml",))
    source = fixture_path("basic-zstd")
    cut = events / source.name
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])  # a damaged copy
    state = tmp_path / "state.sqlite3"
    first = sync(events, catalog, state)
    assert first.returncode == 3
    assert str(cut) in first.stderr and "1 failed" in first.stdout
    second = sync(events, catalog, state)
    assert second.returncode == 0 and "2 unchanged" in second.stdout
    shutil.copy2(source, cut)  # the file is replaced by a good copy
    third = sync(events, catalog, state)
    assert third.returncode == 0 and "1 changed" in third.stdout


def test_file_urls_and_usage_errors(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml",))
    state = tmp_path / "state.sqlite3"
    done = cli("sync", events.as_uri(), "--endpoint", catalog.url, "--state", str(state), "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and catalog.entities("spark_application")

    no_source = cli("sync", "--endpoint", catalog.url, "--state", str(state))
    assert no_source.returncode == 2 and "give a SOURCE" in no_source.stderr
    bad_since = sync(events, catalog, state, "--since", "last tuesday")
    assert bad_since.returncode == 2 and "--since 'last tuesday'" in bad_since.stderr
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database, it is a text file" * 100)
    broken = sync(events, catalog, garbage)
    assert broken.returncode == 2 and "not a sparklineage sync state" in broken.stderr
    missing = sync(tmp_path / "nowhere", catalog, state)
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr
    unwritable = sync(events, catalog, events / fixture_path("dml").name / "state.sqlite3")
    assert unwritable.returncode == 2 and "point --state at a writable place" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr


def _sync_in_process(source: str, server: AtlasServer, state: Path, *extra: str) -> int:
    """The CLI in this process: a ``memory://`` filesystem exists only here."""
    args = ["sync", source, "--endpoint", server.url, "--state", str(state), *extra]
    with pytest.raises(SystemExit) as done:
        main(args)
    return done.value.code


def test_an_fsspec_url_is_synced_like_a_local_directory(
    tmp_path, atlas_server_factory, reference, capsys
):
    events = copy_logs(tmp_path / "events", SCENARIOS)
    memory = fsspec.filesystem("memory")
    root = f"/history-{tmp_path.name}"
    memory.put(str(events), root, recursive=True)
    state = tmp_path / "state.sqlite3"
    server = prepare_catalog(atlas_server_factory())

    assert _sync_in_process(f"memory://{root}", server, state) == 0
    assert "5 applications seen: 5 new" in capsys.readouterr().out
    assert catalog_contents(server) == reference

    assert _sync_in_process(f"memory://{root}", server, state) == 0
    assert "5 unchanged" in capsys.readouterr().out
    dml = fixture_path("dml")
    memory.pipe(f"{root}/{dml.name}", dml.read_bytes())  # written again: a new mtime
    assert _sync_in_process(f"memory://{root}", server, state) == 0
    out = capsys.readouterr().out
    assert "1 changed" in out and "0 queries sent" in out, "same log, nothing new to send"
    memory.rm(root, recursive=True)


def test_a_remote_copy_that_fails_is_retried_by_the_next_run(
    tmp_path, catalog, monkeypatch, capsys
):
    events = copy_logs(tmp_path / "events", ("dml",))
    memory = fsspec.filesystem("memory")
    root = f"/flaky-{tmp_path.name}"
    memory.put(str(events), root, recursive=True)
    state = tmp_path / "state.sqlite3"

    def refused(*args, **kwargs):
        raise PermissionError("403 This request is not authorized ?sig=s3cr3t-signature")

    with monkeypatch.context() as patch:
        patch.setattr(type(memory), "get", refused)
        assert _sync_in_process(f"memory://{root}", catalog, state) == 3
    captured = capsys.readouterr()
    assert "cannot copy (PermissionError: 403" in captured.err
    assert "s3cr3t" not in captured.err + captured.out
    assert "1 failed" in captured.out and not catalog.entities("spark_application")

    assert _sync_in_process(f"memory://{root}", catalog, state) == 0
    assert "1 new" in capsys.readouterr().out
    memory.rm(root, recursive=True)


def test_a_log_gone_between_listing_and_reading_is_passed_over(tmp_path, catalog, monkeypatch):
    """Spark renames foo.inprogress to foo as the application ends: a run that listed the
    old name finds nothing there. Not a failure; the next listing shows the new name."""
    events = copy_logs(tmp_path / "events", ("dml", "ddl"))
    source = source_of(str(events))
    listed = list(list_candidates(source))
    Path(listed[0].path).unlink()
    monkeypatch.setattr("sparklineage.sync.list_candidates", lambda _source: iter(listed))
    with open_state(tmp_path / "state.sqlite3", "test") as state:
        syncer = Syncer(AtlasClient(catalog.url), state, SyncOptions(), say=print, warn=print)
        summary = syncer.run([source], on_progress=lambda _done, _total: None)
        assert (summary.new, summary.failed, summary.partial) == (1, 0, False)
        assert listed[0].location not in state.taken_logs()
        assert listed[1].location in state.taken_logs()


def test_remote_urls_are_named_as_users_write_them():
    source = source_of("abfss://logs@contoso.dfs.core.windows.net/spark-events/")
    assert source.root == "abfs://logs/spark-events"
    assert dict(source.storage_options) == {"account_name": "contoso"}
    blob = source_of("wasbs://c@acct.blob.core.windows.net/x", {"anon": False})
    assert (blob.root, dict(blob.storage_options)) == (
        "az://c/x",
        {"account_name": "acct", "anon": False},
    )
    assert source_of("file:///var/log/spark").kind == "local"
    assert without_secrets("https://user:pw@host:18080/a?sig=abc") == "https://host:18080/a"
    assert without_secrets("hdfs://nn:8020/spark-events") == "hdfs://nn:8020/spark-events"


@pytest.mark.skipif(importlib.util.find_spec("gcsfs") is not None, reason="gcsfs is installed")
def test_a_protocol_without_its_package_says_which_extra_to_install(tmp_path, catalog):
    done = sync("gs://bucket/spark-events", catalog, tmp_path / "state.sqlite3")
    assert done.returncode == 2
    assert "pip install 'spark-eventlog-lineage[gcs]'" in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36h", 1_000_000 - 36 * 3600),
        ("7d", 1_000_000 - 7 * 86400),
        ("90m", 1_000_000 - 90 * 60),
        ("2024-06-01", 1717200000),
        ("2024-06-01T12:00", 1717243200),
        ("2024-06-01T12:00+02:00", 1717236000),
    ],
)
def test_since_takes_ages_and_iso_times(text, expected):
    assert since_epoch(text, now=1_000_000) == expected


@pytest.mark.skipif(not CORPUS.exists(), reason="the public corpus is not beside the checkout")
def test_the_public_corpus_lands_once_and_a_strict_run_reports_the_malformed_log(tmp_path, catalog):
    """Real logs of many Spark versions and platforms (EMR, Dataproc, Databricks), rolling,
    legacy and deliberately broken ones, synced twice."""
    state = tmp_path / "state.sqlite3"
    first = sync(CORPUS, catalog, state)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    landed = {a["attributes"]["qualifiedName"] for a in catalog.entities("spark_application")}
    assert {"application_1724877841851_0016/1", "application_1724877841851_0016/2"} <= landed
    before = catalog.request_count
    second = sync(CORPUS, catalog, state)
    assert second.returncode == 0 and "0 new, 0 changed" in second.stdout
    assert catalog.request_count == before

    strict = sync(CORPUS, catalog, tmp_path / "strict.sqlite3", "--strict")
    assert strict.returncode == 3
    assert "malformed_json_eventlog.zstd" in strict.stderr and "1 failed" in strict.stdout


def _failing_on(name: str, real):
    """``real``, failing as a bug of ours would on the application called ``name``; it is
    given an Application (_located, in the worker) or a list of them (plan_upload)."""

    def failing(first, *args, **kwargs):
        names = {app.name for app in first} if isinstance(first, list) else {first.name}
        if name in names:
            raise RuntimeError(f"nobody foresaw {name}")
        return real(first, *args, **kwargs)

    return failing


@pytest.mark.parametrize("stage", ["_located", "plan_upload"])
def test_a_log_sparklineage_cannot_handle_is_recorded_failed_and_the_others_land(
    tmp_path, catalog, monkeypatch, stage
):
    import sparklineage.sync as sync_module

    events = copy_logs(tmp_path / "events", ("dml", "ddl", "views"))
    source = source_of(str(events))
    monkeypatch.setattr(sync_module, stage, _failing_on("ddl", getattr(sync_module, stage)))
    warned: list[str] = []
    with open_state(tmp_path / "state.sqlite3", "test") as state:
        first = Syncer(
            AtlasClient(catalog.url), state, SyncOptions(), say=print, warn=warned.append
        )
        summary = first.run([source], on_progress=lambda _done, _total: None)
        assert (summary.new, summary.failed, summary.partial) == (2, 1, True)
        assert any("could not handle" in w and "nobody foresaw ddl" in w for w in warned)
        outcomes = sorted(outcome for _, outcome in state.taken_logs().values())
        assert outcomes == ["failed", "landed", "landed"], "the poisoned log is recorded"

        again = Syncer(AtlasClient(catalog.url), state, SyncOptions(), say=print, warn=print)
        rerun = again.run([source], on_progress=lambda _done, _total: None)
        assert (rerun.unchanged, rerun.failed) == (3, 0), "unchanged, it is not read again"
    apps = {a["attributes"]["name"] for a in catalog.entities("spark_application")}
    assert apps == {"dml", "views"}


def test_timeout_reaches_the_history_server(tmp_path, atlas_server_factory, history_server_factory):
    """--timeout holds for every HTTP call of a run, the History Server's too (it used to
    wait the default 60 s whatever was given)."""
    history = history_server_factory(copy_logs(tmp_path / "events", ("dml",)))
    for _ in range(3):  # a listing is tried three times
        history.add_fault("slow", 3.0)
    server = prepare_catalog(atlas_server_factory())
    waits: list[float] = []
    done = cli(
        "sync", "--history-server", history.url, "--endpoint", server.url, "--timeout", "0.5",
        "--state", str(tmp_path / "state.sqlite3"), world=World(sleep=waits.append),
    )  # fmt: skip
    assert done.returncode == 3, "the source is unavailable this time; the next run retries"
    assert len(waits) == 2, "three tries of the listing, two waits between them"
    assert "did not answer within 0.5 s" in done.stderr
