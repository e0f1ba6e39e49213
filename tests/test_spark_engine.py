"""`extract --engine spark`: the logs read by a Spark job in local mode (`local[2]`) give the
report the local engine gives; part files feed `upload` and `emit` as the report does; a log
that fails on an executor is an unreadable log, never a failed job.

One SparkSession for the module (a JVM start costs seconds): the CLI finds it active and
runs its job in it, as it does under spark-submit or in a notebook.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from sparklineage.sinks.report import load_report, render_json
from sparklineage.spark_engine import Work, balanced
from tests.catalog import catalog_contents, cli, prepare_catalog
from tests.conftest import CORPUS, FIXTURES, copy_logs, fixture_path, run_cli, with_event_cut

pyspark = pytest.importorskip("pyspark", reason="the spark extra installs pyspark")
pytestmark = pytest.mark.xdist_group("spark")  # one worker, so one JVM, runs this module

BUCKET = "spark-engine-logs"  # moto keeps buckets per process: not sync tests' name


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3 endpoint on 127.0.0.1, started before the Spark session so that its executors'
    environment holds the dummy credentials, as a cluster's does its own."""
    moto_server = pytest.importorskip("moto.server")
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def spark(s3_endpoint: str) -> Iterator[object]:
    from pyspark.sql import SparkSession

    from sparklineage.spark_engine import spark_session

    assert SparkSession.getActiveSession() is None
    session, ours = spark_session("local[2]")
    assert ours
    yield session
    session.stop()


def both(*args: str, tmp_path: Path) -> tuple[bytes, bytes, tuple[int, str], tuple[int, str]]:
    """The same extract by both engines: (local output, Spark output, (code, stderr) each)."""
    local, on_spark = tmp_path / "local.out", tmp_path / "spark.out"
    first = run_cli("extract", *args, "-o", str(local))
    second = run_cli("extract", *args, "--engine", "spark", "-o", str(on_spark))
    assert "Traceback" not in second.stderr
    return (
        local.read_bytes(),
        on_spark.read_bytes(),
        (first.code, first.stderr),
        (second.code, second.stderr),
    )


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_spark_engine_writes_the_local_engines_report(spark, fmt, tmp_path):
    paths = [str(FIXTURES)] + ([str(CORPUS)] if CORPUS.is_dir() else [])
    local, on_spark, first, second = both(*paths, "--format", fmt, tmp_path=tmp_path)
    assert on_spark == local and len(local) > 10_000
    assert second == first  # exit code and every problem said, in the same words


def test_a_log_that_fails_on_an_executor_is_an_unreadable_log(spark, tmp_path):
    events = copy_logs(tmp_path / "events", ("ddl", "dml"))
    good = fixture_path("views")
    # Hand-made damage for a malformed-input test: a real log, gzipped and cut short.
    (events / "app-cut.gz").write_bytes(gzip.compress(good.read_bytes())[:-400])
    (events / "app-garbage").write_bytes(b"\x00\x01 not an event log\n" * 10)
    local, on_spark, first, second = both(str(events), "--format", "json", tmp_path=tmp_path)
    assert second == first and second[0] == 3
    assert "app-cut.gz: gzip stream truncated" in second[1]
    assert on_spark == local and len(orjson.loads(on_spark)["applications"]) == 2


def test_strict_fails_the_run_on_the_first_malformed_log_as_locally(spark, tmp_path):
    events = copy_logs(tmp_path / "events", ("ddl",))
    damaged, line = with_event_cut(fixture_path("dml").read_bytes())
    (events / "app-malformed").write_bytes(damaged)
    first = run_cli("extract", str(events), "--strict")
    second = run_cli("extract", str(events), "--strict", "--engine", "spark")
    assert second.code == first.code == 3
    assert second.stderr == first.stderr and f"app-malformed:{line}" in second.stderr


