"""The ``sparklineage`` command: parse options, call the stages, map errors to exit codes.

No logic of its own lives here. Every option can also come from the environment variable
``SPARKLINEAGE_<COMMAND>_<OPTION>`` named after its long flag (``--format`` of ``extract``:
``SPARKLINEAGE_EXTRACT_FORMAT=json``), shown in ``--help``; the command line wins.
Data goes to stdout (or ``-o``), messages and progress to stderr.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson

from sparklineage import __version__
from sparklineage.application import Application, ReadOptions, of_users, read_application
from sparklineage.atlas.mapping import MappingOptions, plan_upload
from sparklineage.check import differences, expected_document, load_expected, render_expected
from sparklineage.errors import ExitCode, SparkLineageError, UsageError, shown
from sparklineage.logs import LogSource, discover
from sparklineage.logs.discovery import Discovery
from sparklineage.logs.lines import MAX_LINE_BYTES
from sparklineage.redact import redact_text
from sparklineage.sinks.output import write_output
from sparklineage.sinks.report import load_report, render_json
from sparklineage.sinks.text import render_text

if TYPE_CHECKING:
    from sparklineage.atlas.client import AtlasClient
    from sparklineage.atlas.upload import BatchLimits

PROGRESS_MIN_BYTES = 32 << 20  # smaller runs finish before a bar is worth drawing


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sparklineage")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SPARKLINEAGE_CONFIG",
    show_envvar=True,
    help="TOML file of option defaults (docs/cron.md, 'Configuration file'). "
    "Default: ~/.config/sparklineage/config.toml when it exists.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Data lineage from Spark event logs, read after the fact.

    \b
    Examples:
      sparklineage extract /var/log/spark-events
      sparklineage extract app-20240101120000-0001.zstd --format json -o report.json
      sparklineage check build/spark-events --expected lineage.expected.json
      sparklineage --config /etc/sparklineage.toml sync /var/log/spark-events
    """
    from sparklineage.config import default_path, load_defaults

    path = config_file or default_path()
    if config_file is not None or path.is_file():
        ctx.default_map = load_defaults(path, cli.commands)


_progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr. Default: on a terminal, for large inputs.",
)


def _reading_options(command: Callable[..., None]) -> Callable[..., None]:
    """How logs are read (every command that reads them): two options that reach the
    command as one ``reading`` argument."""

    @click.option("--strict", is_flag=True, help="Fail a log at its first malformed line.")
    @click.option(
        "--max-line-mib",
        type=click.IntRange(1, 2048),
        default=MAX_LINE_BYTES >> 20,
        show_default=True,
        help="Skip longer lines as malformed (memory stays bounded; real plans are far less).",
    )
    @functools.wraps(command)
    def with_reading(strict: bool, max_line_mib: int, **kwargs: Any) -> None:
        command(reading=ReadOptions(strict=strict, max_line=max_line_mib << 20), **kwargs)

    return with_reading


def _mapping_options(command: Callable[..., None]) -> Callable[..., None]:
    """How datasets become Atlas entities (``--format atlas``, ``upload``): three options
    that reach the command as one ``mapping`` argument."""

    @functools.wraps(command)
    def with_mapping(
        cluster_name: str, spark_types: bool, rollup: bool, all_processes: bool, **kwargs: Any
    ) -> None:
        mapping = MappingOptions(
            cluster=cluster_name,
            spark_types=spark_types,
            rollup=rollup,
            all_processes=all_processes,
        )
        command(mapping=mapping, **kwargs)

    options = [
        click.option(
            "--cluster-name",
            default="primary",
            show_default=True,
            help="Cluster part of Hive qualifiedNames (db.table@cluster): the name Purview's "
            "Hive scanner gives your metastore (docs/purview.md).",
        ),
        click.option(
            "--spark-types",
            is_flag=True,
            help="Tables as spark_table/spark_db, not hive_table/hive_db "
            "(run `typedefs --spark-types` once).",
        ),
        click.option("--rollup", is_flag=True, help="One process per application, not per query."),
        click.option(
            "--all-processes",
            is_flag=True,
            help="Also queries with neither inputs nor outputs (reads of temporary views, "
            "collects): left out by default, they show as empty boxes.",
        ),
    ]
    for option in reversed(options):  # decorators apply bottom-up: keep the listed order
        with_mapping = option(with_mapping)
    return with_mapping


