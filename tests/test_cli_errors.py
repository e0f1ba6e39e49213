"""Damaged and odd input: one clear message and the documented exit code each, never a traceback.

The damaged logs are made here, in a temporary directory, by cutting or mangling copies of
the real logs under tests/fixtures/eventlogs; they are malformed on purpose.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, fixture_index, run_cli


def real_log(codec: str, spark: str = "4.0") -> tuple[Path, dict]:
    """A single-file fixture log in ``codec`` written by Spark ``spark``, and its index entry."""
    for entry in fixture_index():
        if entry["scenario"] == f"basic-{codec}" and entry["spark"].startswith(spark):
            return FIXTURES / entry["path"], entry
    raise LookupError(f"no basic-{codec} fixture for Spark {spark}")


def cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def assert_clean(run) -> None:
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout


@pytest.mark.parametrize("codec", ["zstd", "lz4", "snappy", "lzf"])
def test_a_truncated_compressed_log_reports_what_it_read_and_exits_3(tmp_path, codec):
    log, entry = real_log(codec)
    damaged = tmp_path / log.name
    damaged.write_bytes(cut(log.read_bytes(), 0.6))
    run = run_cli("extract", str(damaged), "--format", "json")
    assert_clean(run)
    assert run.code == 3
    assert f"sparklineage: error: {damaged}: {codec} stream truncated" in run.stderr
    [app] = run.json()["applications"]
    assert app["id"] == entry["app_id"]
    assert app["read_error"] and not app["complete"]
    assert app["sql_executions"] <= entry["sql_executions"]


def test_a_real_process_exits_with_the_documented_codes(tmp_path):
    """Most tests run the CLI in the test's own process; this one runs `python -m
    sparklineage` itself, so the exit status and stderr are those a shell sees."""
    log, _ = real_log("zstd")
    ok = run_cli("extract", str(log), "--format", "json", process=True)
    assert ok.code == 0 and ok.json()["applications"]
    damaged = tmp_path / log.name
    damaged.write_bytes(cut(log.read_bytes(), 0.6))
    cut_run = run_cli("extract", str(damaged), "--format", "json", process=True)
    assert cut_run.code == 3 and cut_run.json()["applications"]
    missing = run_cli("extract", str(tmp_path / "nothing-here"), process=True)
    assert missing.code == 2 and missing.stderr.startswith("sparklineage: error: ")
    for run in (ok, cut_run, missing):
        assert_clean(run)


def test_a_truncated_gzip_log_exits_3(tmp_path):
    log, _ = real_log("none")
    damaged = tmp_path / "eventlog-2024-01-01--00-00.gz"
    damaged.write_bytes(cut(gzip.compress(log.read_bytes()), 0.5))
    run = run_cli("extract", str(damaged), "--format", "json")
    assert_clean(run)
    assert run.code == 3
    assert "gzip stream truncated" in run.stderr


def test_a_torn_last_line_is_tolerated_and_said(tmp_path):
    log, entry = real_log("none")
    lines = log.read_bytes().splitlines(keepends=True)
    torn = tmp_path / f"{log.name}.inprogress"
    torn.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    run = run_cli("extract", str(torn), "--format", "json")
    assert_clean(run)
    assert run.code == 0
    [app] = run.json()["applications"]
    assert app["id"] == entry["app_id"] and not app["complete"]
    assert app["malformed_lines"] == 0
    assert any("last line is incomplete" in w for w in app["warnings"])


def test_garbage_bytes_are_not_a_log(tmp_path):
    garbage = tmp_path / "app-20240101000000-0000"
    garbage.write_bytes(bytes(range(7, 250)) * 40)
    run = run_cli("extract", str(garbage))
    assert_clean(run)
    assert run.code == 3
    assert f"{garbage}: not a Spark event log (starts with bytes 07 08 09" in run.stderr


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    empty = tmp_path / "local-1700000000000"
    empty.touch()
    run = run_cli("extract", str(empty))
    assert_clean(run)
    assert run.code == 3
    assert "empty file" in run.stderr


def test_a_wrong_extension_is_read_by_its_bytes_and_noted(tmp_path):
    log, entry = real_log("zstd")
    misnamed = tmp_path / "local-1700000000000.lz4"
    shutil.copy(log, misnamed)
    run = run_cli("extract", str(misnamed), "--format", "json")
    assert run.code == 0, run.stderr
    [app] = run.json()["applications"]
    assert (app["codec"], app["sql_executions"]) == ("zstd", entry["sql_executions"])
    assert "file is named .lz4 but holds zstd data; read as zstd" in app["warnings"]


def test_a_directory_of_unrelated_files_is_a_usage_error(tmp_path):
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "config.json").write_text('{"spark": true}\n')
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    run = run_cli("extract", str(tmp_path))
    assert_clean(run)
    assert run.code == 2
    assert run.stderr.startswith(f"sparklineage: error: {tmp_path}: no Spark event logs found")
    assert run.stdout == ""


def test_unrelated_files_beside_logs_are_passed_over_quietly(tmp_path):
    log, entry = real_log("none")
    shutil.copy(log, tmp_path / log.name)
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / f".{log.name}.crc").write_bytes(b"crc")
    run = run_cli("extract", str(tmp_path), "--format", "json")
    assert (run.code, run.stderr) == (0, "")
    assert [a["id"] for a in run.json()["applications"]] == [entry["app_id"]]


def test_one_broken_log_does_not_stop_the_others(tmp_path):
    log, entry = real_log("lz4")
    shutil.copy(log, tmp_path / log.name)
    (tmp_path / "local-1.zstd").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(50))
    run = run_cli("extract", str(tmp_path), "--format", "json")
    assert_clean(run)
    assert run.code == 3
    assert "local-1.zstd" in run.stderr
    assert [a["id"] for a in run.json()["applications"]] == [entry["app_id"]]


def test_a_missing_path_is_a_usage_error(tmp_path):
    run = run_cli("extract", str(tmp_path / "nope"))
    assert (run.code, run.stderr) == (
        2,
        f"sparklineage: error: {tmp_path / 'nope'}: no such file or directory\n",
    )


def test_no_path_at_all_shows_usage():
    run = run_cli("extract")
    assert run.code == 2
    assert "Usage: sparklineage extract" in run.stderr
