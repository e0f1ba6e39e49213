"""Reading logs and reports for a command: one progress bar, every problem said on stderr."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import click

from sparklineage.application import (
    Application,
    ReadOptions,
    read_application,
    without_copies,
)
from sparklineage.logs import LogSource, discover
from sparklineage.logs.discovery import Probed
from sparklineage.redact import redact_text
from sparklineage.settings import Settings
from sparklineage.sinks.report import load_report, sort_key
from sparklineage.work import Found, Outcome, Reported, Work, find_work, read_work, reported
from sparklineage.workers import ordered_map

PROGRESS_MIN_BYTES = 32 << 20  # smaller runs finish before a bar is worth drawing


def applications_of(
    paths: Sequence[str],
    settings: Settings,
    *,
    plans: bool = True,
    in_report_order: bool = True,
    verbose: bool = False,
) -> tuple[list[Application], bool]:
    """The applications of report files and logs (read with their plans, for a catalog,
    unless told otherwise), in that order, each as its report would order them (a catalog
    sees renames and drops in that order; ``extract`` keeps logs in the order read), an
    application found twice once; True when something could not be read."""
    applications: list[Application] = []
    logs: list[str] = []
    for path in paths:
        reported = load_report(path)
        if reported is None:
            logs.append(path)
        else:
            applications.extend(reported)
    partial = False
    if logs:
        read, partial = read_logs(logs, settings, plans=plans, verbose=verbose)
        applications.extend(sorted(read, key=sort_key) if in_report_order else read)
    return without_copies(applications), partial


def read_logs(
    paths: Sequence[str], settings: Settings, *, plans: bool, verbose: bool = False
) -> tuple[list[Application], bool]:
    """Every application under ``paths``, problems said; True when something was unreadable."""
    if settings.jobs > 1:  # the workers probe and read what this process walked
        return read_pieces(paths, settings, {}, plans=plans, verbose=verbose)
    found = discover(paths)
    applications = read_all(
        found.sources, reading=settings.reading, progress=settings.progress, plans=plans
    )
    report_problems(found.warnings, found.problems, applications, verbose=verbose)
    return applications, bool(found.problems) or any(a.read_error for a in applications)


def read_all(
    sources: Sequence[LogSource],
    *,
    reading: ReadOptions,
    progress: bool | None,
    plans: bool = False,
) -> list[Application]:
    """Read every application, with one progress bar over all their bytes."""
    applications = []
    with _progress_bar(sum(s.size for s in sources), progress) as advance:
        done = 0
        for source in sources:
            applications.append(
                read_application(
                    source,
                    reading=reading,
                    keep_plans=plans,
                    on_progress=functools.partial(_advanced, advance, done),
                )
            )
            done += source.size
            advance(done)
    return applications


def read_pieces(
    paths: Sequence[str],
    settings: Settings,
    storage_options: dict[str, Any],
    *,
    plans: bool,
    verbose: bool,
) -> tuple[list[Application], bool]:
    """Logs under local paths and URLs (an fsspec listing, each application copied to
    scratch space and read, as ``sync`` does), by ``--jobs`` processes, problems said."""
    found = find_work(paths, storage_options)
    work = functools.partial(read_work, reading=settings.reading, plans=plans)
    outcomes = []
    with _progress_bar(sum(w.size for w in found.work), settings.progress) as advance:
        done = 0
        for item, outcome in zip(
            found.work, ordered_map(work, found.work, settings.jobs, _lost_piece), strict=True
        ):
            outcomes.append(outcome)
            done += item.size
            advance(done)
    report = say_outcomes(found, outcomes, verbose=verbose)
    return report.applications, is_partial(report)


def _lost_piece(item: Work) -> Outcome:
    """A piece whose worker died (killed, or out of memory): a problem of its path."""
    where = item.local.path if item.local else item.remote[1].location if item.remote else "?"
    problem = f"{where}: the process reading it died (killed, or out of memory)"
    return Outcome(item.index, problems=(problem,), probed=Probed(None) if item.local else None)


def say_outcomes(found: Found, outcomes: Sequence[Outcome], *, verbose: bool) -> Reported:
    """Every problem of pieces read apart on stderr, as one process reading in order says
    them. Under ``--strict``, the first log failed (in that order) fails the run."""
    report = reported(found, outcomes)
    report_problems(report.warnings, report.problems, report.applications, verbose=verbose)
    return report


def is_partial(report: Reported) -> bool:
    """Something could not be read: a problem of a path, or an unreadable application."""
    return bool(report.problems) or any(a.read_error for a in report.applications)


def report_problems(
    warnings: Sequence[str],
    problems: Sequence[object],
    applications: Sequence[Application],
    *,
    verbose: bool,
) -> None:
    """What discovery and reading said, on stderr: the same lines whichever engine read."""
    for warning in warnings:
        click.echo(f"sparklineage: warning: {redact_text(warning)}", err=True)
    for problem in problems:
        click.echo(f"sparklineage: error: {redact_text(str(problem))}", err=True)
    for app in applications:
        if app.read_error:
            click.echo(f"sparklineage: error: {redact_text(app.read_error)}", err=True)
        if verbose:
            for warning in app.warnings:
                click.echo(f"sparklineage: warning: {app.source}: {redact_text(warning)}", err=True)


@contextmanager
def _progress_bar(total: int, progress: bool | None) -> Iterator[Callable[[int], None]]:
    """A callable that moves a stderr progress bar to an absolute byte count (or does
    nothing): as ``--progress`` says, or by default on a terminal for large inputs."""
    show = sys.stderr.isatty() and total >= PROGRESS_MIN_BYTES if progress is None else progress
    if not show:
        yield lambda _n: None
        return
    with click.progressbar(length=total, label="reading event logs", file=sys.stderr) as bar:
        position = 0

        def advance(n: int) -> None:
            nonlocal position
            bar.update(max(0, n - position))
            position = max(position, n)

        yield advance


def _advanced(advance: Callable[[int], None], base: int, read: int) -> None:
    """Progress over all logs: this log's bytes read on top of those before it."""
    advance(base + read)


@contextmanager
def count_bar(show: bool | None, label: str) -> Iterator[Callable[[int, int], None]]:
    """A callable ``(done, total)`` that draws a stderr progress bar (on a terminal, unless
    told otherwise), created at the first call, when the total is known."""
    if not (sys.stderr.isatty() if show is None else show):
        yield lambda _done, _total: None
        return
    with ExitStack() as stack:
        bars: list[Any] = []

        def advance(done: int, total: int) -> None:
            if not bars:
                bars.append(
                    stack.enter_context(
                        click.progressbar(length=total, label=label, file=sys.stderr)
                    )
                )
            bars[0].update(done - bars[0].pos)

        yield advance
