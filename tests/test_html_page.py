"""The lineage page (`extract --format html`, `check --html`), opened in a real headless
Chromium (Debian's package, driven by Playwright) started by this module and stopped after
it. What is asserted is what a person sees: as many nodes and edges as the report has, a
search that lights exactly a dataset's lineage, a query's SQL, a CTAS's column sources, and
no request and no error on the way. A screenshot of each page is saved under the test's
temporary directory."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import FIXTURES, fixture_path, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.xdist_group("browser")  # one worker, so one Chromium, runs this module
SQLTEXT = "columns-sqltext"  # a real log whose queries carry their SQL text


def write_page(tmp_path: Path, *args: str) -> tuple[Path, dict]:
    """The page and the JSON report of the same logs."""
    page, report = tmp_path / "lineage.html", tmp_path / "report.json"
    assert run_cli("extract", *args, "--format", "html", "-o", str(page)).code == 0
    assert run_cli("extract", *args, "--format", "json", "-o", str(report)).code == 0
    return page, orjson.loads(report.read_bytes())


def graph_of(report: dict) -> tuple[set[str], list[tuple[str, str]]]:
    """The report's graph as the page must draw it: (dataset ids, query→dataset edges)."""
    datasets: set[str] = set()
    edges: list[tuple[str, str]] = []
    for app in report["applications"]:
        for q in app["queries"]:
            for side in ("inputs", "outputs"):
                ids = dict.fromkeys(d["id"] for d in q[side])
                datasets.update(ids)
                ref = q["execution_id"] if q["execution_id"] is not None else q["job_ids"]
                edges.extend((f"{app['id']}#{ref}", i) for i in ids)
    return datasets, edges


# ------------------------------------------------------------------ the file itself


def test_the_page_is_one_file_that_fetches_nothing(tmp_path):
    page, report = write_page(tmp_path, str(FIXTURES / "spark-3.5"))
    text = page.read_text()
    assert "default-src 'none'" in text, "a Content-Security-Policy that forbids every fetch"
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert "@import" not in text and "url(http" not in text
    datasets, _ = graph_of(report)
    orders = "table:default.orders"
    assert orders in datasets and text.count(f'"{orders}"') == 1, "each dataset once"


def test_a_report_is_drawn_as_its_logs_are(tmp_path):
    logs = str(fixture_path("views"))
    page, _ = write_page(tmp_path, logs)
    report = tmp_path / "again.json"
    assert run_cli("extract", logs, "--format", "json", "-o", str(report)).code == 0
    again = tmp_path / "again.html"
    assert run_cli("extract", str(report), "--format", "html", "-o", str(again)).code == 0
    assert again.read_bytes() == page.read_bytes()


# ------------------------------------------------------------------ in the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api", reason="the test extra has playwright")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Opened:
    """A page open in the browser, with every request and console error it made."""

    def __init__(self, browser, path: Path, shots: Path) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 850})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready]")
        self.shots = shots

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def view(self, value: str) -> None:
        self.page.select_option("#view", value)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def close(self, path: Path) -> None:
        assert self.errors == [], "no console error"
        assert self.requests == [path.as_uri()], "no request but the page itself"
        self.page.close()


@pytest.fixture
def opened(browser, tmp_path) -> Iterator[callable]:
    pages: list[tuple[Opened, Path]] = []

    def open_page(path: Path) -> Opened:
        page = Opened(browser, path, tmp_path)
        pages.append((page, path))
        return page

    yield open_page
    for page, path in pages:
        page.close(path)


def test_the_page_draws_every_node_and_edge_of_the_report(opened, tmp_path):
    page_file, report = write_page(
        tmp_path, str(FIXTURES / "spark-3.5"), str(FIXTURES / "spark-4.0")
    )
    page = opened(page_file)
    page.shot("fixtures-first-view")
    summary = page.page.inner_text("#summary")
    applications = report["applications"]
    queries = sum(len(a["queries"]) for a in applications)
    datasets, edges = graph_of(report)
    assert f"{len(applications)} applications" in summary and f"{queries} queries" in summary
    assert f"{len(datasets)} datasets" in summary
    assert page.page.get_attribute("#graph", "data-view") == "overview", "big: applications first"
    assert page.count("#graph g.node.app") == len(applications)
    page.view("all")
    drawn_queries = {q for q, _ in edges}
    assert page.count("#graph g.node.dataset") == len(datasets)
    assert page.count("#graph g.node.query") == len(drawn_queries)
    assert page.count("#graph path.edge") == len(edges)
    failed = sum(
        q["status"] == "failed"
        for a in applications
        for q in a["queries"]
        if q["inputs"] or q["outputs"]
    )
    assert page.count("#graph g.node.query.failed") == failed > 0, "failed queries marked"
    page.shot("fixtures-everything")
    busiest = max(range(len(applications)), key=lambda a: len(applications[a]["queries"]))
    page.view(f"app:{busiest}")
    mine = [q for q in applications[busiest]["queries"] if q["inputs"] or q["outputs"]]
    assert page.count("#graph g.node.query") == len(mine), "one application's queries alone"


