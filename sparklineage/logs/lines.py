"""An application's log as batches of byte lines, across its files, in reading order.

Lines are read in batches of about a megabyte (``readlines`` with a size hint, done in C, into
one reused buffer): the event filter then loops over a list, and progress is reported once a
batch, so the per-line cost stays one ``startswith``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sparklineage.logs.codecs import open_decoded, position
from sparklineage.logs.discovery import LogSource

BATCH_BYTES = 1 << 20


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
    source: LogSource, on_progress: Callable[[int], None] | None = None
) -> Iterator[LineBatch]:
    """Yield the lines of every file of ``source`` in order, decoded, in batches.

    ``on_progress`` receives the number of bytes of the source's files read so far (compressed
    bytes for compressed files), after every batch.
    """
    done = 0
    for log_file in source.files:
        with open_decoded(log_file.path, log_file.codec) as stream:
            first = 1
            while lines := stream.readlines(BATCH_BYTES):
                yield LineBatch(log_file.path, first, lines, not lines[-1].endswith(b"\n"))
                first += len(lines)
                if on_progress is not None:
                    on_progress(done + position(stream))
        done += log_file.size