def test_part_files_hold_the_report_day_by_day(spark, tmp_path):
    out = tmp_path / "parts"
    args = ("extract", str(FIXTURES), "--engine", "spark", "--format", "parts", "-o", str(out))
    done = run_cli(*args)
    assert done.code == 0, done.stderr
    local = run_cli("extract", str(FIXTURES), "--format", "json")
    read_back = load_report(str(out))
    assert read_back is not None
    assert orjson.loads(render_json(read_back)) == local.json()
    assert f"{len(read_back)} applications written to {out}" in done.stderr
    for day in out.glob("date=*"):
        for part in day.glob("part-*"):
            for line in part.read_bytes().splitlines():
                (entry,) = orjson.loads(line)["applications"]
                assert day.name == f"date={(entry['start'] or 'unknown')[:10]}"
    assert len(list(out.glob("date=*/part-*"))) == len(list(out.glob("date=*"))), "a file a day"
    again = run_cli(*args)
    assert again.code == 2 and "is a directory" in again.stderr, "never written over"
    taken = tmp_path / "taken"
    taken.write_text("a file of the user's\n")
    over_a_file = run_cli(*args[:-1], str(taken))
    assert over_a_file.code == 2 and "already exists" in over_a_file.stderr
    assert taken.read_text() == "a file of the user's\n" and load_report(str(out)) == read_back


def test_part_files_hold_an_application_found_twice_once_as_the_report_does(spark, tmp_path):
    events = copy_logs(tmp_path / "events", ("ddl", "dml"))
    copy_logs(tmp_path / "events" / "backup", ("ddl",))  # the same log, a second place
    copy_logs(tmp_path / "events" / "backup-4.0", ("ddl",), spark="4.0")  # another application
    out = tmp_path / "parts"
    done = run_cli("extract", str(events), "--engine", "spark", "--format", "parts", "-o", str(out))
    assert done.code == 0, done.stderr
    local = run_cli("extract", str(events), "--format", "json").json()
    assert len(local["applications"]) == 3
    read_back = load_report(str(out))
    assert read_back is not None
    assert orjson.loads(render_json(read_back)) == local
    assert "3 applications written to" in done.stderr
    (kept,) = [a for a in local["applications"] if any("also found at" in w for w in a["warnings"])]
    assert kept["spark_version"].startswith("3.5") and "/backup/" in kept["source"]
    other = events / Path(kept["source"]).name
    assert f"also found at {other}: reported once" in kept["warnings"][-1]
    (tmp_path / "empty").mkdir()
    nothing = run_cli(
        "extract", str(tmp_path / "empty"), "--engine", "spark", "--format", "parts", "-o", "x"
    )
    assert nothing.code == 2 and "no Spark event logs found" in nothing.stderr
    assert "Traceback" not in nothing.stderr


def test_upload_and_emit_take_part_files_as_they_take_the_report(
    spark, tmp_path, atlas_server_factory
):
    events = copy_logs(tmp_path / "events", ("ddl", "dml", "views", "dataframe-io"))
    parts, report = tmp_path / "parts", tmp_path / "report.json"
    common = ("extract", str(events), "--plans", "--engine", "spark")
    assert run_cli(*common, "--format", "parts", "-o", str(parts)).code == 0
    assert run_cli("extract", str(events), "--plans", "-o", str(report)).code == 0
    from_parts, from_report = (prepare_catalog(atlas_server_factory()) for _ in range(2))
    landed = cli("upload", str(parts), "--endpoint", from_parts.url)
    assert landed.returncode == 0, landed.stderr
    assert cli("upload", str(report), "--endpoint", from_report.url).returncode == 0
    assert catalog_contents(from_parts) == catalog_contents(from_report) != []
    one_day = next(parts.glob("date=*"))
    assert cli("upload", str(one_day), "--endpoint", from_parts.url).returncode == 0
    assert catalog_contents(from_parts) == catalog_contents(from_report), "a day again: no change"
    emitted = run_cli("emit", str(parts), "--dry-run")
    assert emitted.code == 0 and emitted.stderr == run_cli("emit", str(report), "--dry-run").stderr


