"""The one walk of a directory tree that both ``extract`` and ``sync`` use to find applications.

``extract`` (:mod:`~sparklineage.logs.discovery`) and ``sync``
(:mod:`~sparklineage.logs.sources`) must agree on which directory is which layout, what is
passed over, and how symlink loops and unreadable directories end: a log that one finds and
the other does not is a log that lands in the catalog by one command and not by the other.
So the recursion, the skip rules, loop detection and the layout decision live here, once,
parameterised by a *listing* (``os.scandir`` locally, fsspec's ``ls`` for object stores and
HDFS). Nothing here reads a file: discovery probes what the walk found, sync fingerprints it.

Rules, the same for every listing:

- names starting with ``.`` (``.crc`` checksums, hidden files) are passed over quietly;
- a directory that holds one application as a whole (rolling ``eventlog_v2_*``, Databricks
  ``eventlog``, Spark 1.x ``EVENT_LOG_N``; :func:`layout_of`, told from the names of its
  regular files) is one application and is not walked further;
- any other regular file is a one-file application (``single``) *candidate*: whether it is
  an event log is for the consumer to find out;
- a FIFO, socket or device is :class:`Skipped` (``special``): open() on a FIFO blocks;
- a directory is entered once: a symlink loop, or a second link to a directory already
  walked, is :class:`Skipped` (``loop``); identity is (device, inode) locally, the path remotely;
- a directory that cannot be listed is :class:`Skipped` (``unlistable``, with the reason);
  so is a local directory whose entries cannot be stat'ed (a directory without its ``x`` bit);
- an entry that vanished between listing and stat (a log being renamed as it finishes) and
  a dangling symlink are left out of the listing, quietly;
- non-UTF-8 names are kept as Python keeps them (surrogate escapes), never decoded wrongly.

The walk is depth first in name order and without recursion, so no depth of directories
ends a run; the files of a directory come before its subdirectories.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

ROLLING_PREFIX = "eventlog_v2_"
INPROGRESS = ".inprogress"
DATABRICKS_ROLLED = re.compile(r"^eventlog-(\d{4}-\d{2}-\d{2}--\d{2}-\d{2})(\..+)?$")
LEGACY_PART = re.compile(r"^EVENT_LOG_(\d+)$")


class Entry(NamedTuple):
    """One line of a directory listing (symlinks followed). A named tuple: a listing makes
    one per file, thousands a sync run."""

    name: str
    path: str
    is_dir: bool
    size: int = 0
    modified: float = 0.0  # epoch seconds
    is_regular: bool = True  # a file open() reads to its end: no directory, FIFO, socket, device
    tag: str = ""  # an object store's content tag (ETag…): catches a same-size rewrite
    key: tuple[int, int] | str = ""  # a directory's identity: (device, inode), or its path


class Found(NamedTuple):
    """One application (attempt) as the listing shows it: a file (``single``) or a directory
    holding it whole, with the directory's entries (hidden names left out) in name order."""

    layout: str  # single | rolling | databricks | legacy
    path: str
    entries: tuple[Entry, ...]  # single: the file itself
    files: tuple[Entry, ...]  # the regular files among the entries (what a layout is told from)
    in_progress: bool  # the names say the application is still running


@dataclass(frozen=True)
class Skipped:
    """Something the walk passed over, and why."""

    path: str
    why: str  # loop | special | unlistable
    reason: str = ""  # unlistable: what the listing said