@cli.command(short_help="Report applications and the lineage of their queries.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "atlas"]),
    help="Output format: text, the JSON report, or the Atlas payloads `upload` would send. "
    "Default: text on a terminal, the JSON report otherwise.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout."
)
@_reading_options
@_progress_option
@click.option("--columns", is_flag=True, help="Text output: list each written column's sources.")
@click.option(
    "--plans", is_flag=True, help="JSON output: add each query's plan text (for a later upload)."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Also print each application's warnings on stderr."
)
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME",
    help="Only the queries NAME ran on a Thrift or Spark Connect server (repeatable).",
)
@_mapping_options
def extract(
    paths: Sequence[str],
    fmt: str | None,
    output: str | None,
    reading: ReadOptions,
    progress: bool | None,
    columns: bool,
    plans: bool,
    verbose: bool,
    users: tuple[str, ...],
    mapping: MappingOptions,
) -> None:
    """Read event logs and report each application and the lineage of its queries.

    PATH is an event log file (any codec: zstd, lz4, snappy, lzf, gzip, plain), a rolling
    eventlog_v2_* directory, a Databricks cluster-log directory, or a Spark History Server
    log directory, which is walked recursively. Files that are not event logs are passed
    over quietly.

    \b
    Examples:
      sparklineage extract /var/log/spark-events
      sparklineage extract eventlog_v2_local-1700000000000 --format json
      sparklineage extract logs/ -o lineage.json
      sparklineage extract app-1.zstd --columns     # with column lineage, as text
      sparklineage extract thriftserver-logs/ --user alice   # what alice ran on a server

    Exit status: 0 when every log was read, 3 when some could not be (the others are still
    reported), 2 on usage errors.
    """
    found = discover(paths)
    keep_plans = plans or fmt == "atlas"
    applications = _read_all(found.sources, reading=reading, progress=progress, plans=keep_plans)
    _report_problems(found, applications, verbose=verbose)
    if users:
        applications = of_users(applications, users)
    if fmt is None:
        fmt = "text" if output is None and sys.stdout.isatty() else "json"
    if fmt == "json":
        data = render_json(applications, plans=plans)
    elif fmt == "atlas":
        plan = plan_upload(applications, mapping)
        data = orjson.dumps(plan.payloads(), option=orjson.OPT_INDENT_2) + b"\n"
    else:
        data = render_text(applications, columns=columns).encode()
    write_output(data, output)
    if found.problems or any(a.read_error for a in applications):
        sys.exit(ExitCode.PARTIAL)


@cli.command(short_help="Compare lineage with an expected file, for CI.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--expected",
    required=True,
    type=click.Path(dir_okay=False),
    help="The expected-lineage file to compare with (written by --update).",
)
@click.option("--update", is_flag=True, help="Write the lineage of PATH to the expected file.")
@_reading_options
@_progress_option
def check(
    paths: Sequence[str], expected: str, update: bool, reading: ReadOptions, progress: bool | None
) -> None:
    """Compare the lineage of event logs with an expected file, for CI.

    The expected file holds, per application name, each query's operation, status, and
    what it read and wrote: nothing that changes from run to run (ids, times, log paths).
    PATH may also be a JSON report written by `extract`, and so may the expected file
    (the lineage of an earlier run is then what is expected).

    \b
    Examples:
      sparklineage check build/spark-events --expected lineage.expected.json --update
      sparklineage check build/spark-events --expected lineage.expected.json

    Exit status: 0 when the lineage is as expected (or --update wrote it), 1 when it
    differs (the differences are printed), 2 on usage errors, 3 when a log could not be read.
    """
    applications, partial = _applications_of(paths, reading=reading, progress=progress, plans=False)
    if partial:
        click.echo("sparklineage: not compared: some logs could not be read", err=True)
        sys.exit(ExitCode.PARTIAL)
    queries = sum(len(a.queries) for a in applications)
    if update:
        write_output(render_expected(applications), expected)
        click.echo(
            f"wrote {expected}: {len(applications)} applications, {queries} queries", err=True
        )
        return
    try:
        reported = load_report(expected)
        if reported is not None:  # the report of an earlier run: its lineage is expected
            wanted = expected_document(reported)["applications"]
        else:
            with open(expected, "rb") as handle:
                wanted = load_expected(handle.read(), expected)
    except FileNotFoundError:
        raise UsageError(f"{expected}: no such file; write it with --update") from None
    except OSError as exc:
        raise UsageError(f"{shown(expected)}: cannot read ({exc.strerror or exc})") from None
    changes = differences(wanted, expected_document(applications)["applications"])
    if changes:
        click.echo(f"lineage differs from {expected}:")
        click.echo("\n".join(f"  {line}" for line in changes))
        sys.exit(ExitCode.DIFFERS)
    click.echo(f"lineage matches {expected}: {len(applications)} applications, {queries} queries")


