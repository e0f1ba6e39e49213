"""Shared test helpers: where the real logs are, and running the CLI as a user would."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import orjson
import pytest

from sparklineage.settings import World

if TYPE_CHECKING:
    from sparklineage.application import Application

# Fixtures of the test servers: atlas_server, atlas_server_factory; catalog (an Atlas server
# with the catalog's types); history_server_factory (a Spark History Server's REST API).
pytest_plugins = [
    "tests.atlas_server",
    "tests.catalog",
    "tests.history_server",
    "tests.openlineage_server",
]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "eventlogs"
CORPUS = ROOT.parent / "shared" / "corpus" / "public"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return orjson.loads(self.stdout)


def run_cli(
    *args: str, cwd: Path | None = None, process: bool = False, world: World | None = None
) -> Run:
    """The CLI as a user runs it: exit code, stdout and stderr. In this process (an
    interpreter start costs more than most commands), with ``world`` as what it uses of the
    outside (fakes), or with ``process`` as `python -m sparklineage` where only a real
    process proves the point."""
    if not process:
        return run_in_process(args, dict(os.environ), cwd, world)
    assert world is None, "a child process has the real world"
    done = subprocess.run(
        [sys.executable, "-m", "sparklineage", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_in_process(
    args: Sequence[str], env: dict[str, str], cwd: Path | None, world: World | None = None
) -> Run:
    """``sparklineage.cli.main`` with exactly ``env`` as its environment, ``cwd`` as its
    directory, an empty stdin and captured stdout and stderr, as a child process has them.
    An exception escaping main (a traceback for a user) fails the test."""
    from sparklineage.cli import main

    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    before = os.getcwd()
    code = 0
    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO("")),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            if cwd is not None:
                os.chdir(cwd)
            main(list(args), world)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            os.chdir(before)
    out.flush()
    return Run(code, out.buffer.getvalue().decode(errors="replace"), err.getvalue())


def fixture_index() -> list[dict]:
    """The generated fixtures, as tests/fixtures/generate.py recorded them."""
    return orjson.loads((FIXTURES / "index.json").read_bytes())


def fixture_path(scenario: str, spark: str = "3.5") -> Path:
    return next(
        FIXTURES / e["path"]
        for e in fixture_index()
        if e["scenario"] == scenario and e["spark"].startswith(spark)
    )


@functools.cache
def fixture_application(scenario: str, spark: str) -> Application:
    """The application of one scenario's log of one Spark version, read once per test run."""
    from sparklineage.application import read_application
    from sparklineage.logs import discover

    [source] = discover([fixture_path(scenario, spark)]).sources
    return read_application(source)


def copy_logs(into: Path, scenarios: tuple[str, ...], spark: str = "3.5") -> Path:
    """A History Server log directory holding copies of real fixture logs."""
    into.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        source = fixture_path(scenario, spark)
        if source.is_dir():
            shutil.copytree(source, into / source.name)
        else:
            shutil.copy2(source, into / source.name)
    return into


def with_event_cut(log: bytes, event: bytes = b"SQLExecutionStart") -> tuple[bytes, int]:
    """Hand-made damage for a malformed-input test: a real log with its first ``event`` cut
    in half; and that line's number."""
    lines = log.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if event in line)
    lines[at] = lines[at][: len(lines[at]) // 2] + b"\n"
    return b"".join(lines), at + 1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the fixtures (review each changed line before committing)",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the public event-log corpus (../shared/corpus/public) is not on this machine")
    return CORPUS
