"""A sync state that is damaged, locked by another program, or cannot be written: one line
saying what to do, the documented exit code, and nothing sent that the state cannot record."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.atlas_server import AtlasServer
from tests.catalog import cli, cli_started
from tests.conftest import copy_logs


def sync(events: Path, server: AtlasServer, state: Path, *extra: str):
    return cli("sync", str(events), "--endpoint", server.url, "--state", str(state), *extra)


def writes(server: AtlasServer) -> list[tuple[str, str]]:
    return [r for r in server.requests if r[0] != "GET" and "/search/" not in r[1]]


@pytest.fixture
def synced(tmp_path: Path, catalog: AtlasServer) -> tuple[Path, Path]:
    """A log directory synced once, and a second log added since: the next run has work."""
    events = copy_logs(tmp_path / "events", ("dml",))
    state = tmp_path / "state" / "sync.sqlite3"
    assert sync(events, catalog, state).returncode == 0
    copy_logs(events, ("ddl",))
    return events, state


def test_a_damaged_state_says_to_move_it_aside(synced, catalog):
    events, state = synced
    data = bytearray(state.read_bytes())
    page = 4096
    data[page : 3 * page] = b"\xff" * (2 * page)  # the first table pages, not the header
    state.write_bytes(bytes(data))
    sent_before = len(writes(catalog))
    run = sync(events, catalog, state)
    assert run.returncode == 2, run.stderr
    assert "the sync state is damaged" in run.stderr and "move it aside" in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert len(writes(catalog)) == sent_before


def test_a_file_that_is_not_a_state_is_named_so(tmp_path, catalog):
    events = copy_logs(tmp_path / "events", ("dml",))
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")
        db.commit()
    run = sync(events, catalog, other)
    assert run.returncode == 2
    assert "not a sparklineage sync state (it holds another program's tables)" in run.stderr
    with contextlib.closing(sqlite3.connect(other)) as db:
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
    assert names == {"invoices"}, "another program's database is left as it was"


@contextlib.contextmanager
def held_by_another_program(state: Path) -> Iterator[None]:
    """The state's SQLite file locked the way a `sqlite3` shell in a transaction locks it."""
    db = sqlite3.connect(state, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


def test_a_state_locked_by_another_program_is_busy_not_broken(synced, catalog):
    events, state = synced
    sent_before = len(writes(catalog))
    with held_by_another_program(state):
        started = time.monotonic()
        busy = sync(events, catalog, state)
    assert busy.returncode == 75, busy.stderr
    assert "locked by another program" in busy.stderr and "--wait" in busy.stderr
    assert "not a sparklineage sync state" not in busy.stderr, "it must not invite deleting it"
    assert busy.stderr.count("\n") == 1
    assert time.monotonic() - started < 60
    assert len(writes(catalog)) == sent_before


def test_with_wait_a_locked_state_is_waited_for(synced, catalog):
    events, state = synced
    release = threading.Event()

    def hold() -> None:
        with held_by_another_program(state):
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.3)
    args = ("sync", str(events), "--endpoint", catalog.url, "--state", str(state), "--wait")
    waiting = cli_started(*args)
    time.sleep(7)  # longer than the busy timeout a run without --wait has
    assert waiting.poll() is None, "with --wait the run waits for the lock"
    release.set()
    holder.join()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "1 new" in out


def _make_read_only(path: Path) -> None:
    """Read-only for this user: by mode bits, or (root ignores those) the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot make a file read-only for root here (no chattr +i)")


def _make_writable(path: Path) -> None:
    if os.geteuid() != 0:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    else:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_a_state_that_cannot_be_written_is_refused_before_anything_is_sent(synced, catalog):
    events, state = synced
    sent_before = len(writes(catalog))
    _make_read_only(state)
    try:
        run = sync(events, catalog, state)
        dry = sync(events, catalog, state, "--dry-run")
    finally:
        _make_writable(state)
    assert run.returncode == 2, run.stderr
    assert "cannot write the sync state" in run.stderr and "Nothing was sent" in run.stderr
    assert len(writes(catalog)) == sent_before, "nothing sent that could not be recorded"
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout, "a read-only state still serves --dry-run"
