"""The ``sparklineage`` command: declare the options, call the command, map errors to codes.

No logic lives here: each command's work is in :mod:`sparklineage.commands`, its shared
options become one :class:`~sparklineage.settings.Settings`, and :func:`main` is the one
place errors become messages and exit codes. Every option can also come from the environment
variable ``SPARKLINEAGE_<COMMAND>_<OPTION>`` named after its long flag (``--format`` of
``extract``: ``SPARKLINEAGE_EXTRACT_FORMAT=json``), shown in ``--help``, or from the
configuration file; the command line wins (precedence: :mod:`sparklineage.settings`).
Data goes to stdout (or ``-o``), messages and progress to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from sparklineage import __version__
from sparklineage.errors import ExitCode, SparkLineageError
from sparklineage.logs.lines import MAX_LINE_BYTES
from sparklineage.settings import Settings, World


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
      sparklineage check build/spark-events --expected lineage.expected.json \\
          --html lineage-diff.html        # the differences, drawn (a CI artifact)
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
    """How logs are read (every command that reads them)."""
    command = click.option(
        "--max-line-mib",
        type=click.IntRange(1, 2048),
        default=MAX_LINE_BYTES >> 20,
        show_default=True,
        help="Skip longer lines as malformed (memory stays bounded; real plans are far less).",
    )(command)
    command = click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Read logs in N parallel processes (the output is the same, in the same order).",
    )(command)
    return click.option("--strict", is_flag=True, help="Fail a log at its first malformed line.")(
        command
    )


_storage_option = click.option(
    "--storage-option",
    "storage_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Option for the fsspec filesystem of a URL (e.g. account_name=…). Repeatable.",
)


def _openlineage_options(command: Callable[..., None]) -> Callable[..., None]:
    """How jobs and tables are named for OpenLineage (``--format openlineage``, ``emit``,
    ``sync --openlineage``)."""
    command = click.option(
        "--table-namespace",
        default="hive",
        show_default=True,
        help="OpenLineage: the namespace of catalog tables, e.g. hive://metastore:9083.",
    )(command)
    return click.option(
        "--openlineage-namespace",
        help="OpenLineage: the namespace of the jobs. Default: each application's "
        "spark.openlineage.namespace, else 'default' (as OpenLineage-spark).",
    )(command)


def _mapping_options(command: Callable[..., None]) -> Callable[..., None]:
    """How datasets become Atlas entities (``--format atlas``, ``upload``, ``sync``)."""
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
        command = option(command)
    return command


@cli.command(short_help="Report applications and the lineage of their queries.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "atlas", "openlineage", "html", "parts"]),
    help="Output format: text, the JSON report, the Atlas payloads `upload` would send, "
    "OpenLineage run events (one JSON per line, docs/openlineage.md), a lineage page to open "
    "in a browser (one self-contained file, docs/html.md), or (--engine spark) JSON-lines "
    "part files under -o OUT by application date (docs/scale.md). "
    "Default: text on a terminal, the JSON report otherwise.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to this file instead of stdout (--format parts: this new directory).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Who reads the logs: this process (and --jobs), or a Spark job (pyspark; "
    "docs/scale.md). The report is the same.",
)
@click.option(
    "--master",
    metavar="URL",
    help="--engine spark: the Spark master (local[4], yarn, spark://…). Default: the active "
    "session's, or spark-submit's.",
)
@_storage_option
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
@_openlineage_options
def extract(
    paths: Sequence[str],
    fmt: str | None,
    output: str | None,
    engine: str,
    master: str | None,
    storage_options: Sequence[str],
    columns: bool,
    plans: bool,
    verbose: bool,
    users: tuple[str, ...],
    **options: Any,
) -> None:
    """Read event logs and report each application and the lineage of its queries.

    PATH is an event log file (any codec: zstd, lz4, snappy, lzf, gzip, plain), a rolling
    eventlog_v2_* directory, a Databricks cluster-log directory, or a Spark History Server
    log directory, which is walked recursively. Files that are not event logs are passed
    over quietly. A JSON report (or part files) of an earlier extract is read as it is.

    \b
    Examples:
      sparklineage extract /var/log/spark-events
      sparklineage extract eventlog_v2_local-1700000000000 --format json
      sparklineage extract logs/ -o lineage.json
      sparklineage extract app-1.zstd --columns     # with column lineage, as text
      sparklineage extract thriftserver-logs/ --user alice   # what alice ran on a server
      sparklineage extract /var/log/spark-events --format openlineage -o events.ndjson
      sparklineage extract /var/log/spark-events --jobs 4 -o lineage.json
      sparklineage extract /var/log/spark-events --format html -o lineage.html
      sparklineage extract lineage.json --format html -o lineage.html   # a report, drawn
      sparklineage extract s3://bucket/spark-events --engine spark --master 'local[8]' \\
          --format parts --plans -o /data/lineage-parts     # docs/scale.md

    Exit status: 0 when every log was read, 3 when some could not be (the others are still
    reported), 2 on usage errors.
    """
    from sparklineage.commands import extract as command

    settings = _settings(options)
    command.run(
        paths,
        settings,
        engine=engine,
        master=master,
        storage_options=storage_options,
        fmt=fmt,
        output=output,
        columns=columns,
        plans=plans,
        verbose=verbose,
        users=users,
    )


@cli.command(short_help="Compare lineage with an expected file, for CI.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--expected",
    required=True,
    type=click.Path(dir_okay=False),
    help="The expected-lineage file to compare with (written by --update).",
)
@click.option("--update", is_flag=True, help="Write the lineage of PATH to the expected file.")
@click.option(
    "--html",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also draw the differences as a lineage page (added, removed, changed: docs/html.md).",
)
@_reading_options
@_progress_option
def check(
    paths: Sequence[str], expected: str, update: bool, html: str | None, **options: Any
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
      sparklineage check build/spark-events --expected lineage.expected.json \\
          --html lineage-diff.html        # the differences, drawn (a CI artifact)

    Exit status: 0 when the lineage is as expected (or --update wrote it), 1 when it
    differs (the differences are printed), 2 on usage errors, 3 when a log could not be read.
    """
    from sparklineage.commands import check as command

    command.run(paths, _settings(options), expected=expected, update=update, html=html)


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
    """The endpoint, auth and call options of every command that talks to a catalog."""
    for option in reversed(_endpoint_options):  # keep the listed order in --help
        command = option(command)
    return command