def test_logs_in_an_object_store_are_read_by_either_engine(spark, s3_endpoint, tmp_path):
    s3fs = pytest.importorskip("s3fs")
    events = copy_logs(tmp_path / "events", ("ddl", "dml", "rolling-multipart"))
    fs = s3fs.S3FileSystem(endpoint_url=s3_endpoint, skip_instance_cache=True)
    fs.mkdir(BUCKET)
    fs.put(f"{events}/", f"{BUCKET}/spark-events/", recursive=True)
    url = f"s3://{BUCKET}/spark-events"
    common = ("extract", url, "--format", "json", "--storage-option", f"endpoint_url={s3_endpoint}")
    local = run_cli("extract", str(events), "--format", "json")
    for engine in ("spark", "local"):  # executors copy and read; or this process (and --jobs)
        remote = run_cli(*common, "--engine", engine)
        assert remote.code == 0, remote.stderr
        assert orjson.loads(remote.stdout.replace(url, str(events))) == local.json()
    jobs = run_cli(*common, "--jobs", "2")
    assert jobs.code == 0 and jobs.stdout == remote.stdout


def test_what_an_engine_cannot_do_is_said_before_anything_runs(tmp_path):
    parts = run_cli("extract", str(FIXTURES), "--format", "parts", "-o", str(tmp_path / "p"))
    assert parts.code == 2 and "--engine spark" in parts.stderr
    jobs = run_cli("extract", str(FIXTURES), "--engine", "spark", "--jobs", "2")
    assert jobs.code == 2 and "--jobs" in jobs.stderr


def test_without_pyspark_the_spark_engine_says_what_to_install(monkeypatch):
    from sparklineage import spark_engine

    monkeypatch.setitem(__import__("sys").modules, "pyspark.sql", None)
    with pytest.raises(spark_engine.UsageError, match=r"\[spark\]"):
        spark_engine.spark_session("local[1]")


def test_partitions_are_balanced_by_bytes():
    sizes = [900, 10, 10, 500, 400, 300, 200, 100, 50, 40, 30, 20, 5, 5]
    work = [Work(i, size) for i, size in enumerate(sizes)]
    shares = balanced(work, 3)
    assert sorted(w.index for share in shares for w in share) == list(range(len(sizes)))
    loads = [sum(w.size for w in share) for share in shares]
    assert max(loads) <= sum(sizes) / 3 * 4 / 3, loads
    assert len(balanced(work[:2], 8)) == 2, "no empty partitions"


def test_a_damaged_part_line_is_refused_naming_its_file_and_line(tmp_path):
    day = tmp_path / "parts" / "date=2026-11-24"
    day.mkdir(parents=True)
    document = orjson.dumps(run_cli("extract", str(fixture_path("ddl")), "--format", "json").json())
    # Hand-made damage: a part file whose second line was cut.
    (day / "part-00000.txt").write_bytes(document + b"\n" + document[:-30] + b"\n")
    whole = run_cli("emit", str(day.parent), "--dry-run")
    assert whole.code == 2 and f"{day / 'part-00000.txt'}:2: not a line" in whole.stderr
    (day / "part-00000.txt").write_bytes(document + b"\n")
    assert run_cli("emit", str(day), "--dry-run").stderr.startswith("would send ")


def test_an_output_spark_cannot_write_is_one_line_not_a_traceback(spark, tmp_path):
    args = ("extract", str(fixture_path("ddl")), "--engine", "spark", "--format", "parts")
    done = run_cli(*args, "-o", "nosuchfs://bucket/parts")
    assert done.code == 3 and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("sparklineage: error: the Spark job failed and nothing was written")
    assert "No FileSystem for scheme" in line


def test_an_object_store_that_does_not_answer_is_one_line_and_exit_3(monkeypatch):
    """Nothing listens on 127.0.0.1:9: the store's client gives up, the run says so."""
    pytest.importorskip("s3fs")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    args = ("extract", "s3://spark-logs/events", "--storage-option")
    done = run_cli(*args, "endpoint_url=http://127.0.0.1:9")
    assert done.code == 3 and "Traceback" not in done.stderr
    assert done.stderr.startswith("sparklineage: error: s3://spark-logs/events: cannot list (")
