"""Golden lineage of every lineage fixture: the whole expected file, reviewed by hand.

The golden files are the `sparklineage check` expected files of the fixtures (operation,
status, inputs and outputs of every query). Regenerate with `pytest --update-golden` and read
the diff line by line before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sparklineage.application import read_application
from sparklineage.check import differences, load_expected, render_expected
from sparklineage.logs import discover
from tests.conftest import FIXTURES, ROOT, fixture_index

GOLDEN = ROOT / "tests" / "golden"
LINEAGE_SCENARIOS = (
    "ddl",
    "dml",
    "views",
    "dataframe-io",
    "hive",
    "jdbc",
    "iceberg",
    "streaming",
    "multi-query",
    "rdd",
    "failed-query",
    "columns",
    "columns-sqltext",
    "columns-wide-insert",
    "thrift-server",
    "connect-server",
)


def golden_entries() -> list[dict]:
    return [e for e in fixture_index() if e["scenario"] in LINEAGE_SCENARIOS]


@pytest.mark.parametrize(
    "entry", golden_entries(), ids=lambda e: f"{e['spark'][:3]}-{e['scenario']}"
)
def test_lineage_matches_its_golden_file(entry, update_golden):
    [source] = discover([FIXTURES / entry["path"]]).sources
    app = read_application(source)
    golden = GOLDEN / f"spark-{entry['spark'][:3]}" / f"{entry['scenario']}.json"
    rendered = render_expected([app])
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered)
    wanted = load_expected(Path(golden).read_bytes(), str(golden))
    actual = load_expected(rendered, "actual")
    assert differences(wanted, actual) == []