def _batch_limits(command: Callable[..., None]) -> Callable[..., None]:
    """How big one request may get."""
    command = click.option(
        "--batch-bytes",
        type=click.IntRange(min=1 << 10),
        default=4 << 20,
        show_default=True,
        help="Bytes per request, at most.",
    )(command)
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=500,
        show_default=True,
        help="Entities per request, at most.",
    )(command)


_collection_option = click.option(
    "--collection",
    metavar="ID",
    help="Purview collection (its id, e.g. the 6-letter id in the portal URL) the entities "
    "go to; without it, new entities land in the account's root collection.",
)


@cli.command(short_help="Create or update the Atlas types sparklineage uses.")
@_endpoint
@click.option(
    "--spark-types",
    is_flag=True,
    help="Also spark_table and spark_db, for uploads with --spark-types.",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def typedefs(dry_run: bool, **options: Any) -> None:
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
    from sparklineage.commands import typedefs as command

    command.run(_settings(options), dry_run=dry_run)


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
def upload(paths: Sequence[str], dry_run: bool, **options: Any) -> None:
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
    from sparklineage.commands import upload as command

    command.run(paths, _settings(options), dry_run=dry_run)


@cli.command(short_help="Send the lineage of logs or reports as OpenLineage events.")
@click.argument("paths", nargs=-1, required=True, metavar="LOG_OR_REPORT...")
@_openlineage_options
@click.option("--dry-run", is_flag=True, help="Read and count the events; send nothing.")
@click.option(
    "--retry-budget",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="Seconds one event may spend waiting out a throttling consumer (HTTP 429).",
)
@_reading_options
@_progress_option
def emit(paths: Sequence[str], dry_run: bool, **options: Any) -> None:
    """Send OpenLineage run events (a run per application, one per query) for every
    application of the logs, to Marquez, OpenMetadata, DataHub or any OpenLineage consumer.

    Sent through the OpenLineage client's transports, configured as that client always is:
    OPENLINEAGE_URL and OPENLINEAGE_API_KEY, openlineage.yml (working directory,
    ~/.openlineage/) or OPENLINEAGE_CONFIG. Run ids are derived from the applications, so
    sending the same logs again updates the same runs (docs/openlineage.md). Needs
    pip install 'spark-eventlog-lineage[openlineage]'.

    \b
    Examples:
      OPENLINEAGE_URL=http://marquez:5000 sparklineage emit /var/log/spark-events
      sparklineage emit report.json --openlineage-namespace prod --dry-run

    Exit status: 0 when every event was sent, 3 when some events or logs failed (the rest
    was sent), 2 on usage errors (no transport configured included).
    """
    from sparklineage.commands import emit as command

    command.run(paths, _settings(options), dry_run=dry_run)


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
    "--dry-run", is_flag=True, help="Read and say what would be sent; send and record nothing."
)
@_storage_option
@_batch_limits
@_collection_option
@_reading_options
@_progress_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron mail).")
@click.option(
    "--openlineage",
    is_flag=True,
    help="Land OpenLineage run events in the consumer the OpenLineage client is configured "
    "for (OPENLINEAGE_URL, openlineage.yml; docs/openlineage.md), not in Atlas or Purview.",
)
@_openlineage_options
def sync(
    sources: Sequence[str],
    history_servers: Sequence[str],
    state: Path | None,
    wait: bool,
    include_incomplete: bool,
    since: str | None,
    dry_run: bool,
    storage_options: Sequence[str],
    quiet: bool,
    openlineage: bool,
    **options: Any,
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
      OPENLINEAGE_URL=http://marquez:5000 sparklineage sync /var/log/spark-events --openlineage

    Exit status: 0 when everything landed (or nothing was new), 3 when some applications
    failed (the rest landed; upload failures are retried next run), 2 on usage errors,
    75 when another sync holds the state (see --wait), 130 when interrupted.
    See docs/cron.md for crontab and systemd timer setups.
    """
    from sparklineage.commands import sync as command

    command.run(
        sources,
        _settings(options),
        history_servers=history_servers,
        state=state,
        wait=wait,
        include_incomplete=include_incomplete,
        since=since,
        dry_run=dry_run,
        storage_options=storage_options,
        quiet=quiet,
        openlineage=openlineage,
    )


def _settings(options: dict[str, Any]) -> Settings:
    """The one Settings of this run: the shared options, and the World ``main`` was given."""
    world = click.get_current_context().find_root().obj
    return Settings.from_options(options, world if isinstance(world, World) else None)


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


def main(argv: Sequence[str] | None = None, world: World | None = None) -> None:
    """Entry point: run the command, turn every expected failure into a message and a code.
    ``world``: what the run uses of the outside world (tests give fakes; see Settings)."""
    try:
        cli.main(args=argv, prog_name="sparklineage", standalone_mode=False, obj=world)
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