_endpoint_options = [
    click.option("--endpoint", help="Atlas v2 base URL, e.g. http://atlas:21000/api/atlas/v2."),
    click.option("--purview-account", help="Purview account name (the data map endpoint)."),
    click.option(
        "--auth",
        type=click.Choice(["azure", "basic", "none"]),
        help="azure: DefaultAzureCredential (AZURE_* variables, managed identity, az login); "
        "basic: --user and SPARKLINEAGE_ATLAS_PASSWORD or a prompt. "
        "Default: azure for Purview, none otherwise.",
    ),
    click.option("--user", help="User for --auth basic."),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help="Seconds, each HTTP call (to the catalog, and to --history-server).",
    ),
    click.option(
        "--retry-budget",
        type=click.FloatRange(min=0),
        default=300.0,
        show_default=True,
        help="Seconds one call may spend being retried (throttling, 5xx, dropped connections).",
    ),
]


def _endpoint(command: Callable[..., None]) -> Callable[..., None]:
    """The endpoint and auth options, reaching the command as one connected ``client``."""

    @functools.wraps(command)
    def with_client(
        endpoint: str | None,
        purview_account: str | None,
        auth: str | None,
        user: str | None,
        timeout: float,
        retry_budget: float,
        **kwargs: Any,
    ) -> None:
        from sparklineage.atlas.client import RetryPolicy, connect  # requests: only here

        policy = RetryPolicy(timeout=timeout, budget=retry_budget)
        client = connect(endpoint, purview_account, auth, user, _password, policy, _say_waiting)
        command(client=client, **kwargs)

    for option in reversed(_endpoint_options):  # keep the listed order in --help
        with_client = option(with_client)
    return with_client


def _batch_limits(command: Callable[..., None]) -> Callable[..., None]:
    """How big one request may get, reaching the command as one ``limits`` argument."""

    @functools.wraps(command)
    def with_limits(batch_size: int, batch_bytes: int, **kwargs: Any) -> None:
        from sparklineage.atlas.upload import BatchLimits  # requests: only here

        command(limits=BatchLimits(batch_size, batch_bytes), **kwargs)

    with_limits = click.option(
        "--batch-bytes",
        type=click.IntRange(min=1 << 10),
        default=4 << 20,
        show_default=True,
        help="Bytes per request, at most.",
    )(with_limits)
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=500,
        show_default=True,
        help="Entities per request, at most.",
    )(with_limits)


_collection_option = click.option(
    "--collection",
    metavar="ID",
    help="Purview collection (its id, e.g. the 6-letter id in the portal URL) the entities "
    "go to; without it, new entities land in the account's root collection.",
)


def _say_waiting(message: str) -> None:
    """What a throttled or failing call waits for, on stderr (a silent minute looks hung)."""
    click.echo(f"sparklineage: {message}", err=True)


