"""The configuration file: defaults for options, so a cron line stays short.

A TOML file whose keys are option names as typed on the command line, without the dashes in
front. Top-level keys apply to every command that has the option; a table per command
applies to that command only and wins over the top level::

    purview-account = "contoso"          # upload, sync, typedefs
    cluster-name = "prod"

    [sync]
    state = "/var/lib/sparklineage/sync.sqlite3"
    quiet = true

Precedence, highest first: the command line, the environment (``SPARKLINEAGE_<COMMAND>_
<OPTION>``), this file, the built-in default. Secrets have no key: a password comes from the
environment or a prompt, never from a file that is easy to leave readable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from sparklineage.errors import UsageError, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


# Flags that mean different things in different commands: only in a command's table.
# (``extract --user`` keeps one Spark user's queries; ``upload --user`` logs in to Atlas.)
PER_COMMAND = frozenset({"user"})


def default_path() -> Path:
    """``$XDG_CONFIG_HOME/sparklineage/config.toml``, by default under ``~/.config``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "sparklineage" / "config.toml"


def load_defaults(path: Path, commands: Mapping[str, click.Command]) -> dict[str, dict[str, Any]]:
    """The ``default_map`` a configuration file gives click: per command, parameter name ->
    value. Anything that is no option is a usage error naming the file and the key."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{shown(path)}: cannot read the configuration ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown(path)}: not a TOML configuration file ({exc})") from None
    shared = {k: v for k, v in document.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    for name in tables:
        if name not in commands:
            raise UsageError(
                f"{shown(path)}: [{name}] is no command (commands: {', '.join(sorted(commands))})"
            )
    for key in shared:
        if key in PER_COMMAND:
            raise UsageError(
                f"{shown(path)}: {key!r} means different things in different commands: "
                "put it in the table of the command it is for ([upload], [extract], …)"
            )
        if not any(key in _flags(command) for command in commands.values()):
            raise UsageError(f"{shown(path)}: {key!r} is an option of no command")
    defaults: dict[str, dict[str, Any]] = {}
    for name, command in commands.items():
        flags = _flags(command)
        for key in tables.get(name, {}):
            if key not in flags:
                raise UsageError(
                    f"{shown(path)}: [{name}] {key!r} is not an option of `sparklineage {name}` "
                    f"(see `sparklineage {name} --help`)"
                )
        given = {**{k: v for k, v in shared.items() if k in flags}, **tables.get(name, {})}
        defaults[name] = {flags[key]: value for key, value in given.items()}
    return defaults


def _flags(command: click.Command) -> dict[str, str]:
    """An option's long flag without dashes -> its parameter name (``format`` -> ``fmt``)."""
    return {
        max(param.opts, key=len).lstrip("-"): param.name
        for param in command.params
        if isinstance(param, click.Option) and param.name
    }
