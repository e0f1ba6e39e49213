"""Reading logs in parallel processes (``extract --jobs``, ``sync --jobs``), in order.

One process reads a log at about the speed Python reads its lines, so a run over many logs
uses as many processes as it is told. Results come back in the order of the items, so a
report made with ``--jobs 4`` is byte for byte the one ``--jobs 1`` makes, and at most two
items per process are read ahead, so memory stays that of a few logs whatever the backfill.

Workers are spawned, not forked: a forked worker would inherit what its parent holds (a sync
state's lock and SQLite handle), and keep holding it after the parent was killed. Each worker
ends once its parent is gone. When a worker dies (killed, out of memory), the pool cannot say
which of the items in flight killed it: each of them is read again alone, so only the one
that kills its process again comes back as ``lost(item)``, and the rest goes on in a new pool.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

READ_AHEAD = 2  # items in flight per process


def ordered_map(
    work: Callable[[T], R], items: Sequence[T], jobs: int, lost: Callable[[T], R]
) -> Iterator[R]:
    """``work(item)`` for every item, in the items' order, by ``jobs`` processes at once
    (in this process when ``jobs`` is 1, or for a single item). ``work`` must be
    picklable: a module-level function, or a ``functools.partial`` of one."""
    if jobs <= 1 or len(items) <= 1:
        yield from map(work, items)
        return
    waiting = iter(items)
    broke = True
    while broke:  # a new pool after a worker died
        broke = yield from _pooled(work, waiting, jobs, lost)


def _pooled(
    work: Callable[[T], R], waiting: Iterator[T], jobs: int, lost: Callable[[T], R]
) -> Generator[R, None, bool]:
    """Work through ``waiting`` in one pool until it is empty (False) or the pool breaks
    (True): then the items in flight are read again, each alone."""
    with _pool(jobs) as pool:
        ahead: deque[tuple[T, Future[R]]] = deque(
            (item, pool.submit(work, item)) for item in itertools.islice(waiting, READ_AHEAD * jobs)
        )
        try:
            while ahead:
                item, future = ahead.popleft()
                try:
                    result = future.result()
                except BrokenProcessPool:
                    suspects = [item, *(i for i, _ in ahead)]
                    ahead.clear()
                    for suspect in suspects:
                        yield _alone(work, suspect, lost)
                    return True
                for following in itertools.islice(waiting, 1):
                    ahead.append((following, pool.submit(work, following)))
                yield result
        finally:
            for _, future in ahead:
                future.cancel()
    return False


def _alone(work: Callable[[T], R], item: T, lost: Callable[[T], R]) -> R:
    """``work(item)`` in a process of its own: the item comes back lost only when it is the
    one that kills its process."""
    with _pool(1) as pool:
        try:
            return pool.submit(work, item).result()
        except BrokenProcessPool:
            return lost(item)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Spawned workers that end with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )


def _end_with_parent(parent: int) -> None:
    """Worker initializer: end this worker once the run that started it is gone (killed
    with -9, its workers would otherwise wait forever for more logs to read)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
