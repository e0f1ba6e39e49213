"""Every option can come from the environment, under the name the docs give it."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from sparklineage.cli import cli, environment_variable
from tests.conftest import ROOT, fixture_path

# Read by the code itself, not an option (a password never goes on a command line).
NOT_OPTIONS = {"SPARKLINEAGE_ATLAS_PASSWORD"}
NAMED = re.compile(r"\bSPARKLINEAGE_[A-Z0-9_]*[A-Z0-9]\b")


def option_variables() -> dict[str, tuple[str, click.Option]]:
    """Every variable an option reads: each command's, and the group's own (``--config``)."""
    variables = {
        param.envvar: (name, param)
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param, click.Option)
    }
    variables.update(
        {p.envvar: ("", p) for p in cli.params if isinstance(p, click.Option) and p.envvar}
    )
    return variables


def test_every_option_of_every_command_has_its_own_variable_shown_in_help():
    options = [
        (name, param)
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param, click.Option)
    ]
    assert len(option_variables()) == len(options) + 1, "two options share a variable"
    runner = CliRunner()
    for name, param in options:
        assert param.envvar == environment_variable(name, param)
        shown = runner.invoke(cli, [name, "--help"], terminal_width=200).output
        assert param.envvar in shown, f"{name} --help does not show {param.envvar}"


@pytest.mark.parametrize(
    "document", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_every_variable_the_docs_name_is_one_the_cli_reads(document):
    named = set(NAMED.findall(document.read_text()))
    unknown = named - set(option_variables()) - NOT_OPTIONS
    assert not unknown, f"{document.name} names variables nothing reads: {sorted(unknown)}"


def test_a_variable_sets_its_option_and_the_command_line_wins():
    log = str(fixture_path("dml", "3.5"))
    runner = CliRunner()
    text = runner.invoke(cli, ["extract", log], env={"SPARKLINEAGE_EXTRACT_FORMAT": "text"})
    assert text.exit_code == 0 and text.output.startswith("local-")
    columns = runner.invoke(
        cli,
        ["extract", log],
        env={"SPARKLINEAGE_EXTRACT_FORMAT": "text", "SPARKLINEAGE_EXTRACT_COLUMNS": "1"},
    )
    assert " ← " in columns.output and " ← " not in text.output
    json = runner.invoke(
        cli, ["extract", log, "--format", "json"], env={"SPARKLINEAGE_EXTRACT_FORMAT": "text"}
    )
    assert json.output.startswith("{")
