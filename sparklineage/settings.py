"""One frozen :class:`Settings` per run: every option a command has, built once, in one place.

Where a value comes from is decided before it gets here, by click, in this order (highest
first): the command line; the option's environment variable (``SPARKLINEAGE_<COMMAND>_<FLAG>``,
shown in ``--help``); the configuration file (:mod:`sparklineage.config`); the built-in
default. :meth:`Settings.from_options` then turns the parsed options into the typed groups
the stages take (how logs are read, how datasets map to entities, which catalog, how big a
request may be), so no stage reads an option, a variable or a file of its own.

:class:`World` is what a run uses of the world outside it (how it waits, where Azure tokens
and the Atlas password come from). Tests swap it whole, through ``main(argv, world=...)``;
nothing swaps a module's globals.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sparklineage.application import ReadOptions
from sparklineage.atlas.mapping import MappingOptions
from sparklineage.sinks.openlineage import OpenLineageOptions

PASSWORD_VARIABLE = "SPARKLINEAGE_ATLAS_PASSWORD"


def _azure_credential() -> Any:
    from azure.identity import DefaultAzureCredential  # heavy: imported only when asked for

    return DefaultAzureCredential()


@dataclass(frozen=True)
class World:
    """What a run uses of the world outside: real by default, fakes in tests."""

    sleep: Callable[[float], None] = time.sleep  # every backoff and retry wait
    azure_credential: Callable[[], Any] = _azure_credential  # an azure-identity TokenCredential
    clock: Callable[[], float] = time.time  # now, in epoch seconds (``--since 7d``)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)


@dataclass(frozen=True)
class CatalogSettings:
    """Which catalog lineage goes to, and how each call to it behaves."""

    endpoint: str | None = None  # an Atlas v2 base URL
    purview_account: str | None = None
    auth: str | None = None  # azure | basic | none; None: azure for Purview, none otherwise
    user: str | None = None  # for basic auth
    timeout: float = 60.0  # seconds, each HTTP call (the catalog's and the History Server's)
    retry_budget: float = 300.0  # seconds one call may spend being retried


@dataclass(frozen=True)
class Settings:
    """Everything a command was told, typed; the defaults are the CLI's."""

    reading: ReadOptions = field(default_factory=ReadOptions)
    mapping: MappingOptions = field(default_factory=MappingOptions)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    openlineage: OpenLineageOptions = field(default_factory=OpenLineageOptions)
    batch_size: int = 500  # entities per request, at most
    batch_bytes: int = 4 << 20  # bytes per request, at most
    collection: str | None = None  # the Purview collection new entities go to
    progress: bool | None = None  # None: a bar on a terminal, for large inputs
    jobs: int = 1  # processes reading logs (the output is the same whatever the number)
    world: World = field(default_factory=World)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], world: World | None = None) -> Settings:
        """The settings of one command's parsed options (click's parameter names); an option
        the command does not have keeps its default."""
        given = {k: v for k, v in options.items() if v is not None}
        defaults = cls()

        def pick(name: str, default: Any) -> Any:
            return given.get(name, default)

        reading = ReadOptions(
            strict=pick("strict", defaults.reading.strict),
            max_line=pick("max_line_mib", defaults.reading.max_line >> 20) << 20,
        )
        mapping = MappingOptions(
            cluster=pick("cluster_name", defaults.mapping.cluster),
            spark_types=pick("spark_types", defaults.mapping.spark_types),
            rollup=pick("rollup", defaults.mapping.rollup),
            all_processes=pick("all_processes", defaults.mapping.all_processes),
        )
        catalog = CatalogSettings(
            endpoint=given.get("endpoint"),
            purview_account=given.get("purview_account"),
            auth=given.get("auth"),
            user=given.get("user"),  # for basic auth (extract's --user is ``users``)
            timeout=pick("timeout", defaults.catalog.timeout),
            retry_budget=pick("retry_budget", defaults.catalog.retry_budget),
        )
        openlineage = OpenLineageOptions(
            namespace=pick("openlineage_namespace", defaults.openlineage.namespace),
            table_namespace=pick("table_namespace", defaults.openlineage.table_namespace),
        )
        return cls(
            reading=reading,
            mapping=mapping,
            catalog=catalog,
            openlineage=openlineage,
            batch_size=pick("batch_size", defaults.batch_size),
            batch_bytes=pick("batch_bytes", defaults.batch_bytes),
            collection=given.get("collection"),
            progress=given.get("progress"),
            jobs=pick("jobs", defaults.jobs),
            world=world or World(),
        )
