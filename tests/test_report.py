"""The report is a two-way boundary: what `extract` writes, read back, is what it was.

Every real fixture's report is read back into the same dataclasses (``Application``,
``Query``, ``Dataset`` with its name's parts) and written again byte for byte; a report that
is not what the writer writes is refused in one line naming the file.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from sparklineage.application import read_application
from sparklineage.errors import UsageError
from sparklineage.lineage import naming
from sparklineage.lineage.naming import Dataset, PathName, TableName, parse_id
from sparklineage.logs import discover
from sparklineage.sinks.report import applications_of, load_report, render_json
from tests.conftest import FIXTURES, fixture_index


def _read(entry: dict, *, plans: bool) -> list:
    found = discover([FIXTURES / entry["path"]])
    return [read_application(s, keep_plans=plans) for s in found.sources]


@pytest.mark.parametrize("plans", [False, True])
@pytest.mark.parametrize(
    "entry", fixture_index(), ids=lambda e: f"{e['spark'][:3]}-{e['scenario']}"
)
def test_every_fixture_report_reads_back_into_what_wrote_it(entry, plans):
    applications = _read(entry, plans=plans)
    written = render_json(applications, plans=plans)
    read = applications_of(orjson.loads(written))
    assert render_json(read, plans=plans) == written
    originals = sorted(applications, key=lambda a: (a.id, a.attempt or "", a.source))
    for before, after in zip(originals, read, strict=True):
        assert after.key == before.key
        for old, new in zip(before.queries, after.queries, strict=True):
            assert new.inputs == old.inputs and new.outputs == old.outputs
            assert new.columns == old.columns and new.session == old.session
            assert (new.plan is None) == (not plans or new.execution_id is None)  # RDD: no plan


def test_every_dataset_id_of_the_fixtures_parses_back_into_its_parts():
    datasets = {
        d
        for entry in fixture_index()
        for app in _read(entry, plans=False)
        for q in app.queries
        for d in (*q.inputs, *q.outputs, *([q.target] if q.target else []))
    }
    assert {"table", "path", "view", "database", "jdbc"} <= {d.kind for d in datasets}
    datasets |= {naming.kafka("b1:9092,b2:9092", "events"), naming.relation([7, 3])}
    for dataset in datasets:
        assert parse_id(dataset.id) == dataset.name, dataset.id


def test_a_dataset_keeps_its_structure():
    table = Dataset(parse_id("table:lake.sales.orders"))
    assert isinstance(table.name, TableName)
    assert (table.name.catalog, table.name.database, table.name.name) == ("lake", "sales", "orders")
    path = Dataset(parse_id("path:abfss://raw@acct.dfs.core.windows.net/sales"))
    assert path.name == PathName("abfss", "raw@acct.dfs.core.windows.net", "/sales")


@pytest.mark.parametrize(
    "bad", ["nokind", "path:no-scheme", "jdbc:jdbc:x", "relation:1,x", "blob:x"]
)
def test_what_is_no_id_of_ours_is_refused(bad):
    with pytest.raises(ValueError):
        parse_id(bad)


def test_an_older_report_is_read_without_the_credentials_it_held(tmp_path: Path):
    [entry] = [e for e in fixture_index() if e["scenario"] == "dml" and e["spark"][:3] == "3.5"]
    document = orjson.loads(render_json(_read(entry, plans=False)))
    query = next(q for q in document["applications"][0]["queries"] if q["outputs"])
    secret = "abfss://raw:hunter2@acct.dfs.core.windows.net/x"
    query["outputs"].append({"id": f"path:{secret}", "kind": "path", "location": None,
                             "format": None})  # fmt: skip
    report = tmp_path / "old.json"
    report.write_bytes(orjson.dumps(document))
    [app] = load_report(str(report)) or []
    ids = [d.id for q in app.queries for d in q.outputs]
    assert not any("hunter2" in i for i in ids) and any("acct.dfs.core" in i for i in ids)


def test_a_log_or_another_json_file_is_no_report(tmp_path: Path):
    other = tmp_path / "other.json"
    other.write_bytes(b'{"schema": "someone.else/1"}')
    assert load_report(str(other)) is None
    assert load_report(str(FIXTURES / fixture_index()[0]["path"])) is None


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("queries", 0, "outputs"), "table:default.t"),
        (("queries", 0, "execution_id"), "7"),
        (("queries", 0, "inputs"), [{"id": "nokind"}]),
        (("start",), "yesterday"),
        (("queries",), None),
    ],
)
def test_a_report_not_as_written_is_refused_in_one_line_naming_it(tmp_path: Path, where, value):
    [entry] = [e for e in fixture_index() if e["scenario"] == "dml" and e["spark"][:3] == "3.5"]
    document = orjson.loads(render_json(_read(entry, plans=False)))
    target = document["applications"][0]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    report = tmp_path / "report.json"
    report.write_bytes(orjson.dumps(document))
    with pytest.raises(UsageError) as refused:
        load_report(str(report))
    message = str(refused.value)
    assert message.startswith(str(report)) and "\n" not in message


def test_a_report_maps_to_the_catalog_exactly_as_the_logs_it_came_from(tmp_path: Path):
    """`upload REPORT` and `upload LOGS` must send the same: same entities, in the same order
    (renames and drops are applied in it), plan texts included."""
    from sparklineage.atlas.mapping import MappingOptions, plan_upload
    from tests.conftest import run_cli

    report = tmp_path / "report.json"
    assert (
        run_cli("extract", str(FIXTURES), "--format", "json", "--plans", "-o", str(report)).code
        == 0
    )
    from_logs = run_cli("extract", str(FIXTURES), "--format", "atlas")
    assert from_logs.code == 0, from_logs.stderr
    from_report = plan_upload(load_report(str(report)) or [], MappingOptions()).payloads()
    assert from_report == from_logs.json()
    assert from_report["deletes"] and from_report["moves"]
