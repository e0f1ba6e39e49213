"""Every real public log (../shared/corpus/public) is read, with the facts its MANIFEST gives."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from sparklineage.application import read_application
from sparklineage.logs import discover
from tests.conftest import CORPUS, run_cli

_ROW = re.compile(r"^\| `(?P<path>[^`]+)` \|(?P<cells>.*)\|\s*$")


def manifest_rows() -> dict[str, dict[str, str]]:
    """MANIFEST.md's file table: path -> {version, sql, notes}."""
    rows = {}
    for line in (CORPUS / "MANIFEST.md").read_text().splitlines():
        match = _ROW.match(line)
        if match:
            cells = [c.strip() for c in match.group("cells").split("|")]
            if len(cells) < 10:
                continue  # the table of sources, not of files
            # repo | path in repo | commit | version | codec/layout | bytes | lines | SQL | ...
            rows[match.group("path")] = {"version": cells[3], "sql": cells[7], "notes": cells[-1]}
    return rows


def manifest_version(cell: str) -> str | None:
    first = cell.split()[0]
    return None if first in ("unknown", "None") else first


STREAMING_QUERY_FILE = "structured-streaming/query-event-logs"


def expected_by_source() -> dict[str, dict]:
    """MANIFEST rows grouped by the application they belong to (rolling / Databricks dirs)."""
    grouped: dict[str, dict] = defaultdict(lambda: {"sql": 0, "versions": []})
    for path, row in manifest_rows().items():
        if STREAMING_QUERY_FILE in path:  # StreamingQueryListener events only: no application
            continue
        parent = Path(path).parent
        directory_layout = parent.name.startswith("eventlog_v2_") or parent.name in (
            "db_sim_eventlog",  # Databricks log delivery
            "local-1426533911241",  # Spark 1.2 log directory
        )
        unit = parent if directory_layout else Path(path)
        entry = grouped[str(unit)]
        entry["sql"] += int(row["sql"])
        entry["versions"].append(manifest_version(row["version"]))
    return grouped


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_every_manifest_log_is_found_and_read_with_its_version_and_sql_count(corpus):
    found = discover([corpus])
    assert found.problems == ()
    by_source = {str(Path(s.path).relative_to(corpus)): s for s in found.sources}
    expected = expected_by_source()
    assert set(by_source) == set(expected)
    for rel, source in by_source.items():
        app = read_application(source)
        want = expected[rel]
        versions = [v for v in want["versions"] if v]
        assert app.spark_version == (versions[0] if versions else None), rel
        assert app.sql_executions == want["sql"], rel
        assert app.read_error is None, rel


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
@pytest.mark.parametrize(
    ("rel", "app_id", "attempt", "layout", "codec", "complete"),
    [
        (
            "kubeflow-mcp-shs/application_1713000000000_0001_2.zstd",
            "application_1713000000000_0001",
            "2",
            "single",
            "zstd",
            True,
        ),
        (
            "kubeflow-mcp-shs/eventlog_v2_spark-cc4d115f011443d787f03a71a476a745",
            "spark-cc4d115f011443d787f03a71a476a745",
            None,
            "rolling",
            "none",
            True,
        ),
        (
            "spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964",
            "local-1623876083964",
            None,
            "rolling",
            "zstd",
            True,
        ),
        (
            "spark-rapids-tools/spark-events-qualification/db_sim_eventlog",
            "local-1623876083964",
            None,
            "databricks",
            "none",
            True,
        ),
        (
            "apache-spark/legacy-1.2-dir/local-1426533911241",
            "local-1426533911241",
            "1",
            "legacy",
            "none",
            True,
        ),
        (
            "dsg-sparkevents/app-20150428065755-0000.inprogress",
            "app-20150428065755-0000",
            None,
            "single",
            "none",
            False,
        ),
        (
            "spark-rapids-tools/spark-events-qualification/truncated_eventlog",
            "local-1622043423018",
            None,
            "single",
            "none",
            False,
        ),
    ],
)
def test_layouts_of_real_logs(corpus, rel, app_id, attempt, layout, codec, complete):
    run = run_cli("extract", str(corpus / rel), "--format", "json")
    assert run.code == 0, run.stderr
    [app] = run.json()["applications"]
    assert (app["id"], app["attempt"], app["layout"], app["codec"], app["complete"]) == (
        app_id,
        attempt,
        layout,
        codec,
        complete,
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_the_malformed_line_is_counted_with_its_file_and_line(corpus):
    log = corpus / "spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd"
    run = run_cli("extract", str(log), "--format", "json")
    assert run.code == 0
    [app] = run.json()["applications"]
    assert app["malformed_lines"] == 1
    assert any(f"{log}:4: not JSON" in w for w in app["warnings"])
    strict = run_cli("extract", str(log), "--strict", "--format", "json")
    assert strict.code == 3
    assert f"{log}:4: malformed event line" in strict.stderr
    assert "Traceback" not in strict.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason="public corpus not present")
def test_the_whole_corpus_extracts_with_no_error(corpus):
    run = run_cli("extract", str(corpus), "--format", "json")
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    apps = run.json()["applications"]
    # The corpus holds some applications twice (one log in several codecs): reported once,
    # each with a note naming its other copies.
    notes = [w for a in apps for w in a["warnings"] if "the same application was also found" in w]
    copies = sum(note.count(", ") + 1 for note in notes)
    assert notes and len(apps) + copies == len(expected_by_source())
    assert len({(a["id"], a["attempt"]) for a in apps}) == len(apps)
