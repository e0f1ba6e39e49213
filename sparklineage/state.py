"""What ``sync`` has already landed, in a SQLite file: the memory that makes cron runs cheap
and exactly-once.

Rows are kept per *target* (the catalog endpoint and the mapping options, so one state file
can serve several catalogs) and say:

- ``logs``: each log location's fingerprint when it was last taken, and how that went
  (``landed``, ``failed`` for a log that cannot be read, ``not-a-log``). An unchanged
  fingerprint means the log is skipped without being read.
- ``queries``: a digest of every query that landed, per application attempt: a log that grew
  is read again and only queries whose digest is new are sent.
- ``applications``: the application attempts that have landed at least once.
- ``pending``: the journal of an upload whose entities (datasets, applications, processes)
  have all landed and whose deletes (DROPs) are under way. A run that finds one finishes the
  deletes and records the queries as landed; sending its entities again would bring the
  dropped tables back as new entities. An upload interrupted before its deletes leaves no
  journal: sending its entities again only updates what landed.

Locations are kept redacted (:func:`location_key`): a path or URL may hold a secret (a
SAS signature, a password parameter), and the state file is kept for years.

Every change is one transaction, so a process killed at any point (kill -9 included) leaves
the file as it was before or after that step, never in between. An exclusive lock on a
``.lock`` file beside the state keeps two runs apart; the kernel drops it when a run dies.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from sparklineage.errors import SparkLineageError, StateLockedError, UsageError
from sparklineage.redact import redact_text

SCHEMA_VERSION = 2  # 2: the types table
_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    target TEXT NOT NULL, location TEXT NOT NULL, fingerprint TEXT NOT NULL,
    outcome TEXT NOT NULL, taken_at REAL NOT NULL, PRIMARY KEY (target, location));
CREATE TABLE IF NOT EXISTS applications (
    target TEXT NOT NULL, app_key TEXT NOT NULL, landed_at REAL NOT NULL,
    PRIMARY KEY (target, app_key));
CREATE TABLE IF NOT EXISTS queries (
    target TEXT NOT NULL, app_key TEXT NOT NULL, execution_id TEXT NOT NULL,
    digest TEXT NOT NULL, PRIMARY KEY (target, app_key, execution_id));
CREATE TABLE IF NOT EXISTS pending (
    target TEXT NOT NULL, app_key TEXT NOT NULL,
    digests TEXT NOT NULL, deletes TEXT NOT NULL, started_at REAL NOT NULL,
    PRIMARY KEY (target, app_key));
CREATE TABLE IF NOT EXISTS types (
    target TEXT NOT NULL, type_name TEXT NOT NULL, version TEXT NOT NULL,
    checked_at REAL NOT NULL, PRIMARY KEY (target, type_name));
"""
_TABLES = {"logs", "applications", "queries", "pending", "types"}


def default_state_path() -> Path:
    """``$XDG_STATE_HOME/sparklineage/sync.sqlite3`` (``~/.local/state/…`` when unset)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "sparklineage" / "sync.sqlite3"


def location_key(location: str) -> str:
    """The key a log's location is kept under, and looked up by: the location redacted."""
    return redact_text(location)


@dataclass(frozen=True)
class PendingUpload:
    """An upload whose entities landed and whose deletes a run began (the journal row)."""

    app_key: str
    digests: dict[str, str]  # execution id -> query digest, of the queries being sent
    deletes: list[tuple[str, str]]  # (typeName, qualifiedName) to soft-delete


