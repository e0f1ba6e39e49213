"""`--jobs N`: logs read in N processes give the report one process gives, byte for byte;
a worker that dies costs only the logs it held."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sparklineage.workers import ordered_map
from tests.conftest import CORPUS, FIXTURES, run_cli, with_event_cut

PATHS = [str(FIXTURES)] + ([str(CORPUS)] if CORPUS.is_dir() else [])


@pytest.mark.parametrize("fmt", ["json", "atlas", "openlineage", "text"])
def test_jobs_give_the_report_one_process_gives(fmt: str, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    first = run_cli("extract", *PATHS, "--format", fmt, "-o", str(one))
    second = run_cli("extract", *PATHS, "--format", fmt, "--jobs", "2", "-o", str(two))
    assert first.code == second.code, second.stderr
    assert one.read_bytes() == two.read_bytes()
    assert sorted(first.stderr.splitlines()) == sorted(second.stderr.splitlines())
    assert len(one.read_bytes()) > 10_000 and "Traceback" not in second.stderr


def test_strict_fails_the_same_log_under_jobs(tmp_path: Path):
    """--strict: the first malformed line fails the run, whichever process read it."""
    log = tmp_path / "events" / "app-malformed"
    log.parent.mkdir()
    good = next(p for p in (FIXTURES / "spark-3.5").iterdir() if p.is_file() and "." not in p.name)
    damaged, line = with_event_cut(good.read_bytes())
    log.write_bytes(damaged)
    first = run_cli("extract", str(log.parent), "--strict")
    second = run_cli("extract", str(log.parent), "--strict", "--jobs", "2")
    assert first.code == second.code == 3
    assert f"app-malformed:{line}: malformed" in second.stderr
    assert first.stderr == second.stderr and "Traceback" not in second.stderr


def _die_on_three(item: int) -> int:
    if item == 3:
        os._exit(1)  # as the kernel's OOM killer leaves a worker
    return item * 10


def test_a_worker_that_dies_costs_only_the_item_that_killed_it():
    """The items in flight beside the one that killed its worker are read again, alone."""
    results = list(ordered_map(_die_on_three, range(8), 2, lost=lambda item: -1 - item))
    assert results == [0, 10, 20, -4, 40, 50, 60, 70]
