"""Decode-ahead: a zstd log decoded by a thread ahead of the line reader reads exactly as one
decoded in line, keeps what was read before damage, and leaves no thread behind.

Spark's own small fixture logs have frames too small for the thread to pay, so most tests
here force it (``ahead``) and compare with the same log read in line (the default for them).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparklineage.errors import CorruptLogError
from sparklineage.logs import codecs, discover
from sparklineage.logs import lines as lines_module
from sparklineage.logs.codecs import Codec, open_decoded
from sparklineage.logs.lines import iter_line_batches
from tests.conftest import FIXTURES, fixture_index, fixture_path, run_cli

ZSTD_FIXTURES = [e for e in fixture_index() if e["codec"] == "zstd"]


def decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sparklineage decode-ahead")]


@pytest.fixture
def ahead(monkeypatch):
    """Decode ahead wherever the line reader asks: frames of any size, on any machine, in
    chunks of 4 KiB so that even a small log spans many."""
    monkeypatch.setattr(codecs, "AHEAD_MIN_FRAME_BYTES", 0)
    monkeypatch.setattr(codecs, "AHEAD_CHUNK_BYTES", 4096)
    monkeypatch.setattr(codecs, "_cores", lambda: 2)


def read_lines(path: Path, ahead: bool) -> tuple[list[bytes], str | None]:
    """Every line the reader hands out, and the error it ends with, if any."""
    lines: list[bytes] = []
    with open_decoded(str(path), Codec.ZSTD, ahead=ahead) as stream:
        try:
            while line := stream.readline():
                lines.append(line)
        except CorruptLogError as exc:
            return lines, str(exc)
    return lines, None


def one_frame_copy(plain: Path, into: Path) -> Path:
    """A plain log as one streamed zstd frame, as Databricks writes them: the thread pays."""
    frame = zstandard.ZstdCompressor(level=1).compressobj()
    into.write_bytes(frame.compress(plain.read_bytes()) + frame.flush())
    return into


@pytest.mark.parametrize("entry", ZSTD_FIXTURES, ids=lambda e: e["path"])
def test_real_zstd_logs_give_the_same_report_decoded_ahead(ahead, monkeypatch, entry):
    path = str(FIXTURES / entry["path"])
    ahead_run = run_cli("extract", path, "--format", "json")
    monkeypatch.setattr(codecs, "AHEAD_MIN_FRAME_BYTES", 1 << 40)  # in line, as by default
    inline_run = run_cli("extract", path, "--format", "json")
    assert (ahead_run.code, ahead_run.stdout, ahead_run.stderr) == (
        inline_run.code,
        inline_run.stdout,
        inline_run.stderr,
    )
    assert ahead_run.json()["applications"][0]["sql_executions"] == entry["sql_executions"]


def test_the_line_reader_decodes_a_real_log_in_a_thread_with_the_same_lines(ahead, monkeypatch):
    monkeypatch.setattr(lines_module, "BATCH_BYTES", 4096)  # the log is more than one batch
    [source] = discover([str(fixture_path("basic-zstd", "4.0"))]).sources
    batches = iter_line_batches(source)
    first = next(batches)
    assert decode_threads(), "no decode thread while reading"  # it waits for a free buffer
    lines = first.lines + [line for batch in batches for line in batch.lines]
    assert (lines, None) == read_lines(Path(source.files[0].path), ahead=False)
    assert not decode_threads()


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_a_cut_log_keeps_what_was_decoded_and_fails_as_in_line(ahead, tmp_path, fraction):
    data = fixture_path("basic-zstd", "4.0").read_bytes()
    cut = tmp_path / "cut.zstd"
    cut.write_bytes(data[: int(len(data) * fraction)])
    lines, error = read_lines(cut, ahead=True)
    assert (lines, error) == read_lines(cut, ahead=False)
    assert lines and error is not None and "zstd stream truncated" in error
    assert not decode_threads()


def test_a_cut_one_frame_log_is_reported_with_what_it_read(tmp_path, monkeypatch):
    """No forcing: a log of one big frame is decoded ahead as it is, cut or not."""
    monkeypatch.setattr(codecs, "_cores", lambda: 2)
    plain = fixture_path("columns", "4.0")  # 1.3 MB: a cut leaves whole blocks before it
    whole = one_frame_copy(plain, tmp_path / "whole.zstd")
    opened = open_decoded(str(whole), Codec.ZSTD, ahead=True)
    assert isinstance(opened.raw, codecs.DecodeAhead)
    opened.close()
    cut = tmp_path / f"{plain.name}.zstd"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 6 // 10])
    run = run_cli("extract", str(cut), "--format", "json")
    assert run.code == 3
    assert f"sparklineage: error: {cut}: zstd stream truncated" in run.stderr
    [app] = run.json()["applications"]
    assert app["read_error"] and not app["complete"] and app["sql_executions"] > 0
    full = run_cli("extract", str(plain), "--format", "json").json()["applications"][0]
    assert app["id"] == full["id"] and app["sql_executions"] <= full["sql_executions"]


def test_damage_is_raised_as_in_line(ahead, tmp_path):
    encoded = zstandard.ZstdCompressor().compress(b"x" * 100_000)
    bad = tmp_path / "bad.zstd"
    bad.write_bytes(encoded[:12] + bytes(range(256)) * 64)
    results = []
    for decode_ahead in (True, False):
        with (
            pytest.raises(CorruptLogError) as caught,
            open_decoded(str(bad), Codec.ZSTD, ahead=decode_ahead) as stream,
        ):
            stream.read()
        results.append((str(caught.value), caught.value.path))
    assert results[0] == results[1]


def test_closing_early_stops_the_thread_and_restores_the_switch_interval(
    ahead, monkeypatch, tmp_path
):
    interval = sys.getswitchinterval()
    log = one_frame_copy(fixture_path("basic-none", "4.0"), tmp_path / "log.zstd")
    stream = open_decoded(str(log), Codec.ZSTD, ahead=True)
    assert stream.readline().startswith(b'{"Event":')
    assert decode_threads() and sys.getswitchinterval() < interval
    stream.close()
    assert not decode_threads()
    assert sys.getswitchinterval() == interval

    monkeypatch.setattr(lines_module, "BATCH_BYTES", 4096)
    [source] = discover([str(log)]).sources
    batches = iter_line_batches(source)
    next(batches)
    assert decode_threads()
    batches.close()  # a reader that stops early, as on an exception downstream
    assert not decode_threads()


def test_small_frames_and_other_codecs_are_decoded_in_line(monkeypatch):
    """Where a thread would only take turns with the reader, none is started."""
    monkeypatch.setattr(codecs, "_cores", lambda: 2)
    for codec in ("zstd", "lz4", "snappy", "lzf"):
        path = fixture_path(f"basic-{codec}", "4.0")  # Spark's zstd: a frame every few events
        with open_decoded(str(path), Codec(codec), ahead=True) as stream:
            assert not isinstance(stream.raw, codecs.DecodeAhead), codec
            assert stream.readline()
        assert not decode_threads()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=20_000),
    frame=st.integers(min_value=1, max_value=5000),
    chunk=st.integers(min_value=1, max_value=3000),
    keep=st.floats(min_value=0, max_value=1),
)
def test_any_bytes_cut_anywhere_decode_ahead_as_in_line(
    tmp_path, monkeypatch, data, frame, chunk, keep
):
    monkeypatch.setattr(codecs, "AHEAD_MIN_FRAME_BYTES", 0)
    monkeypatch.setattr(codecs, "AHEAD_CHUNK_BYTES", chunk)
    monkeypatch.setattr(codecs, "_cores", lambda: 2)
    compressor = zstandard.ZstdCompressor()
    encoded = b"".join(compressor.compress(data[i : i + frame]) for i in range(0, len(data), frame))
    path = tmp_path / "log.zstd"
    path.write_bytes(encoded[: max(4, int(len(encoded) * keep))])
    assert read_lines(path, ahead=True) == read_lines(path, ahead=False)
