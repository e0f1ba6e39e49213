"""A fuzz campaign over whole logs: real fixture logs, mutated, read by `extract` as a user
runs it, beside a good log.

Seeded and bounded (hypothesis ``derandomize``: the same inputs on every run, a failure
reproduces). The seed corpus is generated here from the committed fixtures, never stored:
- wrong types at every field the event decoders read, in every event type lineage uses;
- byte damage (flips, cuts, inserted bytes) in logs of every codec Spark writes;
- layout damage in rolling (``eventlog_v2_*``) directories: parts lost, emptied, renumbered,
  turned into directories, junk parts and status files, nested log directories.

Each run must end with an exit status in the documented set (0, or 3 when some of it could
not be read), never an exception of ours, and the good log beside the bad one must still be
reported whole.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparklineage.cli import main
from sparklineage.events import _TYPE_OFFSET, WANTED
from tests.conftest import fixture_path

SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_BOTH = ("dml", "ddl", "views", "streaming", "failed-query", "jdbc", "thrift-server")
SCENARIOS = (*((s, spark) for s in _BOTH for spark in ("3.5", "4.0")), ("connect-server", "4.0"))
GOOD = ("hive", "3.5")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DOCUMENTED = {0, 3}

JSON_INTEGERS = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON holds
WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    JSON_INTEGERS,
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(JSON_INTEGERS, max_size=3),
    st.dictionaries(st.text(max_size=5), JSON_INTEGERS, max_size=3),
)


@cache
def wanted_lines(scenario: str, spark: str) -> tuple[bytes, ...]:
    """The lines of a real log that the decoders read (the rest is never parsed): a small
    log of real events, so each example costs milliseconds."""
    data = fixture_path(scenario, spark).read_bytes()
    if data.startswith(ZSTD_MAGIC):  # the server fixtures are zstd, as Spark wrote them
        data = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True).read()
    lines = data.splitlines()
    return tuple(line for line in lines if line.startswith(WANTED, _TYPE_OFFSET))


def field_paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 4) -> list[tuple]:
    """Every key path of a decoded event down to ``depth`` (lists: their first item)."""
    paths: list[tuple] = []
    if depth == 0:
        return paths
    items = value.items() if isinstance(value, dict) else []
    if isinstance(value, list) and value:
        items = [(0, value[0])]
    for key, child in items:
        if key != "Event":
            paths.append((*prefix, key))
            paths.extend(field_paths(child, (*prefix, key), depth - 1))
    return paths


def with_value(event: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    mutated = orjson.loads(orjson.dumps(event))
    holder = mutated
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return mutated


def extract(directory: Path) -> tuple[int, str, str]:
    """`sparklineage extract DIR --format json`, in process: exit status, stdout, stderr.
    An exception that escapes (a traceback for the user) fails the test."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["extract", str(directory), "--format", "json"])
        except SystemExit as done:
            code = int(done.code or 0)
    out.flush()
    return code, out.buffer.getvalue().decode(), err.getvalue()


@cache
def good_report() -> dict[str, Any]:
    """What the good log reports alone."""
    source = fixture_path(*GOOD)
    return _report_of(source.read_bytes(), source.name)


