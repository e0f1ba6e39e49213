"""Lineage page benchmark: how big the page is, and how fast it opens and answers, at size.

Run by hand, not by pytest (needs Chromium and Playwright, as the page's tests do)::

    python benchmarks/lineage_page.py [--queries 2000] [--markdown]

Pages: the fixture logs; the public corpus (``../shared/corpus/public``, when it is there);
and a report of at least ``--queries`` queries, from copies of real fixture logs (as
``benchmarks/sync.py`` makes them). For each: the file's size and its size per query, the
time from navigation to the first view drawn (the page marks it), and the time a search and
a click on its first dataset take to draw that dataset's lineage. The JSON report's size is
the baseline of the file size; the time to open an empty page (the fixture of one log) the
baseline of the times, measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sync import build  # noqa: E402 (the repository root, just added)

FIXTURES = ROOT / "tests" / "fixtures" / "eventlogs"
CORPUS = ROOT.parent / "shared" / "corpus" / "public"
ONE = FIXTURES / "spark-3.5" / "local-1795493875760"  # views: the baseline page


def extract(paths: list[Path], out: Path, fmt: str) -> None:
    command = [sys.executable, "-m", "sparklineage", "extract", *map(str, paths)]
    subprocess.run([*command, "--format", fmt, "-o", str(out)], capture_output=True, check=False)


def timings(browser: object, page_file: Path) -> tuple[float, float, str]:
    """(ms to the first view, ms for a search and a click to draw a lineage, the view)."""
    page = browser.new_page(viewport={"width": 1400, "height": 850})  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.goto(page_file.as_uri())
    page.wait_for_selector("body[data-ready]")
    opened = (time.perf_counter() - started) * 1000
    view = page.get_attribute("#graph", "data-view")
    started = time.perf_counter()
    page.fill("#search", "table:")
    page.keyboard.press("Enter")
    page.wait_for_selector("#graph[data-view^='chain:']")
    answered = (time.perf_counter() - started) * 1000
    page.close()
    return opened, answered, view or "?"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="sparklineage-html-") as scratch:
        work = Path(scratch)
        (work / "many").mkdir()
        build(work / "many", max(1, args.queries // 4))  # the seeds hold 4 to 10 queries each
        sets = {"one log (baseline)": [ONE], "fixtures": [FIXTURES], "copies": [work / "many"]}
        if CORPUS.is_dir():
            sets["public corpus"] = [CORPUS]
        rows = []
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for name, paths in sets.items():
                page, json_report = work / f"{len(rows)}.html", work / f"{len(rows)}.json"
                extract(paths, page, "html")
                extract(paths, json_report, "json")
                queries = page.read_text().count('"ex":')
                opened, answered, view = timings(browser, page)
                sizes = (page.stat().st_size, json_report.stat().st_size)
                rows.append((name, queries, *sizes, opened, answered, view))
            browser.close()
    report(rows, args.markdown)


def report(rows: list[tuple], markdown: bool) -> None:
    base_open, base_answer = rows[0][4], rows[0][5]
    head = (
        "page",
        "queries",
        "KB",
        "vs JSON report",
        "open ms",
        "×",
        "search+click ms",
        "×",
        "first view",
    )
    if markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for name, queries, size, json_size, opened, answered, view in rows:
        cells = (
            name,
            str(queries),
            f"{size / 1024:.0f}",
            f"{size / json_size:.2f}×",
            f"{opened:.0f}",
            f"{opened / base_open:.1f}×",
            f"{answered:.0f}",
            f"{answered / base_answer:.1f}×",
            view,
        )
        print("| " + " | ".join(cells) + " |" if markdown else "  ".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
