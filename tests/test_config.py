"""The configuration file: option defaults below the environment and the command line."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from unittest import mock

import orjson
import pytest

from sparklineage.cli import main
from tests.conftest import fixture_path

DML = str(fixture_path("dml", "3.5"))


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """The CLI as `sparklineage` runs it, in process: its exit status, stdout and stderr."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    variables = {"XDG_CONFIG_HOME": "/nonexistent", **(env or {})}
    code = 0
    with (
        mock.patch.dict(os.environ, variables),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(list(args))
        except SystemExit as done:
            code = int(done.code or 0)
    out.flush()
    return code, out.buffer.getvalue().decode() + err.getvalue()


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sparklineage.toml"
    path.write_text(text)
    return str(path)


def hive_names(output: str) -> set[str]:
    datasets = orjson.loads(output)["datasets"]["entities"]
    return {d["attributes"]["qualifiedName"] for d in datasets if d["typeName"] == "hive_table"}


def test_a_command_table_sets_that_commands_options(tmp_path):
    path = config(tmp_path, '[extract]\nformat = "text"\ncolumns = true\n')
    code, out = run("--config", path, "extract", DML)
    assert code == 0
    assert out.startswith("local-") and " ← " in out


def test_top_level_keys_reach_every_command_with_the_option_and_a_table_wins(tmp_path):
    shared = config(tmp_path, 'cluster-name = "prod"\n')
    _, out = run("--config", shared, "extract", DML, "--format", "atlas")
    assert hive_names(out) and all(n.endswith("@prod") for n in hive_names(out))
    path = config(tmp_path, 'cluster-name = "prod"\n\n[extract]\ncluster-name = "lab"\n')
    _, out = run("--config", path, "extract", DML, "--format", "atlas")
    assert all(n.endswith("@lab") for n in hive_names(out))


def test_the_environment_wins_over_the_file_and_the_command_line_over_both(tmp_path):
    path = config(tmp_path, '[extract]\nformat = "text"\n')
    env = {"SPARKLINEAGE_EXTRACT_FORMAT": "json"}
    _, out = run("--config", path, "extract", DML, env=env)
    assert out.startswith("{")
    _, out = run("--config", path, "extract", DML, "--format", "text", env=env)
    assert out.startswith("local-")


def test_the_default_file_is_read_from_the_config_home(tmp_path):
    home = tmp_path / "config"
    (home / "sparklineage").mkdir(parents=True)
    (home / "sparklineage" / "config.toml").write_text('[extract]\nformat = "text"\n')
    code, out = run("extract", DML, env={"XDG_CONFIG_HOME": str(home)})
    assert code == 0 and out.startswith("local-")
    code, out = run("extract", DML)  # no file there: nothing changes
    assert code == 0 and out.startswith("{")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("stat = 1\n", "'stat' is an option of no command"),
        ("[sync]\nformat = 'text'\n", "[sync] 'format' is not an option of `sparklineage sync`"),
        ("[synch]\nstate = 'x'\n", "[synch] is no command"),
        ("atlas-password = 'hunter2'\n", "'atlas-password' is an option of no command"),
        ("user = 'atlas-admin'\n", "'user' means different things in different commands"),
        ("[extract\n", "not a TOML configuration file"),
        ("[extract]\nmax-line-mib = 0\n", "max-line-mib"),
    ],
)
def test_a_wrong_file_is_one_line_and_exit_2(tmp_path, text, problem):
    path = config(tmp_path, text)
    code, out = run("--config", path, "extract", DML)
    assert code == 2
    assert problem in out and "Traceback" not in out
    assert "hunter2" not in out


def test_a_missing_file_given_is_a_usage_error(tmp_path):
    code, out = run("--config", str(tmp_path / "nope.toml"), "extract", DML)
    assert code == 2 and "cannot read the configuration" in out