def _password() -> str:
    """From the environment, else asked for on a terminal (never taken from arguments)."""
    password = os.environ.get("SPARKLINEAGE_ATLAS_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError("no password: set SPARKLINEAGE_ATLAS_PASSWORD (no terminal to ask on)")
    return click.prompt("Atlas password", hide_input=True, err=True)


@cli.command(short_help="Create or update the Atlas types sparklineage uses.")
@_endpoint
@click.option(
    "--spark-types",
    is_flag=True,
    help="Also spark_table and spark_db, for uploads with --spark-types.",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def typedefs(client: AtlasClient, spark_types: bool, dry_run: bool) -> None:
    """Create the types sparklineage uploads (spark_application, spark_process with a
    columnMapping attribute, and their relationship) where missing, update them where they
    differ, and leave the rest alone. Run once per catalog, and after upgrades: `upload`
    and `sync` stop before sending anything while these types are missing or older.

    Datasets are uploaded as the types Purview's scanners and Apache Atlas's Hadoop models
    already define (hive_table, azure_datalake_gen2_path, …); with --spark-types, tables and
    databases become spark_table and spark_db, which Purview lacks: this creates them.

    \b
    Examples:
      sparklineage typedefs --purview-account contoso --dry-run
      sparklineage typedefs --endpoint http://localhost:21000/api/atlas/v2 --auth basic --user admin
      sparklineage typedefs --purview-account contoso --spark-types
    """
    from sparklineage.atlas.upload import sync_typedefs

    created, updated = sync_typedefs(client, dry_run=dry_run, spark_types=spark_types)
    verb = "would " if dry_run else ""
    for name in created:
        click.echo(f"{verb}create {name}")
    for name in updated:
        click.echo(f"{verb}update {name}")
    if not created and not updated:
        click.echo("all types are up to date")


@cli.command(short_help="Upload the lineage of logs or reports to Purview or Atlas.")
@click.argument("paths", nargs=-1, required=True, metavar="LOG_OR_REPORT...")
@_endpoint
@_mapping_options
@_batch_limits
@_collection_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the catalog and say, entity by entity, what would be created, updated (which "
    "attributes), moved, deleted or left unchanged; send nothing.",
)
@_reading_options
@_progress_option
def upload(
    paths: Sequence[str],
    client: AtlasClient,
    mapping: MappingOptions,
    limits: BatchLimits,
    collection: str | None,
    dry_run: bool,
    reading: ReadOptions,
    progress: bool | None,
) -> None:
    """Upload lineage: datasets, one spark_application per application and one spark_process
    per query, column mapping included; RENAME moves the table's entity, DROP soft-deletes it.
    Run `sparklineage typedefs` once first: without its types nothing is sent.

    The catalog is read first and only what differs is sent: uploading the same logs again
    sends nothing and changes nothing (no entity, active or deleted, is added; no attribute
    changes). Datasets the catalog already holds (scanned assets) are left as they are. A
    report without plan text (written without --plans) leaves the plan text in the catalog
    alone. Names Spark cut and queries with neither inputs nor outputs are not uploaded.

    LOG_OR_REPORT is anything `extract` reads, or a JSON report written by `extract`.

    \b
    Examples:
      sparklineage upload /var/log/spark-events --purview-account contoso
      sparklineage upload /var/log/spark-events --purview-account contoso --dry-run
      sparklineage upload report.json --auth basic --user admin \\
          --endpoint http://atlas:21000/api/atlas/v2

    Exit status: 0 when everything landed, 3 when some logs or entities failed (the rest
    landed; each refused entity is named with the catalog's error), 2 on usage errors
    (types missing included).
    """
    from sparklineage.atlas.upload import check_types, prepare, summary_line
    from sparklineage.atlas.upload import upload as upload_changes

    applications, partial = _applications_of(paths, reading=reading, progress=progress)
    plan = plan_upload(applications, mapping)
    check_types(client, plan)
    changes = prepare(client, plan)
    for line in changes.left_out:
        click.echo(f"sparklineage: {line}", err=True)
    if dry_run:
        for change in changes.entities:
            click.echo(change.line())
        click.echo(summary_line(changes.count(), " (dry run: nothing sent)"), err=True)
        return
    result = upload_changes(client, changes, limits, collection)
    for failure in result.failures:
        click.echo(f"sparklineage: error: {redact_text(failure)}", err=True)
    click.echo(result.summary(), err=True)
    if partial or result.failures:
        sys.exit(ExitCode.PARTIAL)


@cli.command(short_help="Land new and changed applications in the catalog, for cron.")
@click.argument("sources", nargs=-1, metavar="[SOURCE...]")
@click.option(
    "--history-server",
    "history_servers",
    multiple=True,
    metavar="URL",
    help="Also read the applications a Spark History Server lists (REST API), e.g. "
    "http://spark-history:18080. Repeatable.",
)
@_endpoint
@_mapping_options
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite file that remembers what landed. "
    "Default: $XDG_STATE_HOME/sparklineage/sync.sqlite3 (~/.local/state/…).",
)
@click.option("--wait", is_flag=True, help="When another sync holds the state, wait for it.")
@click.option(
    "--include-incomplete",
    is_flag=True,
    help="Also take running applications (.inprogress); the rest is sent when they finish.",
)
@click.option(
    "--since", metavar="WHEN", help="Only logs changed since WHEN: 36h, 7d, 2024-06-01, …"
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Logs read in parallel processes (uploads stay in order).",
)
@click.option(
    "--dry-run", is_flag=True, help="Read and say what would be sent; send and record nothing."
)
@click.option(
    "--storage-option",
    "storage_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Option for the fsspec filesystem of a URL SOURCE (e.g. account_name=…). Repeatable.",
)
@_batch_limits
@_collection_option
@_reading_options
@_progress_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron mail).")
def sync(
    sources: Sequence[str],
    history_servers: Sequence[str],
    client: AtlasClient,
    mapping: MappingOptions,
    state: Path | None,
    wait: bool,
    include_incomplete: bool,
    since: str | None,
    jobs: int,
    dry_run: bool,
    storage_options: Sequence[str],
    limits: BatchLimits,
    collection: str | None,
    reading: ReadOptions,
    progress: bool | None,
    quiet: bool,
) -> None:
    """Land the lineage of every new or changed application of SOURCE in the catalog,
    exactly once, however often it runs and wherever a run was interrupted.

    SOURCE is a History Server log directory (spark.eventLog.dir), as a path or a URL:
    file://, abfss://, wasbs://, s3://, gs://, hdfs:// (remote protocols need extras, e.g.
    pip install 'spark-eventlog-lineage[azure]'). A SQLite state file remembers each log's
    fingerprint (sizes and times) and each landed query: unchanged logs are not read again,
    and a log that grew sends only its new queries. Running applications are left for later
    unless --include-incomplete. Run `sparklineage typedefs` once before the first sync.

    \b
    Examples:
      sparklineage sync /var/log/spark-events --purview-account contoso
      sparklineage sync abfss://logs@acct.dfs.core.windows.net/spark-events \\
          --purview-account contoso --jobs 4 --since 7d
      sparklineage sync --history-server http://spark-history:18080 \\
          --endpoint http://atlas:21000/api/atlas/v2 --auth basic --user admin
      sparklineage sync /var/log/spark-events --purview-account contoso --dry-run

    Exit status: 0 when everything landed (or nothing was new), 3 when some applications
    failed (the rest landed; upload failures are retried next run), 2 on usage errors,
    75 when another sync holds the state (see --wait), 130 when interrupted.
    See docs/cron.md for crontab and systemd timer setups.
    """
    from sparklineage.logs.candidates import Source
    from sparklineage.logs.sources import source_of
    from sparklineage.state import default_state_path, exclusive, open_state
    from sparklineage.sync import Syncer, SyncOptions, since_epoch, target_key

    if not sources and not history_servers:
        raise UsageError("give a SOURCE (log directory or URL) or --history-server URL")
    fs_options = _key_values(storage_options)
    where = [source_of(s, fs_options) for s in sources]
    where += [
        Source("history-server", url.rstrip("/"), given=url, timeout=client.timeout)
        for url in history_servers
    ]
    options = SyncOptions(
        include_incomplete=include_incomplete,
        since=since_epoch(since, time.time()) if since else None,
        jobs=jobs,
        dry_run=dry_run,
        reading=reading,
        mapping=mapping,
        limits=limits,
        collection=collection,
    )
    state_path = state or default_state_path()
    say = (lambda _line: None) if quiet else click.echo
    if quiet:
        client.notify = say  # waits are not errors: cron mail hears only of failures
    warn = functools.partial(click.echo, err=True)
    lock = nullcontext() if dry_run else exclusive(state_path, wait=wait, on_wait=warn)
    target = target_key(client, mapping)
    with lock, open_state(state_path, target, read_only=dry_run, wait=wait) as memory:
        syncer = Syncer(
            client, memory, options, say=say, warn=lambda m: warn(f"sparklineage: error: {m}")
        )
        with _count_bar(progress, "syncing applications") as advance:
            summary = syncer.run(where, on_progress=advance)
    for line in summary.lines(dry_run=dry_run):
        say(line)
    if summary.partial:
        sys.exit(ExitCode.PARTIAL)


