"""What there is to read, and what reading it gave: the units both engines deal out.

The local engine (``--jobs``) and the Spark engine read the same units with the same code:
an application the walk found (probed, then read), or an application of a remote listing
(copied to scratch space, then read, as ``sync`` does). Each gives an :class:`Outcome`
that never raises, and :func:`reported` turns the outcomes, in any order they came back,
into what one process reading the paths in order would have reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sparklineage.application import Application, ReadOptions, assembled, probe_and_read
from sparklineage.errors import LogReadError
from sparklineage.logs.candidates import Candidate, Source
from sparklineage.logs.discovery import Probed, Unprobed, Walked, walk_paths
from sparklineage.logs.sources import list_candidates, source_of


@dataclass(frozen=True)
class Work:
    """One thing an executor reads: an application the walk found (probed on the executor,
    then read), or an application of a remote listing (copied to the executor's scratch
    space, then read)."""

    index: int  # where its applications go in the report, as the local engine orders them
    size: int  # bytes, to balance the partitions
    local: Unprobed | None = None
    remote: tuple[Source, Candidate] | None = None


@dataclass(frozen=True)
class Outcome:
    """What one piece of work gave: its applications, what went wrong beside them, and
    under ``--strict`` the malformed line that failed it."""

    index: int
    applications: tuple[Application, ...] = ()
    problems: tuple[str, ...] = ()
    strict: LogReadError | None = None  # raised by the driver, as the local engine raises it
    probed: Probed | None = None  # a walked application: what its probe found


@dataclass(frozen=True)
class Found:
    """What the driver found: the work, and the walk of the local paths."""

    work: tuple[Work, ...]
    walked: Walked


@dataclass(frozen=True)
class Reported:
    """The outcomes as the local engine would report them."""

    applications: list[Application]  # in the local engine's order (parts: the unreadable)
    warnings: tuple[str, ...]
    problems: list[str]


def find_work(paths: Sequence[str], storage_options: dict[str, Any] | None = None) -> Found:
    """The applications under ``paths``, in the order the local engine reads them: local
    paths walked as :func:`discover` walks them (their files probed by the executors), then
    each URL's listing (its fsspec filesystem made with ``storage_options``, on the driver
    and on every executor)."""
    walked = walk_paths([p for p in paths if not is_url(p)])
    work = [Work(i, item.size, local=item) for i, item in enumerate(walked.items)]
    for url in (p for p in paths if is_url(p)):
        source = source_of(url, storage_options)
        for candidate in list_candidates(source):
            work.append(Work(len(work), candidate.size, remote=(source, candidate)))
    return Found(tuple(work), walked)


def reported(found: Found, outcomes: Sequence[Outcome]) -> Reported:
    """The outcomes (in index order) as the local engine reports its reading: discovery's
    problems, then each application; under ``--strict`` the first failed log raises."""
    failed = [o.strict for o in outcomes if o.strict]
    if failed:  # the one the local engine meets first: it reads in the order of the paths
        raise min(failed, key=lambda exc: exc.path)
    walked = found.walked
    local, remote = outcomes[: len(walked.items)], outcomes[len(walked.items) :]
    results = [(o.probed or Probed(None), next(iter(o.applications), None)) for o in local]
    discovery, applications = assembled(walked, results)
    applications.extend(a for o in remote for a in o.applications)
    problems = [str(p) for p in discovery.problems] + [p for o in outcomes for p in o.problems]
    return Reported(applications, discovery.warnings, problems)


def is_url(path: str) -> bool:
    """A URL for fsspec (``s3://``, ``abfss://``…), not a path or a ``file://`` URL."""
    scheme, sep, _ = path.partition("://")
    return bool(sep) and len(scheme) > 1 and scheme != "file"


def read_work(item: Work, *, reading: ReadOptions, plans: bool) -> Outcome:
    """One piece of work, never raising: whatever goes wrong is this piece's outcome."""
    nothing = Probed(None) if item.local else None
    try:
        if item.local is not None:
            probed, app = probe_and_read(item.local, reading=reading, plans=plans)
            return Outcome(item.index, (app,) if app else (), probed=probed)
        assert item.remote is not None
        return _read_remote(item.index, *item.remote, reading=reading)
    except LogReadError as exc:  # --strict: the first malformed line fails the log
        return Outcome(item.index, strict=exc, probed=nothing)
    except Exception as exc:  # a bug of ours on a log nobody foresaw: this log only
        where = item.local.path if item.local else item.remote[1].location if item.remote else "?"
        problem = f"{where}: sparklineage could not handle it ({type(exc).__name__}: {exc})"
        return Outcome(item.index, problems=(problem[:500],), probed=nothing)


def _read_remote(
    index: int, source: Source, candidate: Candidate, *, reading: ReadOptions
) -> Outcome:
    from sparklineage.sync import extract  # the fetch-and-read of sync, with its messages

    got = extract(source, candidate, reading)
    problems = list(got.problems)
    if got.fetch_error:
        problems.append(got.fetch_error)
    if got.vanished:
        problems.append(f"{candidate.location}: gone since it was listed")
    return Outcome(index, got.applications, tuple(problems))
