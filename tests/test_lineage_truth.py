"""Every query of the lineage fixtures against the hand-written truth
(tests/fixtures/lineage_expected.json): nothing missing, nothing extra, on every version."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.lineage_accuracy import expected_rows, logs, reported_rows, score


@pytest.mark.parametrize(
    ("scenario", "version", "log"), logs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_log_reports_exactly_the_queries_its_statements_make(scenario, version, log):
    found, expected = Counter(reported_rows(log)), Counter(expected_rows(scenario, version))
    assert sorted((found - expected).elements()) == [], "reported, not expected"
    assert sorted((expected - found).elements()) == [], "expected, not reported"


def test_dataset_edges_are_measured_per_version_and_short_only_by_what_no_log_shows():
    scores = score()
    assert [s.label for s in scores] == sorted({f"Spark {v}" for _, v, _ in logs()})
    for s in scores:
        assert (s.precision, s.recall) == (1.0, 1.0), (s.label, s.missing(), s.extra())
        assert s.recall_of_all < 1.0 and s.unlogged > 0  # RDD outputs are in no log
