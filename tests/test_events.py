"""The fast event filter keeps exactly the events a full parse would, and counts what is off."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sparklineage.errors import MalformedLineError
from sparklineage.events import (
    CATALOG,
    DECODERS,
    ApplicationStart,
    CatalogEvent,
    EnvironmentUpdate,
    EventStream,
    JobEnd,
    SQLExecutionStart,
)
from sparklineage.logs import discover
from sparklineage.logs.codecs import Codec, open_decoded
from sparklineage.redact import REDACTED
from tests.conftest import CORPUS, FIXTURES


def wanted_by_full_parse(source) -> tuple[list[str], int]:
    """Event types of the lines a slow reader (parse all) keeps, and the lines it cannot parse."""
    kept, malformed = [], 0
    for log_file in source.files:
        with open_decoded(log_file.path, Codec(log_file.codec)) as stream:
            for line in stream:
                try:
                    name = orjson.loads(line)["Event"]
                except orjson.JSONDecodeError:
                    malformed += 1
                    continue
                if name in DECODERS or name.startswith(CATALOG):
                    kept.append(name)
    return kept, malformed


def type_name(event) -> str:
    return type(event).__name__


def _expected_type(name: str) -> str:
    decoder = DECODERS.get(name) or DECODERS[CATALOG]
    return getattr(decoder, "func", decoder).__annotations__["return"]  # partial: its function


class _TypeNames(dict):
    def __missing__(self, name: str) -> str:
        return _expected_type(name)


_TYPES = _TypeNames()


def real_sources():
    roots = [p for p in (FIXTURES, CORPUS) if p.is_dir()]
    return discover(roots).sources if roots else ()


@pytest.mark.parametrize("source", real_sources(), ids=lambda s: Path(s.path).name)
def test_filter_keeps_the_same_events_as_parsing_every_line(source):
    stream = EventStream(source)
    fast = list(stream)
    slow, malformed = wanted_by_full_parse(source)
    assert [type_name(e) for e in fast] == [_TYPES[n] for n in slow]
    assert stream.stats.malformed_lines == malformed
    assert sum(isinstance(e, SQLExecutionStart) for e in fast) == sum(
        n.endswith("SQLExecutionStart") for n in slow
    )


def _event_line(kind: str, n: int) -> bytes:
    bodies = {
        "task": {"Event": "SparkListenerTaskEnd", "Stage ID": n, "Task Info": {"Task ID": n}},
        "sql": {
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart",
            "executionId": n,
            "description": "q",
            "details": "",
            "physicalPlanDescription": "",
            "sparkPlanInfo": {"nodeName": "X", "simpleString": "X", "children": [], "metadata": {}},
            "time": n,
        },
        "jobend": {
            "Event": "SparkListenerJobEnd",
            "Job ID": n,
            "Job Result": {"Result": "JobSucceeded"},
        },
        "reordered": {
            "executionId": n,
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd",
        },
        "blank": None,
        "malformed": None,
    }
    if kind == "blank":
        return b"\n"
    if kind == "malformed":
        return b'{"Event":"SparkListenerJobEnd",' + b"\x00garbage\n"
    return orjson.dumps(bodies[kind]) + b"\n"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(
        st.sampled_from(["task", "sql", "jobend", "reordered", "blank", "malformed"]), max_size=40
    ),
    torn=st.booleans(),
)
def test_counts_of_events_and_malformed_lines(tmp_path, kinds, torn):
    """Hand-made lines (not a real log) exercising the filter's branches in any order."""
    lines = [_event_line(k, i) for i, k in enumerate(kinds)]
    if torn:
        lines.append(_event_line("sql", 999)[:120])  # a last line cut mid-write, no newline
    assume(lines and lines[0].startswith(b'{"Event":'))  # what makes a file a log
    path = tmp_path / "app-1"
    path.write_bytes(b"".join(lines))
    [source] = discover([path]).sources
    stream = EventStream(source)
    events = list(stream)
    assert len(events) == sum(k in ("sql", "jobend", "reordered") for k in kinds)
    assert stream.stats.malformed_lines == kinds.count("malformed")
    assert stream.stats.torn_tail == torn
    if kinds.count("malformed"):
        with pytest.raises(MalformedLineError):
            list(EventStream(source, strict=True))


def test_typed_events_from_a_real_log():
    log = next((FIXTURES / "spark-3.5").glob("*")) if (FIXTURES / "spark-3.5").is_dir() else None
    if log is None:
        pytest.skip("fixtures not generated")
    [source] = discover([log]).sources
    events = list(EventStream(source))
    start = next(e for e in events if isinstance(e, ApplicationStart))
    assert start.app_id and start.name and start.time
    env = next(e for e in events if isinstance(e, EnvironmentUpdate))
    assert env.get(
        "spark.sql.warehouse.dir",
    ).startswith(("file:/data/lake", "/data/lake"))
    sql = [e for e in events if isinstance(e, SQLExecutionStart)]
    assert sql and all(e.plan_info.get("nodeName") is not None for e in sql)
    assert all(isinstance(e, JobEnd) is False or e.job_id >= 0 for e in events)


def test_catalog_and_environment_decoding_redacts_secrets(tmp_path):
    """Hand-made lines in the shape Spark writes them (the catalog event from a 3.5 log)."""
    lines = [
        {"Event": "SparkListenerLogStart", "Spark Version": "3.5.9"},
        {
            "Event": "SparkListenerEnvironmentUpdate",
            "Spark Properties": {
                "spark.sql.catalog.pg.url": "jdbc:postgresql://db:5432/sales?user=etl&password=hunter2",
                "spark.sql.catalog.pg.password": "hunter2",
                "spark.executor.memory": "4g",
            },
            "Hadoop Properties": {"fs.defaultFS": "hdfs://nn:8020"},
        },
        {
            "Event": "org.apache.spark.sql.catalyst.catalog.RenameTableEvent",
            "database": "sales",
            "name": "a",
            "newName": "b",
        },
    ]
    path = tmp_path / "app-2"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    [source] = discover([path]).sources
    _, env, rename = list(EventStream(source))
    assert env.get("spark.sql.catalog.pg.password") == REDACTED
    assert "hunter2" not in repr(env)
    assert env.get("spark.executor.memory") is None
    assert env.get("fs.defaultFS") == "hdfs://nn:8020"
    assert rename == CatalogEvent(kind="RenameTableEvent", database="sales", name="a", new_name="b")
