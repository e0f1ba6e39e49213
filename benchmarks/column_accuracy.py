"""Precision and recall of column lineage against hand-written ground truth.

The `columns` fixtures (tests/fixtures/generate.py, job_columns) were written by real Spark,
one log per version the fixtures have (3.3, 3.5, 4.0, 4.3…); tests/fixtures/columns_expected.json
says, construct by construct, which column edges a careful reader derives from their SQL. This
script extracts the logs and compares edge by edge (output dataset, column, source
dataset.column, transform), over the outputs each log writes. `columns` is answered from the
plans; `columns-sqltext` (the same statements, logged with extended plans and the SQL text as
description) from the SQL text. Every version present, both scenarios, unless one is named.

    python benchmarks/column_accuracy.py [--scenario columns-sqltext] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson

from sparklineage.application import read_application
from sparklineage.logs import discover

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
Edge = tuple[str, str, str, str]  # (output dataset, column, source "dataset.column", transform)


@dataclass(frozen=True)
class Score:
    """Edges found against edges expected, for one log."""

    label: str
    expected: frozenset[Edge]
    found: frozenset[Edge]

    @property
    def precision(self) -> float:
        return len(self.found & self.expected) / len(self.found) if self.found else 0.0

    @property
    def recall(self) -> float:
        return len(self.found & self.expected) / len(self.expected) if self.expected else 0.0

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0


def expected_edges(truth_file: Path = FIXTURES / "columns_expected.json") -> frozenset[Edge]:
    truth = orjson.loads(truth_file.read_bytes())
    truth.pop("_doc", None)
    return frozenset(
        (dataset, e["column"], e["source"], e["transform"])
        for dataset, edges in truth.items()
        for e in edges
    )


def scored(log: Path, expected: frozenset[Edge], label: str) -> Score:
    """The log's column edges against the truth for the outputs the log writes."""
    [source] = discover([log]).sources
    queries = read_application(source).queries
    written = {d.id for q in queries for d in q.outputs}
    truth = frozenset(e for e in expected if e[0] in written)
    outputs = {e[0] for e in truth}
    found = frozenset(
        (c.dataset, c.column, f"{dataset}.{column}", c.transform)
        for query in queries
        for c in query.columns
        if c.dataset in outputs
        for dataset, column in c.sources
    )
    return Score(label, truth, found)


SCENARIOS = {"columns": "plan", "columns-sqltext": "SQL text"}


def score(scenario: str = "columns") -> list[Score]:
    """One score per Spark version that has the scenario's log, oldest version first."""
    expected = expected_edges()
    index = orjson.loads((FIXTURES / "eventlogs" / "index.json").read_bytes())
    entries = sorted(
        (e for e in index if e["scenario"] == scenario), key=lambda e: _version(e["spark"])
    )
    return [
        scored(FIXTURES / "eventlogs" / e["path"], expected, f"Spark {e['spark']}") for e in entries
    ]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help="one scenario only")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    header = ("log", "from", "expected edges", "found", "correct", "precision", "recall", "F1")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---|" + "---:|" * (len(header) - 2))
    else:
        print("  ".join(header))
    for scenario in [args.scenario] if args.scenario else list(SCENARIOS):
        for s in score(scenario):
            row = (
                s.label,
                SCENARIOS[scenario],
                len(s.expected),
                len(s.found),
                len(s.found & s.expected),
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
            )
            cells = tuple(map(str, row))
            print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))
            for edge in sorted(s.expected - s.found):
                print(f"  missing ({s.label}, {scenario}): {edge}", file=sys.stderr)
            for edge in sorted(s.found - s.expected):
                print(f"  extra   ({s.label}, {scenario}): {edge}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
