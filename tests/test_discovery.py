"""Applications are found in every layout, whatever their names, in the order Spark wrote them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sparklineage.application import read_application
from sparklineage.logs import discover
from tests.conftest import CORPUS, FIXTURES, fixture_index, run_cli


def entries(**match) -> list[dict]:
    return [e for e in fixture_index() if all(e.get(k) == v for k, v in match.items())]


@pytest.mark.parametrize("entry", fixture_index(), ids=lambda e: f"{e['spark']}-{e['scenario']}")
def test_every_generated_log_reads_as_spark_wrote_it(entry):
    """Id, version, layout, codec, completeness and SQL count as the generator recorded them."""
    [source] = discover([FIXTURES / entry["path"]]).sources
    app = read_application(source)
    assert (app.id, app.name, app.spark_version) == (
        entry["app_id"],
        entry["app_name"],
        entry["spark"],
    )
    assert (app.layout, app.codec, app.complete) == (
        entry["layout"],
        entry["codec"],
        entry["complete"],
    )
    assert app.sql_executions == entry["sql_executions"]
    assert (app.read_error, app.malformed_lines) == (None, 0)
    assert len(source.files) == entry.get("parts", 1)


def test_a_rolling_log_reads_its_parts_in_number_order_not_name_order(tmp_path):
    [entry] = [e for e in entries(layout="rolling") if e.get("parts", 1) >= 2][:1]
    rolled = tmp_path / Path(entry["path"]).name
    shutil.copytree(FIXTURES / entry["path"], rolled)
    [source] = discover([rolled]).sources
    numbers = [int(Path(f.path).name.split("_")[1]) for f in source.files]
    assert numbers == sorted(numbers) and len(numbers) == entry["parts"]
    # A tenth part sorts before the second by name; make sure it is read last.
    last = Path(source.files[-1].path)
    tenth = last.with_name(last.name.replace(f"events_{numbers[-1]}_", "events_10_", 1))
    last.rename(tenth)
    [source] = discover([rolled]).sources
    assert Path(source.files[-1].path) == tenth
    assert "not consecutive" in " ".join(source.notes)


def test_naming_one_part_of_a_rolling_log_reads_the_whole_directory():
    [entry] = [e for e in entries(layout="rolling") if e.get("parts", 1) >= 2][:1]
    part = sorted((FIXTURES / entry["path"]).glob("events_2_*"))[0]
    [source] = discover([part]).sources
    assert source.path == str(FIXTURES / entry["path"]) and len(source.files) == entry["parts"]


def test_a_running_rolling_log_is_incomplete_until_its_appstatus_says_so(tmp_path):
    entry = next(e for e in entries(layout="rolling") if e["complete"])
    rolled = tmp_path / Path(entry["path"]).name
    shutil.copytree(FIXTURES / entry["path"], rolled)
    [status] = rolled.glob("appstatus_*")
    status.rename(status.with_name(status.name + ".inprogress"))
    [source] = discover([rolled]).sources
    assert source.in_progress and not read_application(source).complete


def test_compacted_rolling_logs_are_flagged(tmp_path):
    entry = next(e for e in entries(layout="rolling"))
    rolled = tmp_path / Path(entry["path"]).name
    shutil.copytree(FIXTURES / entry["path"], rolled)
    first = sorted(rolled.glob("events_1_*"))[0]
    first.rename(first.with_name(first.name + ".compact"))
    [source] = discover([rolled]).sources
    app = read_application(source)
    assert source.compacted
    assert any("compacted" in w and "cannot be recovered" in w for w in app.warnings)


def test_really_unfinished_logs_from_a_killed_driver():
    """The generator killed these drivers mid-run: Spark's own .inprogress markers."""
    unfinished = entries(scenario="inprogress")
    assert unfinished, "the generator writes an inprogress scenario for each Spark version"
    for entry in unfinished:
        run = run_cli("extract", str(FIXTURES / entry["path"]), "--format", "json")
        assert run.code == 0, run.stderr
        [app] = run.json()["applications"]
        assert app["complete"] is False and app["end"] is None
        assert app["sql_executions"] == entry["sql_executions"] > 0


def test_a_directory_of_many_applications_is_walked_recursively():
    run = run_cli("extract", str(FIXTURES), "--format", "json")
    assert run.code == 0, run.stderr
    ids = sorted((a["id"], a["attempt"]) for a in run.json()["applications"])
    assert ids == sorted((e["app_id"], None) for e in fixture_index())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_databricks_rolled_files_come_in_time_order_with_the_bare_eventlog_last(tmp_path, corpus):
    delivered = tmp_path / "cluster-1"
    shutil.copytree(
        corpus / "spark-rapids-tools/spark-events-qualification/db_sim_eventlog", delivered
    )
    rolled = delivered / "eventlog-2021-06-15--15-00.gz"
    shutil.copy(rolled, delivered / "eventlog-2021-06-15--14-00.gz")
    [source] = discover([delivered]).sources
    names = [Path(f.path).name for f in source.files]
    assert names == ["eventlog-2021-06-15--14-00.gz", "eventlog-2021-06-15--15-00.gz", "eventlog"]
