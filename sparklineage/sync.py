"""``sync``: land every new or changed application of some sources in a catalog, once.

One run: finish the deletes an interrupted run left owed; list the sources (listings only);
skip what the state says landed unchanged, what is still running (unless asked) and what is
older than ``since``; read the rest, oldest change first, in parallel processes when asked;
then for each application, in that order, send only the queries whose digest is new, and
record them in the state once the catalog has them all.

Exactly once, whatever happens in between: entities are upserts by qualifiedName, so
sending them again after an interruption changes nothing; deletes are journaled before the
first is sent (see :mod:`sparklineage.state`), so a resumed run finishes them rather than
sending the dropped tables again; and the state of a log is committed, in one transaction
with its queries, only after its upload succeeded.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from sparklineage.application import Application, ReadOptions, read_application
from sparklineage.atlas import typedefs
from sparklineage.atlas.client import AtlasClient
from sparklineage.atlas.datasets import AtlasDataset
from sparklineage.atlas.mapping import AtlasPlan, MappingOptions, plan_upload
from sparklineage.atlas.upload import (
    BatchLimits,
    Changes,
    UploadResult,
    check_types,
    prepare,
    send_deletes,
    send_entities,
    summary_line,
)
from sparklineage.errors import (
    CatalogUnreachableError,
    FetchError,
    LogReadError,
    LogVanishedError,
    SourceUnavailableError,
    UsageError,
)
from sparklineage.lineage.model import Query
from sparklineage.logs.candidates import Candidate, Source
from sparklineage.logs.discovery import discover_walked
from sparklineage.logs.sources import fetched, list_candidates
from sparklineage.redact import redact_text
from sparklineage.sinks.openlineage import OpenLineageOptions, run_events
from sparklineage.sinks.openlineage_transport import (
    event_failure,
    is_connection_failure,
    target_of,
)
from sparklineage.sinks.report import query_entry
from sparklineage.state import PendingUpload, SyncState, location_key
from sparklineage.workers import ordered_map


@dataclass(frozen=True)
class SyncOptions:
    include_incomplete: bool = False
    since: float | None = None  # epoch seconds: older logs are left alone
    jobs: int = 1  # processes reading logs
    dry_run: bool = False
    reading: ReadOptions = field(default_factory=ReadOptions)
    mapping: MappingOptions = field(default_factory=MappingOptions)
    limits: BatchLimits = field(default_factory=BatchLimits)
    collection: str | None = None  # Purview collection the entities go to


@dataclass
class SyncSummary:
    """What a run did, for the closing lines and the exit code."""

    new: int = 0  # applications landed for the first time
    changed: int = 0  # applications landed before, read again (their log changed)
    unchanged: int = 0
    running: int = 0  # skipped: still running (no --include-incomplete)
    old: int = 0  # skipped: older than --since
    failed: int = 0
    unlisted: int = 0  # sources that could not be listed this time
    queries: int = 0
    upload: UploadResult = field(default_factory=UploadResult)
    events: int | None = None  # OpenLineage run events sent (sync --openlineage only)
    stopped: str | None = None  # why the run stopped early (endpoint unreachable)

    @property
    def partial(self) -> bool:
        """Something was not done this time (exit 3); the next run tries it again."""
        return bool(self.failed or self.unlisted or self.stopped)

    @property
    def seen(self) -> int:
        return self.new + self.changed + self.unchanged + self.running + self.old + self.failed

    def lines(self, *, dry_run: bool) -> list[str]:
        skipped = (
            f"{self.unchanged} unchanged, {self.running} running, {self.old} older than --since"
        )
        verb = "would be sent" if dry_run else "sent"
        upload = self.upload
        entities = (
            ""
            if dry_run
            else f": {upload.created} entities created, {upload.updated} updated, "
            f"{upload.deleted} deleted in {upload.requests} requests"
        )
        if self.events is not None and not dry_run:
            entities = f": {self.events} OpenLineage events"
        unlisted = f"; {self.unlisted} sources could not be listed" if self.unlisted else ""
        return [
            f"{self.seen} applications seen: {self.new} new, {self.changed} changed, {skipped}; "
            f"{self.failed} failed{unlisted}",
            f"{self.queries} queries {verb}{entities}",
        ]


@dataclass(frozen=True)
class Extraction:
    """One candidate as read (in a worker process): its applications as report entries."""

    candidate: Candidate
    applications: tuple[Application, ...] = ()
    problems: tuple[str, ...] = ()  # what made the log unreadable, whole or in part
    fetch_error: str | None = None  # the copy failed: try again next run
    vanished: bool = False  # gone since listed (renamed as it finished, or cleaned away)


def extract(source: Source, candidate: Candidate, reading: ReadOptions) -> Extraction:
    """Fetch one candidate and read its applications (plans kept: the catalog shows them).
    Messages name the candidate's location, never the scratch copy that was read.

    Whatever goes wrong with one candidate is that candidate's problem: the run (and, under
    ``--jobs``, the worker) goes on to the next one."""
    try:
        with fetched(source, candidate) as path:
            return _read_fetched(candidate, path, reading)
    except LogVanishedError:
        return Extraction(candidate, vanished=True)
    except FetchError as exc:
        return Extraction(candidate, fetch_error=str(exc))
    except Exception as exc:  # a bug of ours on a log nobody foresaw: this log only
        return Extraction(candidate, problems=(_unhandled(candidate.location, exc),))


def _read_fetched(candidate: Candidate, path: Path, reading: ReadOptions) -> Extraction:
    local = str(path)
    try:
        found = discover_walked(path)
        apps = [read_application(s, reading=reading, keep_plans=True) for s in found.sources]
    except LogReadError as exc:  # --strict: a malformed line fails the log
        return Extraction(candidate, problems=(str(exc).replace(local, candidate.location),))
    problems = [str(p) for p in found.problems] + [a.read_error for a in apps if a.read_error]
    return Extraction(
        candidate,
        tuple(_located(a, local, candidate.location) for a in apps),
        tuple(p.replace(local, candidate.location) for p in problems),
    )


def _extract_pair(pair: tuple[Source, Candidate], reading: ReadOptions) -> Extraction:
    return extract(*pair, reading)


def _lost(pair: tuple[Source, Candidate]) -> Extraction:
    """A candidate whose worker died, killed or out of memory: taken again next run."""
    candidate = pair[1]
    return Extraction(
        candidate,
        fetch_error=f"{candidate.location}: the worker reading it (or a log beside it) died, "
        "killed or out of memory; it is taken again next run",
    )


class _Unmappable(Exception):
    """An application the mapping could not turn into entities (a bug of ours, said)."""


def _unhandled(what: str, exc: Exception) -> str:
    return (
        f"{what}: sparklineage could not handle it ({type(exc).__name__}: {str(exc)[:200]}); "
        "it is taken again when it changes"
    )


def _located(app: Application, local: str, location: str) -> Application:
    """An application named after the candidate's location, not the scratch copy read."""
    error = app.read_error.replace(local, location) if app.read_error else app.read_error
    return replace(app, source=app.source.replace(local, location), read_error=error)