def test_search_lights_exactly_a_datasets_lineage(opened, tmp_path):
    page_file, report = write_page(tmp_path, str(fixture_path("views")))
    page = opened(page_file)
    page.page.fill("#search", "from_view")
    assert "table:default.from_view" in page.page.inner_text("#results")
    page.page.keyboard.press("Enter")
    titles = "nodes => nodes.map(n => n.textContent)"  # each node's full name, as it hovers
    lit = set(page.page.locator("#graph g.node.dataset.lit title").evaluate_all(titles))
    # The lineage of from_view, from the report: what its writers read, and upstream of that.
    queries = report["applications"][0]["queries"]
    upstream, todo = {"table:default.from_view"}, ["table:default.from_view"]
    while todo:
        at = todo.pop()
        for q in queries:
            if at in {d["id"] for d in q["outputs"]}:
                for d in q["inputs"]:
                    if d["id"] not in upstream:
                        upstream.add(d["id"])
                        todo.append(d["id"])
    downstream = {
        d["id"]
        for q in queries
        if "table:default.from_view" in {i["id"] for i in q["inputs"]}
        for d in q["outputs"]
    }
    assert lit == upstream | downstream and len(lit) >= 3
    assert page.count("#graph g.node.dataset.dim") == 0, "the chain view shows the chain alone"
    page.shot("views-search")


def test_a_query_shows_its_sql_and_a_ctas_its_column_sources(opened, tmp_path):
    page_file, report = write_page(tmp_path, str(fixture_path(SQLTEXT)))
    page = opened(page_file)
    query = next(
        q
        for q in report["applications"][0]["queries"]
        if [d["id"] for d in q["outputs"]] == ["table:default.col_alias"]
    )
    assert query["operation"] == "ctas" and query["description"].startswith("CREATE TABLE")
    page.page.locator("#graph g.node.query", has_text=f"#{query['execution_id']} ctas").click()
    assert page.page.inner_text("#details pre.sql") == query["description"]
    rows = page.page.locator("#details table.columns tr").all_inner_texts()
    page.page.locator("#graph g.node.dataset", has_text="table:default.col_alias").click()
    columns = page.page.locator("#details table.columns tr").all_inner_texts()
    page.shot("sqltext-ctas-columns")
    sources = {tuple(row.split("\t")[:3]) for row in columns[1:]}
    assert ("id", "table:default.orders.order_id", "identity") in sources
    assert ("value", "table:default.orders.amount", "identity") in sources
    assert len(rows) == len(columns) == 1 + len(query["columns"])


def test_check_draws_a_lineage_diff(opened, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(fixture_path("views"), logs)
    expected = tmp_path / "expected.json"
    assert run_cli("check", str(logs), "--expected", str(expected), "--update").code == 0
    document = orjson.loads(expected.read_bytes())
    (name,) = document["applications"]
    queries = document["applications"][name]
    ctas = next(e for e, q in queries.items() if "table:default.from_view" in q["outputs"])
    queries[ctas]["inputs"].append("table:default.legacy")  # expected, not read any more
    del queries[next(e for e, q in queries.items() if q["operation"] == "drop_view")]
    expected.write_bytes(orjson.dumps(document))
    diff = tmp_path / "diff.html"
    done = run_cli("check", str(logs), "--expected", str(expected), "--html", str(diff))
    assert done.code == 1 and "- reads table:default.legacy" in done.stdout
    page = opened(diff)
    assert page.count("#graph path.edge.removed") == 1
    assert page.count("#graph g.node.query.added") == 1, "the drop_view nobody expected"
    assert page.count("#graph g.node.query.changed") == 1
    page.page.locator("#graph g.node.query.changed").click()
    assert "- reads table:default.legacy" in page.page.inner_text("#details")
    page.shot("views-diff")


def test_a_page_with_nothing_to_draw_says_so(opened, tmp_path):
    report, page_file = tmp_path / "nobody.json", tmp_path / "nobody.html"
    server_log = str(fixture_path("thrift-server"))
    run_cli("extract", server_log, "--user", "nobody", "--format", "json", "-o", str(report))
    assert orjson.loads(report.read_bytes())["applications"] == []
    assert run_cli("extract", str(report), "--format", "html", "-o", str(page_file)).code == 0
    page = opened(page_file)
    assert page.count("#graph g.node") == 0
    assert "Nothing to draw" in page.page.text_content("#graph")
    assert "0 applications" in page.page.inner_text("#summary")
