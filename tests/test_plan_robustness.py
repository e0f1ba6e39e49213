"""No plan crashes a run: property tests over the real plans of the fixture logs, mutated.

The plans are the ``physicalPlanDescription`` texts and ``sparkPlanInfo`` trees of every SQL
execution of real Spark 3.5 and 4.0 logs; hypothesis cuts, damages and retypes them (seeded,
bounded), and every parser of plan text and plan trees must return, and the lineage stage
must turn the mutated execution into a query (a warning at worst) while the log's other
queries stay as they were.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparklineage.application import read_application
from sparklineage.lineage.columns import expression_sources
from sparklineage.logs import discover
from sparklineage.plan.text import parse_plan_text, split_arguments
from sparklineage.plan.tree import plan_tree
from tests.conftest import fixture_path, run_cli

SCENARIOS = ("ddl", "dml", "views", "columns", "hive", "jdbc", "dataframe-io")
SETTINGS = settings(
    max_examples=60,
    derandomize=True,  # the same examples on every run: a failure reproduces
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def real_starts() -> tuple[dict[str, Any], ...]:
    """Every SQLExecutionStart event of the plain fixture logs of both Spark versions."""
    events = []
    for scenario in SCENARIOS:
        for version in ("3.5", "4.0"):
            for line in fixture_path(scenario, version).read_bytes().splitlines():
                if b"SparkListenerSQLExecutionStart" in line:
                    events.append(orjson.loads(line))
    return tuple(events)


def _mutated_text(data: st.DataObject, text: str) -> str:
    """A real plan text cut, with lines dropped or repeated, characters changed, or a long
    run of spaces after a line (the shape that made a regex backtrack)."""
    lines = text.splitlines()
    kind = data.draw(st.sampled_from(["cut", "drop", "repeat", "flip", "spaces", "empty"]))
    if kind == "cut":
        return text[: data.draw(st.integers(0, len(text)))]
    if kind == "drop" and lines:
        start = data.draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:start] + lines[start + data.draw(st.integers(1, 20)) :])
    if kind == "repeat" and lines:
        at = data.draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:at] + [lines[at]] * data.draw(st.integers(2, 50)) + lines[at:])
    if kind == "flip" and text:
        at = data.draw(st.integers(0, len(text) - 1))
        char = data.draw(st.sampled_from(list("()[]{},`'\"=:#\n (1) == ")))
        return text[:at] + char + text[at + 1 :]
    if kind == "spaces" and lines:
        at = data.draw(st.integers(0, len(lines) - 1))
        lines[at] += " " * 100_000
        return "\n".join(lines)
    return ""


def _retyped(data: st.DataObject, tree: Any, depth: int = 3000) -> Any:
    """A real plan tree with one value of a wrong type somewhere, or nested very deep (up to
    ``depth`` levels: a log line holds what orjson reads, 1024 levels of JSON, two a node)."""
    junk = st.sampled_from([None, 0, -1, 2**63, "", "x", [], {}, [1, "a"], {"a": 1}, True])
    if data.draw(st.booleans()):
        deep: Any = tree
        for _ in range(data.draw(st.integers(100, depth))):
            deep = {"nodeName": "Project", "simpleString": "Project", "children": [deep]}
        return deep
    nodes = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            nodes.append(node)
            stack.extend(node.get("children") or [])
    if not nodes:
        return data.draw(junk)
    node = data.draw(st.sampled_from(nodes))
    key = data.draw(st.sampled_from(["nodeName", "simpleString", "children", "metadata"]))
    node[key] = data.draw(junk)
    return tree


@SETTINGS
@given(data=st.data())
def test_every_plan_text_parser_returns_on_damaged_real_plans(data):
    start = data.draw(st.sampled_from(real_starts()))
    text = _mutated_text(data, start["physicalPlanDescription"])
    began = time.monotonic()
    parsed = parse_plan_text(text)
    for block in parsed.blocks:
        if block.arguments is not None:
            split_arguments(block.arguments)
        for _, value in block.fields:  # column lineage reads every expression of them
            for item in split_arguments(value):
                assert isinstance(expression_sources(item), set)
    for title, _ in parsed.sections:
        list(parsed.tree_lines(title))
    assert time.monotonic() - began < 5  # linear: a 100 KB line takes milliseconds


@SETTINGS
@given(data=st.data())
def test_plan_trees_of_any_shape_and_depth_build(data):
    start = orjson.loads(orjson.dumps(data.draw(st.sampled_from(real_starts()))))
    tree = plan_tree(_retyped(data, start["sparkPlanInfo"]))
    if tree is not None:
        assert sum(1 for _ in tree.walk()) >= 1


@SETTINGS
@given(data=st.data())
def test_a_damaged_plan_costs_its_query_only(data, tmp_path_factory):
    """One execution of a real log gets a damaged plan (text, tree or both): the log is still
    read, that execution is still a query, and every other query is as before."""
    scenario = data.draw(st.sampled_from(["ddl", "dml", "views"]))
    version = data.draw(st.sampled_from(["3.5", "4.0"]))
    source = fixture_path(scenario, version)
    lines = source.read_bytes().splitlines()
    starts = [i for i, line in enumerate(lines) if b"SparkListenerSQLExecutionStart" in line]
    victim = data.draw(st.sampled_from(starts))
    event = orjson.loads(lines[victim])
    if data.draw(st.booleans()):
        event["physicalPlanDescription"] = _mutated_text(data, event["physicalPlanDescription"])
    if data.draw(st.booleans()):
        event["sparkPlanInfo"] = _retyped(data, event["sparkPlanInfo"], depth=450)
    damaged = tmp_path_factory.mktemp("damaged") / source.name
    line = json.dumps(event).encode()  # orjson writes 255 levels at most; Spark writes any
    damaged.write_bytes(b"\n".join([*lines[:victim], line, *lines[victim + 1 :]]))
    before = _queries(source)
    after = _queries(damaged)
    victim_id = event["executionId"]
    assert {k for k in after if victim_id not in k[0]} == {
        k for k in before if victim_id not in k[0]
    }
    assert any(victim_id in k[0] for k in after)


def _queries(path: Path) -> set[tuple[tuple[int, ...], str, tuple[str, ...]]]:
    [log] = discover([path]).sources
    app = read_application(log)
    assert app.read_error is None
    return {
        (
            (q.execution_id, *q.child_execution_ids),
            q.operation,
            tuple(d.id for d in (*q.inputs, *q.outputs)),
        )
        for q in app.queries
    }


def test_an_unforeseen_failure_in_a_rule_is_a_warning_on_its_query(monkeypatch):
    """A bug of ours on a plan nobody foresaw: the execution's query says so, the others
    are whole."""
    import sparklineage.lineage.queries as queries

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("no such field")

    real = queries.execution_columns
    calls = {"n": 0}

    def sometimes_broken(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return broken() if calls["n"] == 1 else real(*args, **kwargs)

    monkeypatch.setattr(queries, "execution_columns", sometimes_broken)
    [log] = discover([fixture_path("dml", "3.5")]).sources
    app = read_application(log)
    warned = [q for q in app.queries if any("could not be fully derived" in w for w in q.warnings)]
    assert len(warned) == 1 and "KeyError" in warned[0].warnings[-1]
    assert len([q for q in app.queries if q.outputs]) > 5


@pytest.mark.parametrize("text", ["", "no sections at all", "== Physical Plan ==", "(1)"])
def test_plans_without_sections_or_blocks_parse_empty(text):
    parsed = parse_plan_text(text)
    assert parsed.text == text and isinstance(parsed.blocks, tuple)


def test_a_log_with_an_empty_plan_is_extracted_without_a_traceback(tmp_path):
    """What Spark 4 logs for a statement that failed analysis: an empty plan text. Planted
    into a real 4.0 log beside an untouched one; both are reported, exit 0."""
    source = fixture_path("dml", "4.0")
    lines = source.read_bytes().splitlines()
    at = next(i for i, line in enumerate(lines) if b"SparkListenerSQLExecutionStart" in line)
    event = orjson.loads(lines[at])
    event["physicalPlanDescription"] = ""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / source.name).write_bytes(
        b"\n".join([*lines[:at], orjson.dumps(event), *lines[at + 1 :]])
    )
    (logs / "other").write_bytes(fixture_path("ddl", "4.0").read_bytes())
    done = run_cli("extract", str(logs), "--format", "json")
    assert done.code == 0 and "Traceback" not in done.stderr
    apps = done.json()["applications"]
    assert len(apps) == 2 and all(a["queries"] for a in apps)
    [damaged] = [a for a in apps if a["source"].endswith(source.name)]
    first = next(q for q in damaged["queries"] if q["execution_id"] == event["executionId"])
    assert any("no plan text" in w for w in first["warnings"])


def test_an_unforeseen_failure_on_one_query_costs_that_query_only(monkeypatch):
    """A bug of ours while a query is put together: it stays in the report, with a warning
    and no lineage, and the application's other queries are whole."""
    import sparklineage.lineage.queries as queries

    real = queries.LineageCollector._query
    calls = {"n": 0}

    def sometimes_broken(self: Any, key: Any, members: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise IndexError("list index out of range")
        return real(self, key, members)

    monkeypatch.setattr(queries.LineageCollector, "_query", sometimes_broken)
    [log] = discover([fixture_path("dml", "3.5")]).sources
    app = read_application(log)
    [broken] = [q for q in app.queries if any("could not be derived" in w for w in q.warnings)]
    assert broken.operation == "unknown" and "IndexError" in broken.warnings[0]
    assert len([q for q in app.queries if q.outputs]) > 5 and app.read_error is None


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 5000 + "amount#49" + ")" * 5000,  # deeper than any recursion limit
        "coalesce(" * 3000 + "amount#49" + ")" * 3000,
        "CASE WHEN " * 2000 + "x#1",  # never closed
    ],
)
def test_an_expression_nested_past_any_plan_is_read_flat_not_lost(expression):
    ids = {int(i) for i in re.findall(r"#(\d+)", expression)}
    assert {i for i, _ in expression_sources(expression)} == ids
