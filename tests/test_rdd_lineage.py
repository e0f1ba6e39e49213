"""RDD lineage on the real `rdd` and `multi-query` fixtures, every Spark version generated.

The `rdd` job (tests/fixtures/generate.py, job_rdd) reads /data/lake/input/lines.txt with
textFile and hadoopFile, /data/lake/input/docs with wholeTextFiles, writes with saveAsTextFile,
and turns RDDs into DataFrames that a parquet write and a saveAsTable write.
"""

from __future__ import annotations

import pytest

from sparklineage.application import Application
from sparklineage.check import expected_document
from sparklineage.sinks.text import render_text
from tests.conftest import fixture_application, fixture_index

VERSIONS = sorted({e["spark"][:3] for e in fixture_index() if e["scenario"] == "rdd"})
LINES = "path:file:/data/lake/input/lines.txt"
DOCS = "path:file:/data/lake/input/docs"
LAKE = "path:file:/data/lake/lake"


def application(scenario: str, version: str) -> Application:
    return fixture_application(scenario, version)


def rdd_queries(app: Application) -> list:
    return [q for q in app.queries if q.execution_id is None]


@pytest.mark.parametrize("version", VERSIONS)
def test_an_rdd_turned_into_a_dataframe_reads_the_files_of_the_rdd(version):
    app = application("rdd", version)
    writes = {tuple(d.id for d in q.outputs): q for q in app.queries if q.execution_id is not None}
    assert [d.id for d in writes[(f"{LAKE}/rdd_words",)].inputs] == [LINES]
    assert [d.id for d in writes[("table:default.rdd_docs",)].inputs] == [DOCS]


@pytest.mark.parametrize("version", VERSIONS)
def test_pure_rdd_jobs_are_queries_with_the_paths_they_read_once_each(version):
    app = application("rdd", version)
    queries = rdd_queries(app)
    # textFile→saveAsTextFile, the word count, hadoopFile→saveAsTextFile and parallelize→
    # saveAsTextFile write; wholeTextFiles→count reads only.
    writes = [q for q in queries if q.operation == "rdd_write"]
    assert len(writes) == 4
    assert sorted(tuple(d.id for d in q.inputs) for q in writes) == [
        (),  # parallelize: no file
        (LINES,),
        (LINES,),
        (LINES,),
    ]
    assert all(not q.outputs and any("logs no path" in w for w in q.warnings) for q in writes)
    reads = {d.id for q in queries if q.operation == "rdd_read" for d in q.inputs}
    assert DOCS in reads
    assert all(q.status == "succeeded" and q.job_ids for q in queries)
    assert all(len({d.id for d in q.inputs}) == len(q.inputs) for q in queries)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_job_group_is_one_query_described_as_the_user_described_it(version):
    app = application("rdd", version)
    [count] = [q for q in rdd_queries(app) if q.description == "word count of lines.txt"]
    assert count.operation == "rdd_write" and [d.id for d in count.inputs] == [LINES]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_text_output_tells_a_write_the_log_does_not_name_from_no_write(version):
    text = render_text([application("rdd", version)])
    assert f"rdd_write: {LINES} → (not in the log)" in text
    assert f"rdd_read: {DOCS} → –" in text


@pytest.mark.parametrize("version", VERSIONS)
def test_rdd_queries_have_stable_keys_in_an_expected_file(version):
    document = expected_document([application("rdd", version)])
    keys = list(document["applications"]["rdd"])
    rdd_keys = [k for k in keys if k.startswith("job-")]
    assert rdd_keys and keys[-len(rdd_keys) :] == rdd_keys  # after the SQL queries
    assert all(k.removeprefix("job-").isdigit() for k in rdd_keys)


@pytest.mark.parametrize("version", VERSIONS)
def test_multi_query_rdd_steps_are_reported_too(version):
    app = application("multi-query", version)
    inputs = {d.id for q in rdd_queries(app) for d in q.inputs}
    assert inputs == {"path:file:/data/lake/input/lines.txt"}
    [to_dataframe] = [q for q in app.queries if f"{LAKE}/rdd_df_out" in {d.id for d in q.outputs}]
    assert [d.id for d in to_dataframe.inputs] == [LINES]