def query_digest(query: Query, *, server: bool) -> str:
    """What a query's catalog entities are made of: a changed digest means send it again.
    The digest of its report entry (plan included; ``server``: of a multi-user server), so
    the digests a state holds stay valid from one version to the next."""
    entry = query_entry(query, plans=True, server=server)
    return hashlib.sha256(orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def target_key(client: AtlasClient, mapping: MappingOptions) -> str:
    """The state rows of one catalog and one way of mapping into it."""
    return (
        f"{client.base_url} cluster={mapping.cluster} spark_types={mapping.spark_types} "
        f"rollup={mapping.rollup}"
    )


class Syncer:
    """One run of ``sync``: its client, state, options, and what it has done so far."""

    def __init__(
        self,
        client: AtlasClient,
        state: SyncState,
        options: SyncOptions,
        say: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        self.client = client
        self._begin(state, options, say, warn)
        self._types_version = _typedefs_version()
        self._checked_types = state.checked_types(self._types_version)

    def _begin(
        self,
        state: SyncState,
        options: SyncOptions,
        say: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        """What every run has, whatever it lands in."""
        self.state = state
        self.options = options
        self.summary = SyncSummary()
        self._say = _redacting(say)
        self._warn = _redacting(warn)

    def run(
        self, sources: Iterable[Source], on_progress: Callable[[int, int], None]
    ) -> SyncSummary:
        """Sync every source; ``on_progress(done, total)`` after each application read."""
        self._finish_interrupted()
        if self.summary.stopped:
            self._warn(self.summary.stopped)
            return self.summary
        taken = self.state.taken_logs()
        todo = [(s, c) for s in sources for c in self._listed(s) if self._wanted(c, taken)]
        todo.sort(key=lambda item: (item[1].modified, item[1].location))
        for done, extraction in enumerate(self._extractions(todo), start=1):
            self._land(extraction)
            on_progress(done, len(todo))
            if self.summary.stopped:
                self._warn(self.summary.stopped)
                break
        return self.summary

    def _listed(self, source: Source) -> list[Candidate]:
        """The source's candidates; none, said and counted, when it cannot be listed now."""
        try:
            return list(list_candidates(source))
        except SourceUnavailableError as exc:
            self._warn(str(exc))
            self.summary.unlisted += 1
            return []

    def _wanted(self, candidate: Candidate, taken_logs: dict[str, tuple[str, str]]) -> bool:
        """Whether a candidate must be read; counts the ones left alone."""
        taken = taken_logs.get(location_key(candidate.location))
        if taken is not None and taken[0] == candidate.fingerprint:
            if taken[1] != "not-a-log":
                self.summary.unchanged += 1
            return False
        if self.options.since is not None and candidate.modified < self.options.since:
            self.summary.old += 1
            return False
        if candidate.in_progress and not self.options.include_incomplete:
            self.summary.running += 1
            return False
        return True

    def _extractions(self, todo: list[tuple[Source, Candidate]]) -> Iterator[Extraction]:
        """Each candidate read, in the order given, by ``jobs`` processes at once; one whose
        worker died is deferred to the next run."""
        work = functools.partial(_extract_pair, reading=self.options.reading)
        return ordered_map(work, todo, self.options.jobs, lost=_lost)

    def _finish_interrupted(self) -> None:
        """Deletes that a killed run had begun: finish them, then the queries have landed."""
        for pending in self.state.pending():
            if self.options.dry_run:
                self._say(f"would finish the deletes of {pending.app_key} (interrupted run)")
                continue
            deletes = [AtlasDataset(t, q, q) for t, q in pending.deletes]
            result = send_deletes(self.client, deletes)
            self._add(result)
            if result.failures:
                self._fail(f"{pending.app_key}: deletes left by an interrupted run", result)
                continue
            self.state.land(pending.app_key, pending.digests)
            self._say(f"{pending.app_key}: finished the deletes of an interrupted run")

    def _land(self, extraction: Extraction) -> None:
        """Send what is new in one candidate's applications, then record the log."""
        candidate = extraction.candidate
        if extraction.vanished:
            return  # the next listing shows it under its new name, if it has one
        if extraction.fetch_error:
            self._warn(extraction.fetch_error)
            self.summary.failed += 1
            return
        for problem in extraction.problems:
            self._warn(problem)
        known = any(self.state.knows_application(a.key) for a in extraction.applications)
        landed, failed = [], bool(extraction.problems)
        for app in extraction.applications:
            try:
                digests = self._land_application(app)
            except _Unmappable as exc:
                self._warn(str(exc))
                failed = True  # recorded as failed: taken again when the log changes
                continue
            if digests is None:
                return  # counted as failed; the log is taken again next run
            landed.append((app.key, digests))
        if failed:
            self.summary.failed += 1
        elif landed:
            self.summary.changed += known
            self.summary.new += not known
        if not self.options.dry_run:
            outcome = "failed" if failed else "landed" if landed else "not-a-log"
            self.state.record_log(candidate.location, candidate.fingerprint, outcome, landed)

    def _land_application(self, app: Application) -> dict[str, str] | None:
        """Send what is new of one application; the digests it landed, or None on failure."""
        key = app.key
        landed, known = self.state.landed_digests(key), self.state.knows_application(key)
        try:
            queries, digests = _changed_queries(app, landed, rollup=self.options.mapping.rollup)
        except Exception as exc:  # a bug of ours on this application: it alone fails
            raise _Unmappable(_unhandled(_described(app), exc)) from exc
        if not queries and known:
            return digests
        return self._send(replace(app, queries=queries), digests)

    def _send(self, app: Application, digests: dict[str, str]) -> dict[str, str] | None:
        """Send ``app`` (its new queries only) to the catalog; its digests, or None."""
        key, queries = app.key, app.queries
        try:
            plan = plan_upload([app], self.options.mapping)
        except Exception as exc:  # a bug of ours in mapping this application: it alone fails
            raise _Unmappable(_unhandled(_described(app), exc)) from exc
        self.summary.queries += len(queries)
        try:
            self._check_types(plan)
            changes = prepare(self.client, plan)
        except CatalogUnreachableError as exc:
            self._fail(_described(app), UploadResult(failures=[str(exc)], unreachable=True))
            return None
        if self.options.dry_run:
            counts = summary_line(changes.count())
            self._say(f"would send {_described(app)}: {len(queries)} queries; {counts}")
            return digests
        return (
            digests if self._upload(key, changes, digests, _described(app), len(queries)) else None
        )

    def _check_types(self, plan: AtlasPlan) -> None:
        """Once per catalog and typedefs version (the state remembers): stop before sending
        anything when a type the plan needs is missing."""
        needed = plan.type_names() - self._checked_types
        if not needed:
            return
        check_types(self.client, plan)
        self._checked_types |= needed
        if not self.options.dry_run:
            self.state.remember_types(needed, self._types_version)

    def _upload(
        self, key: str, changes: Changes, digests: dict[str, str], described: str, queries: int
    ) -> bool:
        """Entities, then (journaled) deletes; True when everything landed."""
        options = self.options
        result = send_entities(self.client, changes, options.limits, options.collection)
        if not result.failures and changes.deletes:
            deletes = [(d.type_name, d.qualified_name) for d in changes.deletes]
            self.state.begin_deletes(PendingUpload(key, digests, deletes))
            send_deletes(self.client, changes.deletes, result)
        self._add(result)
        if result.failures:
            self._fail(described, result)
            return False
        self._say(
            f"{described}: {queries} queries sent; {result.created} created, "
            f"{result.updated} updated, {result.deleted} deleted"
        )
        return True

    def _add(self, result: UploadResult) -> None:
        total = self.summary.upload
        total.created += result.created
        total.updated += result.updated
        total.deleted += result.deleted
        total.requests += result.requests

    def _fail(self, what: str, result: UploadResult) -> None:
        self.summary.failed += 1
        for failure in result.failures:
            self._warn(f"{what}: {failure}")
        if result.unreachable:
            self.summary.stopped = (
                "the endpoint did not answer: stopped; what was not sent is sent by the next run"
            )


class OpenLineageSyncer(Syncer):
    """A run of ``sync --openlineage``: the same listing, state and digests, landing in an
    OpenLineage consumer through the OpenLineage client's transport.

    Nothing needs journaling: every event is an upsert by run id, so an event sent again
    after a kill changes nothing, and a log's state is committed only once all its new
    queries' events were sent.
    """

    def __init__(
        self,
        transport: Any,
        state: SyncState,
        options: SyncOptions,
        naming: OpenLineageOptions,
        say: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> None:
        self.transport = transport
        self.naming = naming
        self._begin(state, options, say, warn)
        self.summary.events = 0

    def _finish_interrupted(self) -> None:
        """An OpenLineage state journals nothing: an interrupted run left nothing owed."""

    def _send(self, app: Application, digests: dict[str, str]) -> dict[str, str] | None:
        try:
            events = list(run_events([app], self.naming))
        except Exception as exc:  # a bug of ours on this application: it alone fails
            raise _Unmappable(_unhandled(_described(app), exc)) from exc
        self.summary.queries += len(app.queries)
        if self.options.dry_run:
            self._say(
                f"would send {_described(app)}: {len(app.queries)} queries; {len(events)} events"
            )
            return digests
        for event in events:
            try:
                self.transport.emit(event)
            except Exception as exc:  # the transport's errors are many and not ours to list
                failed = UploadResult(
                    failures=[event_failure(event, exc)], unreachable=is_connection_failure(exc)
                )
                self._fail(_described(app), failed)
                return None
            self.summary.events = (self.summary.events or 0) + 1
        self._say(f"{_described(app)}: {len(app.queries)} queries sent; {len(events)} events")
        return digests


def openlineage_target_key(transport: Any, naming: OpenLineageOptions) -> str:
    """The state rows of one OpenLineage consumer and one way of naming into it."""
    return (
        f"openlineage {target_of(transport)} namespace={naming.namespace or '(applications)'} "
        f"table_namespace={naming.table_namespace}"
    )


def _redacting(out: Callable[[str], None]) -> Callable[[str], None]:
    """``out`` given every line redacted: lines quote locations, names and what the catalog
    answered."""
    return lambda line: out(redact_text(line))


def _typedefs_version() -> str:
    """What the types check remembers: sparklineage's typedefs as this version has them."""
    defs = orjson.dumps(typedefs.typedefs(spark_types=True), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(defs).hexdigest()[:16]


def _described(app: Application) -> str:
    name = f" ({app.name})" if app.name else ""
    return f"{app.key}{name}"


def _changed_queries(
    app: Application, landed: dict[str, str], *, rollup: bool
) -> tuple[tuple[Query, ...], dict[str, str]]:
    """The queries to send (new digests; all of them for a rolled-up process, which is
    rebuilt whole) and the digests of every query of the application."""
    server = bool(app.sessions)
    digests = {q.ref: query_digest(q, server=server) for q in app.queries}
    changed = tuple(q for q in app.queries if landed.get(q.ref) != digests[q.ref])
    if rollup and changed:
        changed = app.queries
    return changed, digests


_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since_epoch(text: str, now: float) -> float:
    """``--since``: an age (``90m``, ``36h``, ``7d``, ``2w``) or an ISO date or time (UTC
    unless it names its zone), as epoch seconds."""
    value = text.strip()
    unit = _AGE_UNITS.get(value[-1:].lower())
    if unit is not None and value[:-1].replace(".", "", 1).isdigit():
        return now - float(value[:-1]) * unit
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give an age (90m, 36h, 7d, 2w) or an ISO date or time "
            "(2024-06-01, 2024-06-01T12:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
