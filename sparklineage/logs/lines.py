"""An application's log as batches of byte lines, across its files, in reading order.

Lines are read about a megabyte at a time (``readline`` with a limit, done in C, from one
reused buffer); the event filter then loops over a list, and progress is reported once a
batch, so the per-line cost stays one ``startswith``. Two guarantees the rest of the pipeline
relies on:

- *bounded memory*: a line longer than ``max_line`` bytes is never held whole; its bytes are
  dropped as they come and it is handed on as :data:`OVERSIZED`, which the event stream
  counts as a malformed line (a real plan line is a megabyte at most; a damaged or hostile
  file may decode to one line of gigabytes);
- *nothing decoded is lost*: when a codec fails mid-file (a cut or damaged log), every line
  decoded before the failure is handed on first, the unfinished one marked unterminated.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sparklineage.errors import CorruptLogError
from sparklineage.logs.codecs import open_decoded, position
from sparklineage.logs.discovery import LogSource

BATCH_BYTES = 1 << 20
MAX_LINE_BYTES = 16 << 20  # 16 times the longest line of any real log we have seen
_SKIP_BYTES = 1 << 20  # how much of a line over the cap is read (and dropped) at a time
OVERSIZED = b"\x00sparklineage: a line over the line cap, skipped"


@dataclass(frozen=True)
class LineBatch:
    """Consecutive lines of one file; ``first_line`` is the 1-based number of the first.

    ``unterminated``: the batch's last line is its file's last and has no newline, so the
    log may have been cut while Spark was writing that line.
    """

    path: str
    first_line: int
    lines: list[bytes]
    unterminated: bool = False


def iter_line_batches(
    source: LogSource,
    on_progress: Callable[[int], None] | None = None,
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[LineBatch]:
    """Yield the lines of every file of ``source`` in order, decoded, in batches.

    ``on_progress`` receives the number of bytes of the source's files read so far (compressed
    bytes for compressed files), after every batch.
    """
    done = 0
    for log_file in source.files:
        with open_decoded(log_file.path, log_file.codec, ahead=True) as stream:
            first = 1
            for lines, failure in _batches(stream, max_line):
                if lines:
                    unterminated = not lines[-1].endswith(b"\n") and lines[-1] != OVERSIZED
                    yield LineBatch(log_file.path, first, lines, unterminated)
                    first += len(lines)
                if failure is not None:
                    raise failure
                if on_progress is not None:
                    on_progress(done + position(stream))
        done += log_file.size


def _batches(
    stream: io.BufferedReader, max_line: int
) -> Iterator[tuple[list[bytes], CorruptLogError | None]]:
    """About a megabyte of lines at a time (``readline`` with a limit, in C, so a line is
    never held past the cap); a codec failure comes with the lines decoded before it."""
    readline = stream.readline
    while True:
        lines: list[bytes] = []
        size = 0
        try:
            while size < BATCH_BYTES:
                line = readline(max_line)
                if not line:
                    break
                if len(line) == max_line and not line.endswith(b"\n"):
                    line = _skip_rest(readline)
                lines.append(line)
                size += len(line)
        except CorruptLogError as exc:
            yield lines, exc
            return
        if not lines:
            return
        yield lines, None


def _skip_rest(readline: Callable[[int], bytes]) -> bytes:
    """Drop the rest of a line over the cap, a megabyte at a time."""
    while (more := readline(_SKIP_BYTES)) and not more.endswith(b"\n"):
        pass
    return OVERSIZED