def _key_values(pairs: Sequence[str]) -> dict[str, Any]:
    """``--storage-option`` KEY=VALUE pairs; true/false become booleans (fsspec wants them)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--storage-option {key!r}: give KEY=VALUE")
        options[key] = {"true": True, "false": False}.get(value.lower(), value)
    return options


@contextmanager
def _count_bar(show: bool | None, label: str) -> Iterator[Callable[[int, int], None]]:
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


def _applications_of(
    paths: Sequence[str], *, reading: ReadOptions, progress: bool | None, plans: bool = True
) -> tuple[list[Application], bool]:
    """The applications of report files and logs (read with their plans, for a catalog,
    unless told otherwise), in that order; True when something could not be read."""
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
        found = discover(logs)
        read = _read_all(found.sources, reading=reading, progress=progress, plans=plans)
        _report_problems(found, read, verbose=False)
        partial = bool(found.problems) or any(a.read_error for a in read)
        applications.extend(read)
    return applications, partial


def _read_all(
    sources: Sequence[LogSource],
    *,
    reading: ReadOptions,
    progress: bool | None,
    plans: bool = False,
) -> list[Application]:
    """Read every application, with one progress bar over all their bytes."""
    total = sum(s.size for s in sources)
    show = sys.stderr.isatty() and total >= PROGRESS_MIN_BYTES if progress is None else progress
    applications = []
    with _progress_bar(total, show) as advance:
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


@contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A callable that moves a stderr progress bar to an absolute byte count (or does nothing)."""
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


