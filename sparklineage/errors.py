"""The one exception tree and the exit codes, both caught and mapped in one place (the CLI).

Every error a user can cause or meet carries a message that says what to do next; the CLI
prints it on one line and exits with the code of its class, never with a traceback.
"""

from __future__ import annotations

import os
from enum import IntEnum

from sparklineage.redact import redact_text


class ExitCode(IntEnum):
    """Process exit statuses, the contract with cron jobs and CI."""

    OK = 0
    DIFFERS = 1  # lineage differs from the expected file / a check failed
    USAGE = 2  # usage or configuration error: nothing could be done
    PARTIAL = 3  # some logs (or batches) failed, the rest was done
    BUSY = 75  # another sync holds the state's lock (sysexits EX_TEMPFAIL: try again later)
    INTERRUPTED = 130


class SparkLineageError(Exception):
    """Base of every error sparklineage raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE

    def __str__(self) -> str:
        """The message with its secrets redacted: messages quote paths, URLs and what
        servers answered, and every one is printed, kept in a report or in the sync state."""
        return redact_text(super().__str__())


class UsageError(SparkLineageError):
    """The command line or configuration asks for something impossible."""


class NoLogsFoundError(UsageError):
    """A path holds no Spark event log at all."""


class StateLockedError(SparkLineageError):
    """Another ``sync`` runs on the same state file; this one must not run beside it."""

    exit_code = ExitCode.BUSY


class SourceUnavailableError(SparkLineageError):
    """A log source could not be listed now (unreachable, timed out, failing): nothing of it
    was done this time, the next run tries again. Unlike a wrong URL, not the user's to fix."""

    exit_code = ExitCode.PARTIAL


class SparkJobError(SparkLineageError):
    """The Spark job of ``--engine spark`` failed as a whole (executors lost, the cluster
    gone): nothing was written; the run can be made again as it is."""

    exit_code = ExitCode.PARTIAL


class AtlasError(SparkLineageError):
    """The catalog endpoint refused a request (after retries, where retrying made sense), or
    could not be reached (``status`` None). A configuration problem unless the uploader, which
    collects failed batches, says otherwise."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class CatalogUnreachableError(AtlasError):
    """The catalog endpoint did not answer (connections failing, or throttled or failing
    past the retry budget): nothing more is tried this run, the next one tries again."""

    exit_code = ExitCode.PARTIAL


def shown(path: str | os.PathLike[str]) -> str:
    """A path fit for a message or a report: bytes that are not UTF-8 as ``\\xNN``, and no
    control character (a newline in a file name must not forge a line on stderr)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class LogReadError(SparkLineageError):
    """One event log could not be read (whole or in part); others may still be fine."""

    exit_code = ExitCode.PARTIAL

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{shown(path)}: {message}")
        self.path = path
        self.reason = message

    def __reduce__(self) -> tuple[type[LogReadError], tuple[str, str]]:
        """Pickled as built (a worker of ``--jobs`` raises it in its parent)."""
        return type(self), (self.path, self.reason)


class FetchError(LogReadError):
    """A remote log could not be copied (network, permissions): it may work next time."""


class LogVanishedError(FetchError):
    """A listed log was gone when it was to be read: renamed by Spark as it finished, or
    cleaned away. Not a failure; a later listing shows what became of it."""


class CorruptLogError(LogReadError):
    """The bytes of a log break its codec's framing (truncated or damaged file)."""


class MalformedLineError(LogReadError):
    """A line of an event log is not JSON; raised only under --strict, counted otherwise."""