class SyncState:
    """The state file, for one target. Open it with :func:`open_state`."""

    def __init__(self, connection: sqlite3.Connection, target: str) -> None:
        self._db = connection
        self.target = target

    def taken_logs(self) -> dict[str, tuple[str, str]]:
        """Location key (:func:`location_key`) -> (fingerprint, outcome) of every log taken
        before: one query for a whole run, which is most of what a run costs when nothing
        changed."""
        rows = self._db.execute(
            "SELECT location, fingerprint, outcome FROM logs WHERE target = ?", (self.target,)
        )
        return {location: (fingerprint, outcome) for location, fingerprint, outcome in rows}

    def knows_application(self, app_key: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM applications WHERE target = ? AND app_key = ?", (self.target, app_key)
        ).fetchone()
        return row is not None

    def landed_digests(self, app_key: str) -> dict[str, str]:
        """Execution id -> digest of every landed query of an application attempt."""
        rows = self._db.execute(
            "SELECT execution_id, digest FROM queries WHERE target = ? AND app_key = ?",
            (self.target, app_key),
        )
        return dict(rows.fetchall())

    def pending(self) -> list[PendingUpload]:
        rows = self._db.execute(
            "SELECT app_key, digests, deletes FROM pending WHERE target = ? ORDER BY started_at",
            (self.target,),
        )
        return [
            PendingUpload(key, orjson.loads(digests), [tuple(d) for d in orjson.loads(deletes)])
            for key, digests, deletes in rows.fetchall()
        ]

    def begin_deletes(self, upload: PendingUpload) -> None:
        """Journal an upload's deletes before the first is sent."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
                (
                    self.target,
                    upload.app_key,
                    orjson.dumps(upload.digests).decode(),
                    orjson.dumps(upload.deletes).decode(),
                    time.time(),
                ),
            )

    def checked_types(self, version: str) -> set[str]:
        """The types a run already found in the catalog, as sparklineage ``version`` of its
        typedefs wants them (a new version checks again)."""
        try:
            rows = self._db.execute(
                "SELECT type_name FROM types WHERE target = ? AND version = ?",
                (self.target, version),
            )
            return {name for (name,) in rows}
        except sqlite3.OperationalError:  # an older state opened read-only: no such table
            return set()

    def remember_types(self, names: Iterable[str], version: str) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO types VALUES (?, ?, ?, ?)",
                [(self.target, name, version, time.time()) for name in names],
            )

    def land(self, app_key: str, digests: dict[str, str]) -> None:
        """An application's queries landed: record them and close its journal entry."""
        with self._transaction():
            self._land(app_key, digests)

    def record_log(
        self,
        location: str,
        fingerprint: str,
        outcome: str,
        landed: Iterable[tuple[str, dict[str, str]]] = (),
    ) -> None:
        """A log was taken: its fingerprint and outcome, with the applications it landed
        (app key, query digests), all in one transaction."""
        with self._transaction():
            for app_key, digests in landed:
                self._land(app_key, digests)
            self._db.execute(
                "INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?)",
                (self.target, location_key(location), fingerprint, outcome, time.time()),
            )

    def _land(self, app_key: str, digests: dict[str, str]) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO applications VALUES (?, ?, ?)",
            (self.target, app_key, time.time()),
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO queries VALUES (?, ?, ?, ?)",
            [(self.target, app_key, execution, digest) for execution, digest in digests.items()],
        )
        self._db.execute(
            "DELETE FROM pending WHERE target = ? AND app_key = ?", (self.target, app_key)
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


BUSY_TIMEOUT = 5.0  # seconds SQLite waits for a lock another program holds on the file
WAIT_TIMEOUT = 24 * 3600.0  # with --wait


@contextmanager
def open_state(
    path: Path, target: str, *, read_only: bool = False, wait: bool = False
) -> Iterator[SyncState]:
    """The state at ``path`` for ``target``; created when missing (unless ``read_only``,
    where a missing file reads as empty and nothing is ever written).

    A state that cannot be written is refused here, before a run sends anything: a run
    that sent and then could not record would send everything again the next time. Any
    SQLite error while the state is open becomes one line saying what to do (:func:`failure`).
    """
    timeout = WAIT_TIMEOUT if wait else BUSY_TIMEOUT
    if read_only and not path.exists():
        connection, writable = sqlite3.connect(":memory:", isolation_level=None), True
    else:
        connection, writable = _connect(path, read_only=read_only, timeout=timeout), not read_only
    try:
        _prepare(connection, path, writable=writable)
        if writable and not read_only:
            _probe_write(connection)
        yield SyncState(connection, target)
    except sqlite3.Error as exc:
        raise failure(path, exc) from None
    finally:
        connection.close()


def failure(path: Path, exc: sqlite3.Error) -> SparkLineageError:
    """What an SQLite error on the state means to the user, and what to do about it."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StateLockedError(
            f"{path}: the sync state is locked by another program ({exc}); exiting. "
            "Try again later, or use --wait"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return UsageError(
            f"{path}: cannot write the sync state ({exc}); make the file and its directory "
            "writable by this user, or point --state at another file. Nothing was sent"
        )
    if name.startswith("SQLITE_FULL"):
        return UsageError(f"{path}: no space left for the sync state ({exc}); free some space")
    again = "the next run reads every log again and sends only what the catalog lacks"
    if name.startswith("SQLITE_NOTADB"):
        return UsageError(
            f"{path}: not a sparklineage sync state ({exc}); point --state at the state file, "
            f"or move this one aside: {again}"
        )
    if name.startswith("SQLITE_CORRUPT"):
        return UsageError(f"{path}: the sync state is damaged ({exc}); move it aside: {again}")
    return UsageError(f"{path}: the sync state failed ({exc}); see docs/cron.md")


def _connect(path: Path, *, read_only: bool, timeout: float) -> sqlite3.Connection:
    try:
        if read_only:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, isolation_level=None, timeout=timeout)
    except OSError as exc:
        raise UsageError(
            f"{path.parent}: cannot create the directory of the sync state ({exc.strerror}); "
            "point --state at a writable place"
        ) from None
    except sqlite3.Error as exc:
        raise failure(path, exc) from None


def _prepare(connection: sqlite3.Connection, path: Path, *, writable: bool) -> None:
    """Create the tables, or check that an existing file is a state this version reads."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"{path}: the sync state was written by a newer sparklineage "
            f"(schema {version}); upgrade, or point --state at another file"
        )
    if version == 0:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        tables = {name for (name,) in rows}
        if tables - _TABLES:
            raise UsageError(
                f"{path}: not a sparklineage sync state (it holds another program's tables); "
                "point --state at another file"
            )
        if not writable:
            raise UsageError(f"{path}: not a sparklineage sync state (an empty database)")
    if version < SCHEMA_VERSION and writable:
        connection.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")


def _probe_write(connection: sqlite3.Connection) -> None:
    """Write the file's header in a transaction rolled back: fails now when the file, its
    directory (the journal) or its file system cannot be written."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        connection.execute("ROLLBACK")


@contextmanager
def exclusive(path: Path, *, wait: bool, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock of the state at ``path`` for the block. When another run holds it:
    raise :class:`StateLockedError` at once, or with ``wait`` say so and wait."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UsageError(
            f"{lock_path}: cannot create the lock of the sync state ({exc.strerror}); "
            "point --state at a writable place"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            if not wait:
                raise StateLockedError(
                    f"another sync is running on {path} (pid {holder}); exiting. "
                    "Use --wait to wait for it"
                ) from None
            on_wait(f"waiting for the sync running on {path} (pid {holder})")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
