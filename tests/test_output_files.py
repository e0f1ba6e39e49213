"""``-o`` and ``check --update`` write where they are told, and say so when they cannot.

A regular file is replaced atomically; a FIFO (standing in for /dev/null or /dev/stdout,
which a test must not risk) is written to, never replaced by a regular file; a missing
directory is a usage error (exit 2), not exit 1, which ``check`` uses for "lineage differs".
"""

from __future__ import annotations

import os
import stat
import threading

import orjson

from tests.conftest import fixture_path, run_cli

LOG = str(fixture_path("dml", "3.5"))


def test_a_fifo_given_as_output_is_written_to_not_replaced(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run_cli("extract", LOG, "--format", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert done.code == 0, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert orjson.loads(received[0])["applications"]


def test_a_regular_file_is_replaced_and_a_link_keeps_pointing_at_it(tmp_path):
    real = tmp_path / "report.json"
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    done = run_cli("extract", LOG, "--format", "json", "-o", str(link))
    assert done.code == 0, done.stderr
    assert link.is_symlink() and orjson.loads(real.read_bytes())["applications"]


def test_a_missing_directory_is_a_usage_error(tmp_path):
    missing = tmp_path / "nowhere" / "report.json"
    done = run_cli("extract", LOG, "--format", "json", "-o", str(missing))
    assert done.code == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    update = run_cli("check", LOG, "--expected", str(missing), "--update")
    assert update.code == 2 and "does not exist" in update.stderr
