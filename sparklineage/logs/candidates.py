"""What ``sync`` lists, shared by the listers: a source, and the applications it holds.

Its own module so that the History Server client and the directory lister both name these
types without importing each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One application (attempt) as a listing shows it, before anything is read.

    ``location`` is its key in the sync state and its name in messages: an absolute local
    path, or a URL without credentials or query string. ``path`` is what the source reads
    (a path in the filesystem, or the History Server's logs URL).
    """

    location: str
    path: str
    fingerprint: str  # changes whenever the log changes (sizes, times, completion)
    in_progress: bool  # the listing says the application is still running
    modified: float  # epoch seconds of the newest change
    size: int = 0  # bytes of its files, where the listing says (to balance Spark partitions)


@dataclass(frozen=True)
class Source:
    """A place ``sync`` lists: a local directory, an fsspec URL or a History Server."""

    kind: str  # local | fsspec | history-server
    root: str  # a local path, an fsspec URL (as fsspec spells it) or the server's base URL
    storage_options: tuple[tuple[str, str], ...] = ()  # for fsspec; may hold secrets
    given: str = ""  # the URL as the user spelled it (locations are named after it)
    timeout: float = 60.0  # seconds, each History Server call
    sleep: Callable[[float], None] = time.sleep  # between tries of a History Server call