def _report_of(data: bytes, name: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(data)
        code, out, err = extract(Path(tmp))
        assert code == 0, err
        [app] = orjson.loads(out)["applications"]
        return app


def assert_survived(directory: Path) -> str:
    """The run ended as documented with the good log reported whole; its stderr."""
    code, out, err = extract(directory)
    assert code in DOCUMENTED, err
    assert "Traceback" not in err
    good = fixture_path(*GOOD).name
    apps = {Path(a["source"]).name: a for a in orjson.loads(out)["applications"]}
    assert apps[good] == {**good_report(), "source": apps[good]["source"]}, (
        "the good log beside the bad one is reported whole"
    )
    return err


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "events"
    directory.mkdir()
    good = fixture_path(*GOOD)
    (directory / good.name).write_bytes(good.read_bytes())
    return directory


@SETTINGS
@given(data=st.data())
def test_a_wrongly_typed_field_anywhere_never_ends_the_run(data, logs_dir):
    scenario, spark = data.draw(st.sampled_from(SCENARIOS), label="scenario")
    lines = list(wanted_lines(scenario, spark))
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    event = orjson.loads(lines[index])
    paths = field_paths(event)
    if not paths:
        return
    path = data.draw(st.sampled_from(paths), label="field")
    value = data.draw(WRONG_VALUES, label="value")
    lines[index] = orjson.dumps(with_value(event, path, value))
    (logs_dir / "app-mutated").write_bytes(b"\n".join(lines) + b"\n")

    err = assert_survived(logs_dir)
    assert "could not handle" not in err, f"{path} = {value!r} reached a crash site: {err}"


CODEC_SCENARIOS = ("basic-zstd", "basic-lz4", "basic-snappy", "basic-lzf", "basic-none")


@SETTINGS
@given(data=st.data())
def test_damaged_bytes_in_a_log_of_any_codec_never_end_the_run(data, logs_dir):
    scenario = data.draw(st.sampled_from(CODEC_SCENARIOS), label="codec")
    source = fixture_path(scenario, data.draw(st.sampled_from(("3.5", "4.0"))))
    raw = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="damages")):
        at = data.draw(st.integers(0, len(raw) - 1), label="offset")
        kind = data.draw(st.sampled_from(("flip", "cut", "insert", "zero")), label="kind")
        if kind == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=64))
        else:
            raw[at : at + 64] = bytes(len(raw[at : at + 64]))
        if not raw:
            raw = bytearray(b"\0")
    (logs_dir / source.name).write_bytes(bytes(raw))

    err = assert_survived(logs_dir)
    assert "could not handle" not in err, err


ROLLING = (("rolling-multipart", "3.5"), ("rolling-multipart", "4.0"), ("rolling-default", "4.0"))


def _damage_layout(directory: Path, kind: str, pick: int, junk: bytes) -> None:
    """One change to a rolling log's directory, as copies, crashes and cleaners make them."""
    parts = sorted(p for p in directory.iterdir() if p.name.startswith("events_") and p.is_file())
    if not parts:
        return
    part = parts[pick % len(parts)]
    status = next(directory.glob("appstatus_*"), None)
    if kind == "drop-part":
        part.unlink()
    elif kind == "drop-status" and status is not None:
        status.unlink()
    elif kind == "empty-part":
        part.write_bytes(b"")
    elif kind == "junk-part":
        (directory / part.name.replace("events_", "events_9", 1)).write_bytes(junk)
    elif kind == "renumber":
        part.rename(directory / part.name.replace("events_", "events_x", 1))
    elif kind == "part-is-directory":
        part.unlink()
        part.mkdir()
    elif kind == "status-is-junk" and status is not None:
        status.write_bytes(junk)
    elif kind == "nested":
        (directory / "eventlog_v2_nested").mkdir(exist_ok=True)
        (directory / "eventlog_v2_nested" / part.name).write_bytes(part.read_bytes())


@SETTINGS
@given(data=st.data())
def test_a_damaged_rolling_layout_never_ends_the_run(data, logs_dir):
    scenario, spark = data.draw(st.sampled_from(ROLLING), label="log")
    source = fixture_path(scenario, spark)
    target = logs_dir / source.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    kinds = (
        "drop-part",
        "drop-status",
        "empty-part",
        "junk-part",
        "renumber",
        "part-is-directory",
        "status-is-junk",
        "nested",
    )
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        _damage_layout(
            target,
            data.draw(st.sampled_from(kinds), label="kind"),
            data.draw(st.integers(0, 5), label="part"),
            data.draw(st.binary(max_size=64), label="junk"),
        )

    err = assert_survived(logs_dir)
    assert "could not handle" not in err, err
