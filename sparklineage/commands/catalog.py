"""The catalog client a command's settings describe (``upload``, ``sync``, ``typedefs``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from sparklineage.errors import UsageError
from sparklineage.settings import PASSWORD_VARIABLE, Settings

if TYPE_CHECKING:
    from sparklineage.atlas.client import AtlasClient
    from sparklineage.atlas.upload import BatchLimits


def connected(settings: Settings) -> AtlasClient:
    """A client for the endpoint of ``settings``, its waits said on stderr."""
    from sparklineage.atlas.client import RetryPolicy, connect  # requests: only here

    catalog = settings.catalog
    policy = RetryPolicy(timeout=catalog.timeout, budget=catalog.retry_budget)
    return connect(
        catalog.endpoint,
        catalog.purview_account,
        catalog.auth,
        catalog.user,
        lambda: _password(settings),
        policy,
        say_waiting,
        sleep=settings.world.sleep,
        azure_credential=settings.world.azure_credential,
    )


def batch_limits(settings: Settings) -> BatchLimits:
    from sparklineage.atlas.upload import BatchLimits  # requests: only here

    return BatchLimits(settings.batch_size, settings.batch_bytes)


def say_waiting(message: str) -> None:
    """What a throttled or failing call waits for, on stderr (a silent minute looks hung)."""
    click.echo(f"sparklineage: {message}", err=True)


def _password(settings: Settings) -> str:
    """From the environment, else asked for on a terminal (never taken from arguments)."""
    password = settings.world.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"no password: set {PASSWORD_VARIABLE} (no terminal to ask on)")
    return str(click.prompt("Atlas password", hide_input=True, err=True))
