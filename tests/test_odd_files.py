"""Directories as cron finds them: FIFOs, symlink loops, odd file names, beside real logs.

Each case puts one odd thing next to a copy of a real fixture log; the run must end (no
open() that blocks for ever), say what it passed over, and still report the real log.
"""

from __future__ import annotations

import os
import shutil

import orjson
import pytest

from tests.conftest import fixture_path, run_cli


@pytest.fixture
def logs(tmp_path):
    directory = tmp_path / "logs"
    directory.mkdir()
    shutil.copy2(fixture_path("dml", "3.5"), directory / "app-1")
    return directory


def test_a_fifo_in_a_log_directory_is_passed_over(logs):
    os.mkfifo(logs / "app-fifo")
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 0, done.stderr
    assert "app-fifo: not a regular file: passed over" in done.stderr
    assert len(done.json()["applications"]) == 1


def test_a_fifo_named_on_the_command_line_or_in_a_rolling_log_is_not_opened(logs, tmp_path):
    fifo = tmp_path / "named.fifo"
    os.mkfifo(fifo)
    done = run_cli("extract", str(fifo), str(logs), "--format", "json")
    assert done.code == 3 and "named.fifo: not a regular file: not read" in done.stderr
    assert len(done.json()["applications"]) == 1
    rolling = tmp_path / "rolling"
    shutil.copytree(fixture_path("rolling-multipart", "3.5"), rolling / "eventlog_v2_x")
    parts = sorted((rolling / "eventlog_v2_x").glob("events_*"))
    last = parts[-1]
    last.unlink()
    os.mkfifo(last)
    done = run_cli("extract", str(rolling), "--format", "json")
    assert done.code == 3 and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_symlink_loops_and_links_to_walked_directories_are_passed_over(logs):
    (logs / "nested").mkdir()
    os.symlink("..", logs / "nested" / "up")  # a loop
    os.symlink(str(logs / "nested"), logs / "again")  # the same directory twice
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 0, done.stderr
    assert "symlink loop" in done.stderr
    assert len(done.json()["applications"]) == 1


def test_odd_file_names_are_quoted_and_survive_every_output(logs):
    odd = os.fsencode(logs) + b"/app-\xff\nsparklineage: error: forged"
    os.rename(logs / "app-1", odd)
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 0, done.stderr
    [app] = done.json()["applications"]
    assert app["source"].endswith("app-\\xff\\nsparklineage: error: forged")
    text = run_cli("extract", str(logs), "--format", "text")
    assert text.code == 0 and "\\xff\\n" in text.stdout
    expected = logs.parent / "expected.json"
    assert run_cli("check", str(logs), "--expected", str(expected), "--update").code == 0
    assert orjson.loads(expected.read_bytes())["applications"]
    broken = os.fsencode(logs) + b"/\xfe\nbroken.zstd"
    with open(broken, "wb") as handle:
        handle.write(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)  # a zstd magic and nothing behind
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 3
    errors = [line for line in done.stderr.splitlines() if line.startswith("sparklineage:")]
    assert len(errors) == len(done.stderr.splitlines())  # no forged line on stderr
    assert "\\xfe\\nbroken.zstd" in done.stderr


def test_the_same_application_found_twice_is_reported_once_with_a_note(logs, tmp_path):
    backup = logs / "backup"
    backup.mkdir()
    shutil.copy2(logs / "app-1", backup / "app-1")  # a copy of the log, as backups make
    rolling = logs / "eventlog_v2_app-1"  # and the same application as a rolling log
    rolling.mkdir()
    shutil.copy2(logs / "app-1", rolling / "events_1_app-1")
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 0, done.stderr
    [app] = done.json()["applications"]
    [note] = [w for w in app["warnings"] if "also found" in w]
    assert "backup/app-1" in note and "eventlog_v2_app-1" in note
    check = run_cli("check", str(logs), "--expected", str(tmp_path / "e.json"), "--update")
    assert check.code == 0 and b"#2" not in (tmp_path / "e.json").read_bytes()


def test_a_streaming_query_event_file_is_not_taken_for_an_application(corpus, logs):
    events = corpus / "apache-spark" / "structured-streaming"
    shutil.copy2(events / "query-event-logs-version-2.0.2.txt", logs)
    beside = run_cli("extract", str(logs), "--format", "json")  # walked: passed over
    assert beside.code == 0 and len(beside.json()["applications"]) == 1
    named = run_cli("extract", str(events / "query-event-logs-version-2.0.2.txt"))
    assert named.code == 3 and "StreamingQueryListener events only" in named.stderr
    assert "Traceback" not in named.stderr
