"""Precision and recall of dataset lineage against hand-written ground truth.

tests/fixtures/lineage_expected.json lists, for every query of the lineage fixtures (one log
per scenario and Spark version), what it read and wrote, written from the statements the
generator runs. This script reads the logs and compares dataset edges: each query's
(operation, read, written) pairs, with a query that reads nothing or writes nothing giving
one edge with an empty side, and a query acting on a database or a table without moving data
(DDL, REFRESH) one edge to its target. Edges are counted as often as they occur (two queries
writing the same table are two edges). One row per Spark version, every scenario summed;
"recall" is over the edges the log can show, "of all" also counts as missed the edges the
statements make that a log of that version does not show (the truth's ``unlogged``).

    python benchmarks/lineage_accuracy.py [--markdown]
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sparklineage.application import read_application
from sparklineage.lineage.model import Query
from sparklineage.logs import discover

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TRUTH = FIXTURES / "lineage_expected.json"
ABBREVIATIONS = {"~": "path:file:/data/lake", "SHOP": "jdbc:sqlite:/data/lake/lake/shop.db"}
Edge = tuple[str, str, str]  # (operation, read or "", written or target or "")
Row = tuple[str, tuple[str, ...], tuple[str, ...], str | None]  # one query: op, reads, writes


@dataclass(frozen=True)
class Score:
    """Edges found against edges expected, for one Spark version (or one log)."""

    label: str
    expected: Counter[Edge]
    found: Counter[Edge]
    unlogged: int = 0  # edges the statements make that the log cannot show

    @property
    def correct(self) -> int:
        return sum((self.found & self.expected).values())

    @property
    def precision(self) -> float:
        total = sum(self.found.values())
        return self.correct / total if total else 0.0

    @property
    def recall(self) -> float:
        total = sum(self.expected.values())
        return self.correct / total if total else 0.0

    @property
    def recall_of_all(self) -> float:
        total = sum(self.expected.values()) + self.unlogged
        return self.correct / total if total else 0.0

    def missing(self) -> list[Edge]:
        return sorted((self.expected - self.found).elements())

    def extra(self) -> list[Edge]:
        return sorted((self.found - self.expected).elements())


@functools.cache
def _truth() -> dict[str, Any]:
    truth: dict[str, Any] = orjson.loads(TRUTH.read_bytes())
    return truth


def _expand(text: str) -> str:
    for short, long in ABBREVIATIONS.items():
        if text.startswith(short):
            return long + text.removeprefix(short)
    return text


def expected_rows(scenario: str, version: str) -> list[Row]:
    """The truth's queries of one scenario on one Spark version ("3.5")."""
    rows = _truth()["scenarios"][scenario]
    return [
        (
            op,
            tuple(sorted(map(_expand, reads))),
            tuple(sorted(map(_expand, writes))),
            _expand(rest[0]) if rest and rest[0] else None,
        )
        for op, reads, writes, *rest in rows
        if len(rest) < 2 or version in rest[1]
    ]


def unlogged(scenario: str, version: str) -> int:
    """How many edges of a scenario's statements its log of ``version`` cannot show."""
    entries = _truth()["unlogged"]
    return sum(
        1 for e in entries if e["scenario"] == scenario and version in e.get("versions", [version])
    )


def reported_row(query: Query) -> Row:
    return (
        query.operation,
        tuple(sorted(d.id for d in query.inputs)),
        tuple(sorted(d.id for d in query.outputs)),
        query.target.id if query.target and not query.outputs else None,
    )


def edges(rows: list[Row]) -> Counter[Edge]:
    found: Counter[Edge] = Counter()
    for op, reads, writes, target in rows:
        ends = writes or ((target,) if target else ("",))
        found.update((op, read, end) for read in reads or ("",) for end in ends)
    return found


def scenarios() -> list[str]:
    return list(_truth()["scenarios"])


def logs(version: str | None = None) -> list[tuple[str, str, Path]]:
    """(scenario, "major.minor", log) of every fixture log the truth covers."""
    index = orjson.loads((FIXTURES / "eventlogs" / "index.json").read_bytes())
    covered = set(scenarios())
    return sorted(
        (e["scenario"], e["spark"][:3], FIXTURES / "eventlogs" / e["path"])
        for e in index
        if e["scenario"] in covered and (version is None or e["spark"].startswith(version))
    )


def reported_rows(log: Path) -> list[Row]:
    [source] = discover([log]).sources
    return [reported_row(q) for q in read_application(source).queries]


def score() -> list[Score]:
    """One score per Spark version, oldest first, over every scenario of the truth."""
    per_version: dict[str, tuple[Counter[Edge], Counter[Edge]]] = {}
    missed: Counter[str] = Counter()
    for scenario, version, log in logs():
        expected, found = per_version.setdefault(version, (Counter(), Counter()))
        expected.update(edges(expected_rows(scenario, version)))
        found.update(edges(reported_rows(log)))
        missed[version] += unlogged(scenario, version)
    order = sorted(per_version, key=lambda v: tuple(int(p) for p in v.split(".")))
    return [Score(f"Spark {v}", *per_version[v], unlogged=missed[v]) for v in order]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    header = ("version", "expected", "not in the log", "found", "correct", "precision", "recall")
    results = score()
    if args.markdown:
        print("| " + " | ".join((*header, "recall of all")) + " |")
        print("|" + "---|" * (len(header) + 1))
    for s in results:
        counts = (sum(s.expected.values()), s.unlogged, sum(s.found.values()), s.correct)
        rates = (s.precision, s.recall, s.recall_of_all)
        if args.markdown:
            cells = (s.label, *map(str, counts), *(f"{r:.3f}" for r in rates))
            print("| " + " | ".join(cells) + " |")
        else:
            print(
                f"{s.label:<12} expected {counts[0]:4} (+{counts[1]} not in the log)  "
                f"found {counts[2]:4}  correct {counts[3]:4}  "
                f"P {rates[0]:.3f}  R {rates[1]:.3f}  R of all {rates[2]:.3f}"
            )
    for result in results:
        for edge in result.missing():
            print(f"{result.label}: missing {edge}", file=sys.stderr)
        for edge in result.extra():
            print(f"{result.label}: not expected {edge}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