class Unlistable(Exception):
    """Raised by a listing for a directory it cannot list; ``reason`` says why, in a few
    words fit for a message (an OS error's text, a store's error without its secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Listing = Callable[[str], list[Entry]]


def walk(
    top: Entry, listing: Listing, entered: set[tuple[int, int] | str] | None = None
) -> Iterator[Found | Skipped]:
    """The applications at directory ``top`` and below, and what was passed over.

    ``entered`` holds the identities of the directories walked so far; share one set between
    walks of several roots so that a directory reached from two of them is walked once.
    """
    entered = set() if entered is None else entered
    pending = [top]
    while pending:
        directory = pending.pop()
        if directory.key in entered:
            yield Skipped(directory.path, "loop")
            continue
        entered.add(directory.key)
        try:
            visible = listed(directory.path, listing)
        except Unlistable as exc:
            yield Skipped(directory.path, "unlistable", exc.reason)
            continue
        whole = layout_at(directory.name, directory.path, visible)
        if whole is not None:
            yield whole
            continue
        subdirectories = []
        for entry in visible:
            if entry.is_dir:
                subdirectories.append(entry)
            elif entry.is_regular:
                yield single(entry)
            else:
                yield Skipped(entry.path, "special")
        pending.extend(reversed(subdirectories))  # in name order, depth first


def listed(directory: str, listing: Listing) -> list[Entry]:
    """A directory's entries in name order, hidden names (``.crc`` checksums…) left out;
    raises :class:`Unlistable`."""
    entries = [e for e in listing(directory) if not e.name.startswith(".")]
    return sorted(entries, key=lambda e: e.name)


def single(entry: Entry) -> Found:
    """A file as a one-file application."""
    return Found("single", entry.path, (entry,), (entry,), entry.name.endswith(INPROGRESS))


def layout_at(name: str, path: str, entries: Iterable[Entry]) -> Found | None:
    """The application directory ``path`` (named ``name``) holds as a whole, from its listing
    (hidden names left out); None for a directory of other things."""
    visible = tuple(entries)
    files = tuple(e for e in visible if e.is_regular)
    names = [e.name for e in files]
    layout = layout_of(name, names)
    if layout is None:
        return None
    return Found(layout, path, visible, files, in_progress_by_names(layout, names))


def layout_of(directory_name: str, file_names: Iterable[str]) -> str | None:
    """The layout of a directory that holds one application as a whole (rolling, databricks,
    legacy), told from names alone; None for a directory of other things."""
    if directory_name.startswith(ROLLING_PREFIX):
        return "rolling"
    names = set(file_names)
    if "eventlog" in names or any(DATABRICKS_ROLLED.match(n) for n in names):
        return "databricks"
    if any(LEGACY_PART.match(n) for n in names):
        return "legacy"
    return None


def in_progress_by_names(layout: str, names: Iterable[str]) -> bool:
    """Whether the layout says the application is still running, from file names alone."""
    names = list(names)
    if layout == "single":
        return names[0].endswith(INPROGRESS)
    if layout == "rolling":
        markers = [n for n in names if n.startswith("appstatus_")]
        return not any(not m.endswith(INPROGRESS) for m in markers)
    if layout == "legacy":
        return "APPLICATION_COMPLETE" not in names
    return False


def local_entry(path: str) -> Entry:
    """The entry of a local path that exists (symlinks followed); OSError otherwise."""
    info = os.stat(path)
    name = os.path.basename(os.path.normpath(path))
    return _local(name, path, info)


def local_listing(path: str) -> list[Entry]:
    """The entries of a local directory (symlinks followed). An entry gone before its stat,
    and a dangling or looping symlink, are left out; any other failure makes the directory
    :class:`Unlistable` (an entry that cannot be stat'ed cannot be told file from FIFO)."""
    entries = []
    try:
        with os.scandir(path) as scan:
            for item in scan:
                try:
                    info = item.stat()
                except OSError as exc:
                    if exc.errno == errno.ENOENT or item.is_symlink():
                        continue  # vanished (a log being renamed), or a link to nowhere
                    raise
                kind = stat.S_IFMT(info.st_mode)
                entries.append(
                    Entry(
                        item.name,
                        item.path,
                        kind == stat.S_IFDIR,
                        info.st_size,
                        info.st_mtime,
                        kind == stat.S_IFREG,
                        "",
                        (info.st_dev, info.st_ino),
                    )
                )
    except OSError as exc:
        raise Unlistable(exc.strerror or type(exc).__name__) from None
    return entries


def _local(name: str, path: str, info: os.stat_result) -> Entry:
    mode = info.st_mode
    return Entry(
        name,
        path,
        is_dir=stat.S_ISDIR(mode),
        size=info.st_size,
        modified=info.st_mtime,
        is_regular=stat.S_ISREG(mode),
        key=(info.st_dev, info.st_ino),
    )