def _report_problems(
    found: Discovery, applications: Sequence[Application], *, verbose: bool
) -> None:
    for warning in found.warnings:
        click.echo(f"sparklineage: warning: {redact_text(warning)}", err=True)
    for problem in found.problems:
        click.echo(f"sparklineage: error: {problem}", err=True)  # errors redact themselves
    for app in applications:
        if app.read_error:
            click.echo(f"sparklineage: error: {redact_text(app.read_error)}", err=True)
        if verbose:
            for warning in app.warnings:
                click.echo(f"sparklineage: warning: {app.source}: {redact_text(warning)}", err=True)


def _advanced(advance: Callable[[int], None], base: int, read: int) -> None:
    """Progress over all logs: this log's bytes read on top of those before it."""
    advance(base + read)


def environment_variable(command: str, option: click.Option) -> str:
    """The variable an option of ``command`` is read from: named after its long flag, not
    its parameter name (``--format`` is ``fmt`` in code; users read the flag)."""
    flag = max(option.opts, key=len).lstrip("-")
    return f"SPARKLINEAGE_{command}_{flag}".upper().replace("-", "_")


def _name_environment_variables(group: click.Group) -> None:
    for name, command in group.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and param.envvar is None:
                param.envvar = environment_variable(name, param)
                param.show_envvar = True


_name_environment_variables(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command, turn every expected failure into a message and a code."""
    try:
        cli.main(args=argv, prog_name="sparklineage", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Abort:
        click.echo("sparklineage: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("sparklineage: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitCode.OK)
    except SparkLineageError as exc:
        click.echo(f"sparklineage: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(ExitCode.OK)
