"""Reading stays bounded and loses nothing decoded, whatever the bytes.

Each case starts from a real fixture log and changes one thing: a line of a quarter of a
gigabyte (made on the fly, compressed, never held in this process either), a codec header
that claims more than the codec can hold, a file cut inside a compressed block. Peak memory
is measured on the CLI's own process (a small parent that runs it and reads its rusage).
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import zstandard

from tests.conftest import fixture_path

MIB = 1 << 20
RSS_LIMIT_MIB = 100

_MEASURED = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "sparklineage", *sys.argv[1:]], capture_output=True)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
sys.stderr.write(f"\\npeak-rss-mib={peak}\\n")
sys.exit(done.returncode)
"""


def measured(*args: str) -> tuple[int, bytes, str, int]:
    """(exit code, stdout, stderr, peak RSS in MiB) of one CLI run."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args], capture_output=True, timeout=300
    )
    stderr, _, peak = done.stderr.decode().rpartition("peak-rss-mib=")
    return done.returncode, done.stdout, stderr, int(peak)


def test_a_quarter_gigabyte_line_is_skipped_as_malformed_in_bounded_memory(tmp_path):
    source = fixture_path("dml", "3.5")
    lines = source.read_bytes().splitlines(keepends=True)
    log = tmp_path / (source.name + ".zstd")
    with log.open("wb") as out, zstandard.ZstdCompressor(level=1).stream_writer(out) as z:
        z.write(b"".join(lines[:3]))
        z.write(b'{"Event":"SparkListenerSQLExecutionStart","description":"')
        for _ in range(256):
            z.write(b"a" * MIB)
        z.write(b'"}\n')
        z.write(b"".join(lines[3:]))
    assert log.stat().st_size < MIB  # 8 KB of zstd, 256 MiB decoded
    code, out, err, peak = measured("extract", str(log), "--format", "json")
    assert code == 0 and "Traceback" not in err, err
    [app] = orjson.loads(out)["applications"]
    assert app["malformed_lines"] == 1 and len(app["queries"]) >= 9
    assert peak < RSS_LIMIT_MIB, f"peak RSS {peak} MiB"


def test_the_line_cap_is_the_users_to_set(tmp_path):
    source = fixture_path("dml", "3.5")
    lines = source.read_bytes().splitlines(keepends=True)
    event = b"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"
    long_line = b'{"Event":"' + event + b'","description":"' + b"a" * (3 * MIB)
    log = tmp_path / source.name
    log.write_bytes(b"".join(lines[:3]) + long_line + b'"}\n' + b"".join(lines[3:]))
    skipped = orjson.loads(
        subprocess.check_output(
            [sys.executable, "-m", "sparklineage", "extract", str(log), "--max-line-mib", "2"]
        )
    )
    kept = orjson.loads(
        subprocess.check_output(
            [sys.executable, "-m", "sparklineage", "extract", str(log), "--format", "json"]
        )
    )
    assert skipped["applications"][0]["malformed_lines"] == 1
    assert "over the line cap" in " ".join(skipped["applications"][0]["warnings"])
    kept_warnings = " ".join(kept["applications"][0]["warnings"])
    assert "executionId is NoneType" in kept_warnings, "under the cap, it was parsed"
    assert "line cap" not in kept_warnings
    wrong = subprocess.run(
        [sys.executable, "-m", "sparklineage", "extract", str(log), "--max-line-mib", "0"],
        capture_output=True,
    )
    assert wrong.returncode == 2 and b"--max-line-mib" in wrong.stderr


def test_an_lz4_header_claiming_more_than_lz4_java_writes_is_damage(tmp_path):
    """157 bytes whose block header claims 256 MiB: refused, not allocated."""
    header = struct.pack("<8sBiii", b"LZ4Block", 0x20 | 0x0F, 136, 256 * MIB, 0)
    log = tmp_path / "app.lz4"
    log.write_bytes(header + b"\x00" * 136)
    code, _, err, peak = measured("extract", str(log), "--format", "json")
    assert code == 3 and "claiming 268435456 bytes" in err and "Traceback" not in err
    assert peak < RSS_LIMIT_MIB


def test_a_snappy_chunk_claiming_a_gigabyte_is_damage(tmp_path):
    varint = bytes([0x80, 0x80, 0x80, 0x80, 0x04])  # 1 GiB, as a raw Snappy block starts
    chunk = varint + b"\x00" * 11
    log = tmp_path / "app.snappy"
    log.write_bytes(b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1) + struct.pack(">i", 16) + chunk)
    code, _, err, peak = measured("extract", str(log), "--format", "json")
    assert code == 3 and "64 MiB" in err and peak < RSS_LIMIT_MIB


@pytest.mark.parametrize("codec", ["zstd", "lz4", "snappy", "lzf"])
def test_a_cut_compressed_log_keeps_every_query_decoded_before_the_cut(tmp_path, codec):
    whole = fixture_path(f"basic-{codec}", "3.5")
    cut = tmp_path / whole.name
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.8)])
    full = _report(whole)
    code, out, err, _ = measured("extract", str(cut), "--format", "json")
    assert code == 3 and ("truncated" in err or "damaged" in err), err
    [app] = orjson.loads(out)["applications"]
    assert app["read_error"] and app["name"] == full["name"]
    assert app["spark_version"] == full["spark_version"]
    kept = app["queries"]
    assert kept and kept[:-1] == full["queries"][: len(kept) - 1]
    # the last one may have lost its end to the cut: then it is still running
    assert kept[-1]["execution_id"] == full["queries"][len(kept) - 1]["execution_id"]


def test_a_running_applications_zstd_log_gives_its_queries_and_exit_0(tmp_path):
    """An ``.inprogress`` zstd log ends inside a frame while Spark writes it: not an error."""
    whole = fixture_path("basic-zstd", "3.5")
    running = tmp_path / f"{whole.name}.inprogress"
    running.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.8)])
    code, out, err, _ = measured("extract", str(running), "--format", "json")
    assert code == 0, err
    [app] = orjson.loads(out)["applications"]
    assert app["queries"] and not app["complete"] and app["read_error"] is None


def _report(log: Path) -> dict:
    code, out, err, _ = measured("extract", str(log), "--format", "json")
    assert code == 0, err
    [app] = orjson.loads(out)["applications"]
    return app
