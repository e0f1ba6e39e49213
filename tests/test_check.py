"""`sparklineage check` for CI: equal lineage passes, a change fails with a readable diff."""

from __future__ import annotations

import orjson

from tests.conftest import FIXTURES, run_cli

LOGS = str(FIXTURES / "spark-3.5")


def test_update_then_check_passes_and_the_file_is_stable(tmp_path):
    expected = tmp_path / "lineage.json"
    first = run_cli("check", LOGS, "--expected", str(expected), "--update")
    assert first.code == 0, first.stderr
    written = expected.read_bytes()
    assert b"/data/lake" in written and b"source" not in written and b"T0" not in written
    again = run_cli("check", LOGS, "--expected", str(expected), "--update")
    assert again.code == 0 and expected.read_bytes() == written  # deterministic
    ok = run_cli("check", LOGS, "--expected", str(expected))
    assert ok.code == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"lineage matches {expected}")


def test_a_changed_lineage_fails_with_edges_and_operations(tmp_path):
    expected = tmp_path / "lineage.json"
    run_cli("check", LOGS, "--expected", str(expected), "--update")
    document = orjson.loads(expected.read_bytes())
    ctas = document["applications"]["basic-none"]["2"]
    assert ctas["operation"] == "ctas"
    ctas["operation"] = "insert"
    ctas["inputs"] = ["table:default.something_else"]
    del document["applications"]["basic-none"]["4"]
    expected.write_bytes(orjson.dumps(document))
    run = run_cli("check", LOGS, "--expected", str(expected))
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == f"lineage differs from {expected}:"
    assert "  application 'basic-none': query #2: operation insert → ctas" in lines
    assert "  application 'basic-none': query #2: - reads table:default.something_else" in lines
    assert "  application 'basic-none': query #2: + reads path:file:/data/lake/lake/orders" in lines
    assert any(
        line.startswith("  application 'basic-none': + query #4 read_only") for line in lines
    )


def test_a_missing_or_foreign_expected_file_is_a_usage_error(tmp_path):
    missing = run_cli("check", LOGS, "--expected", str(tmp_path / "none.json"))
    assert missing.code == 2 and "write it with --update" in missing.stderr
    foreign = tmp_path / "other.json"
    foreign.write_text('{"hello": 1}')
    run = run_cli("check", LOGS, "--expected", str(foreign))
    assert run.code == 2 and "not a sparklineage expected file" in run.stderr


def test_text_output_lists_column_sources_on_request():
    run = run_cli("extract", str(FIXTURES / "spark-3.5"), "--format", "text", "--columns")
    assert run.code == 0, run.stderr
    assert "      total ← table:default.orders.amount (aggregation)" in run.stdout
    plain = run_cli("extract", str(FIXTURES / "spark-3.5"), "--format", "text")
    assert "←" not in plain.stdout and "#2 ctas: table:default.orders →" in plain.stdout


def test_output_file_is_written_whole_with_ordinary_permissions(tmp_path):
    report = tmp_path / "report.json"
    run = run_cli("extract", str(FIXTURES / "spark-4.0"), "-o", str(report))
    assert (run.code, run.stdout) == (0, "")
    assert orjson.loads(report.read_bytes())["schema"] == "sparklineage.report/1"
    assert report.stat().st_mode & 0o044  # readable by others, as umask allows
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_plan_text_reaches_the_report_only_when_asked():
    log = str(FIXTURES / "spark-3.5")
    lean = run_cli("extract", log, "--format", "json").json()
    full = run_cli("extract", log, "--format", "json", "--plans").json()
    assert not any("plan" in q for a in lean["applications"] for q in a["queries"])
    plans = [  # every SQL query's (an RDD query has no plan)
        q["plan"]
        for a in full["applications"]
        for q in a["queries"]
        if q["execution_id"] is not None
    ]
    assert plans and all(p.startswith("== ") for p in plans if p)  # formatted or extended


def test_an_expected_file_of_the_wrong_shape_is_one_line_and_exit_2(tmp_path):
    expected = tmp_path / "lineage.json"
    run_cli("check", LOGS, "--expected", str(expected), "--update")
    good = orjson.loads(expected.read_bytes())
    edits = {
        "applications is a list": lambda d: d.update(applications=[]),
        "queries is a list": lambda d: d["applications"].update({"basic-none": [1]}),
        "a key that is no id": lambda d: d["applications"]["basic-none"].update(x={}),
        "inputs is a string": lambda d: d["applications"]["basic-none"]["2"].update(inputs="t"),
        "no operation": lambda d: d["applications"]["basic-none"]["2"].pop("operation"),
        "status is a number": lambda d: d["applications"]["basic-none"]["2"].update(status=1),
    }
    for what, edit in edits.items():
        document = orjson.loads(orjson.dumps(good))
        edit(document)
        expected.write_bytes(orjson.dumps(document))
        run = run_cli("check", LOGS, "--expected", str(expected))
        assert run.code == 2, (what, run.stderr)
        assert "not a valid expected file" in run.stderr and "--update" in run.stderr, what
        assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, what
    run = run_cli("check", LOGS, "--expected", str(tmp_path))
    assert run.code == 2 and "is a directory" in run.stderr, "a directory given as the file"


def test_a_report_is_checked_and_is_expected_like_the_logs_it_came_from(tmp_path):
    """A JSON report stands for its logs on either side: the lineage of an earlier run, kept
    as its report, is what a later run is compared with."""
    report = tmp_path / "report.json"
    assert run_cli("extract", LOGS, "--format", "json", "-o", str(report)).code == 0
    expected = tmp_path / "lineage.json"
    assert run_cli("check", LOGS, "--expected", str(expected), "--update").code == 0
    from_report = run_cli("check", str(report), "--expected", str(expected))
    assert from_report.code == 0, from_report.stdout + from_report.stderr
    against_report = run_cli("check", LOGS, "--expected", str(report))
    assert against_report.code == 0, against_report.stdout + against_report.stderr

    document = orjson.loads(report.read_bytes())
    app = next(a for a in document["applications"] if a["name"] == "basic-none")
    app["queries"] = [q for q in app["queries"] if q["execution_id"] != 2]
    report.write_bytes(orjson.dumps(document))
    changed = run_cli("check", LOGS, "--expected", str(report))
    assert changed.code == 1
    assert any(
        line.startswith("  application 'basic-none': + query #2 ctas")
        for line in changed.stdout.splitlines()
    )
