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
