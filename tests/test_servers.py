"""Queries of multi-user servers: every query of a Thrift JDBC/ODBC or Spark Connect server
attributed to its user, its session and its statement, on real server logs.

The fixtures (tests/fixtures/generate.py, scenarios thrift-server and connect-server) ran two
users, alice and bob, each in sessions of their own with their own ``USE``, writing into
their own database and reading each other's; a statement that fails analysis; and the same
slow INSERT text in both users' sessions at once (Thrift), or two operations of one session
at once (Connect).
"""

from __future__ import annotations

import contextlib
import io
import tracemalloc
from collections import Counter
from functools import cache
from pathlib import Path

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparklineage import events
from sparklineage.application import Application, of_users, read_application
from sparklineage.check import differences, expected_document
from sparklineage.cli import main
from sparklineage.events import (
    ServerOperationEnded,
    ServerOperationStarted,
    ServerSessionStarted,
    _connect_operation_started,
    _thrift_operation_start,
)
from sparklineage.lineage.servers import ServerActivity, connect_statement
from sparklineage.logs import discover
from sparklineage.sinks.text import render_text
from tests.catalog import cli, prepare_catalog
from tests.conftest import copy_logs, fixture_path

SLOW_INSERT = (
    "INSERT INTO orders SELECT id, CAST(amount * 2 AS DOUBLE) FROM orders "
    "WHERE java_method('java.lang.Thread', 'sleep', 3000L) IS NULL"
)

# (user, statement) -> (operation, inputs, outputs): what each statement did, as the jobs of
# tests/fixtures/generate.py ran it. The same text by two users lands in two databases.
THRIFT_QUERIES = {
    ("alice", "CREATE DATABASE IF NOT EXISTS sales"): ("create_database", (), ()),
    ("alice", "USE sales"): ("other", (), ()),
    ("alice", "CREATE TABLE orders (id INT, amount DOUBLE) USING parquet"): (
        "create_table",
        (),
        ("table:sales.orders",),
    ),
    ("alice", "INSERT INTO orders VALUES (1, 10.0), (2, 20.0)"): (
        "insert",
        (),
        ("table:sales.orders",),
    ),
    ("alice", "CREATE TABLE totals USING parquet AS SELECT SUM(amount) AS total FROM orders"): (
        "ctas",
        ("table:sales.orders",),
        ("table:sales.totals",),
    ),
    ("alice", SLOW_INSERT): ("insert", ("table:sales.orders",), ("table:sales.orders",)),
    ("bob", "CREATE DATABASE IF NOT EXISTS hr"): ("create_database", (), ()),
    ("bob", "USE hr"): ("other", (), ()),
    ("bob", "CREATE TABLE orders (id INT, amount DOUBLE) USING parquet"): (
        "create_table",
        (),
        ("table:hr.orders",),
    ),
    ("bob", "INSERT INTO orders SELECT * FROM sales.orders"): (
        "insert",
        ("table:sales.orders",),
        ("table:hr.orders",),
    ),
    ("bob", "CREATE TABLE summary USING parquet AS SELECT * FROM sales.totals"): (
        "ctas",
        ("table:sales.totals",),
        ("table:hr.summary",),
    ),
    ("bob", SLOW_INSERT): ("insert", ("table:hr.orders",), ("table:hr.orders",)),
}
# Spark 4.x runs the failing SELECT as an execution that fails; 3.5 fails it in analysis,
# before any execution: there is no query to attribute.
THRIFT_4 = {**THRIFT_QUERIES, ("alice", "SELECT * FROM no_such_table"): ("read_only", (), ())}

CONNECT_WAIT = (
    "INSERT INTO orders SELECT id, amount FROM orders "
    "WHERE java_method('java.lang.Thread', 'sleep', 2000L) IS NULL"
)


def _connect(user: str, database: str) -> dict[tuple[str, str], tuple]:
    lake = "path:file:/data/lake/lake"
    orders = f"table:{database}.orders"
    return {
        (user, f"CREATE DATABASE IF NOT EXISTS {database}"): ("create_database", (), ()),
        (user, f"USE {database}"): ("other", (), ()),
        (user, "CREATE TABLE IF NOT EXISTS orders (id INT, amount DOUBLE) USING parquet"): (
            "create_table",
            (),
            (orders,),
        ),
        (user, "INSERT INTO orders VALUES (1, 10.0), (2, 20.0)"): ("insert", (), (orders,)),
        (user, f"write_operation: sales.orders → totals_{user}"): (
            "save_as_table",
            ("table:sales.orders",),
            (f"table:{database}.totals_{user}",),
        ),
        (user, f"write_operation: – → /data/lake/lake/exports_{user}"): (
            "write_path",
            (),
            (f"{lake}/exports_{user}",),
        ),
        (user, "SELECT * FROM no_such_table"): ("read_only", (), ()),
        (user, CONNECT_WAIT): ("insert", (orders,), (orders,)),
        (user, f"write_operation: orders → /data/lake/lake/orders_copy_{user}"): (
            "write_path",
            (orders,),
            (f"{lake}/orders_copy_{user}",),
        ),
    }


CONNECT_QUERIES = {**_connect("alice", "sales"), **_connect("bob", "hr")}
SERVERS = [
    pytest.param("thrift-server", "3.5", THRIFT_QUERIES, id="thrift-3.5"),
    pytest.param("thrift-server", "4.0", THRIFT_4, id="thrift-4.0"),
    pytest.param("connect-server", "4.0", CONNECT_QUERIES, id="connect-4.0"),
]


def server_application(scenario: str, spark: str) -> Application:
    [source] = discover([fixture_path(scenario, spark)]).sources
    return read_application(source)


def attributed(app: Application) -> dict[tuple[str, str], tuple]:
    """What each attributed query did, keyed by who sent which statement; a statement sent
    again (``USE`` in a second session) must have done the same."""
    found: dict[tuple[str, str], tuple] = {}
    for query in app.queries:
        if query.statement is None:
            continue
        key = (query.user or "?", query.statement)
        did = (
            query.operation,
            tuple(d.id for d in query.inputs),
            tuple(d.id for d in query.outputs),
        )
        assert found.setdefault(key, did) == did, f"{key} did two things"
    return found


def statement_counts(app: Application) -> Counter[tuple[str, str]]:
    return Counter((q.user or "?", q.statement) for q in app.queries if q.statement)


# Sent twice, in two sessions (the slow INSERTs ran in a session of their own).
THRIFT_REPEATED = {("alice", "USE sales"): 2, ("bob", "USE hr"): 2}


@pytest.mark.parametrize(("scenario", "spark", "expected"), SERVERS)
def test_every_statement_is_one_query_of_its_user_with_its_lineage(scenario, spark, expected):
    app = server_application(scenario, spark)
    assert attributed(app) == expected
    repeated = THRIFT_REPEATED if scenario == "thrift-server" else {}
    assert statement_counts(app) == Counter({key: repeated.get(key, 1) for key in expected})


@pytest.mark.parametrize(("scenario", "spark", "expected"), SERVERS)
def test_each_query_names_a_session_of_its_own_user(scenario, spark, expected):
    app = server_application(scenario, spark)
    sessions = {s.id: s for s in app.sessions}
    assert {s.user for s in app.sessions} == {"alice", "bob"}
    server = "thrift" if scenario == "thrift-server" else "connect"
    for query in app.queries:
        if query.session is None:  # only Thrift's opening USE of sessions opened at once
            assert query.description.startswith("openSession at ")
            continue
        session = sessions[query.session.id]
        assert (session.user, session.server) == (query.user, server)
        assert session.start is not None and session.end is not None
        assert session.start <= query.start <= session.end
    for session in app.sessions:
        assert session.client == ("127.0.0.1" if server == "thrift" else None)


def test_the_same_text_at_once_in_two_sessions_lands_in_each_users_database():
    """The trap of the Thrift server: the two slow INSERTs interleave in the log (their
    executions and CommandResult echoes alternate); folding by adjacency would cross them."""
    for spark in ("3.5", "4.0"):
        app = server_application("thrift-server", spark)
        slow = [q for q in app.queries if q.statement == SLOW_INSERT]
        assert sorted((q.user, q.outputs[0].id) for q in slow) == [
            ("alice", "table:sales.orders"),
            ("bob", "table:hr.orders"),
        ]
        ids = sorted(i for q in slow for i in (q.execution_id, *q.child_execution_ids))
        assert ids == list(range(ids[0], ids[0] + 4)), "all four executions, two a query"
        starts = sorted(slow, key=lambda q: q.execution_id)
        assert starts[0].child_execution_ids[0] > starts[1].execution_id, "they interleave"


def test_a_failing_statement_is_a_failed_query_of_its_user():
    app = server_application("connect-server", "4.0")
    failed = [q for q in app.queries if q.status == "failed"]
    assert sorted(q.user for q in failed) == ["alice", "bob"]
    assert all("TABLE_OR_VIEW_NOT_FOUND" in (q.error or "") for q in failed)


def test_sessions_count_their_statements_even_those_without_an_execution():
    """3.5 fails the SELECT in analysis: no execution, but the session started it."""
    app = server_application("thrift-server", "3.5")
    first_alice = next(s for s in app.sessions if s.user == "alice")
    assert first_alice.statements == 6


def test_applications_off_servers_report_no_users():
    app = server_application("dml", "3.5")
    assert app.sessions == ()
    assert all(q.user is None and q.session is None and q.statement is None for q in app.queries)


# ------------------------------------------------------------------ outputs


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as done:
            code = int(done.code or 0)
    out.flush()
    return code, out.buffer.getvalue().decode(), err.getvalue()


def test_report_shows_user_session_and_statement_per_query_and_sessions_per_application():
    code, out, _ = run_cli("extract", str(fixture_path("thrift-server", "4.0")), "--format", "json")
    assert code == 0
    [app] = orjson.loads(out)["applications"]
    ctas = next(q for q in app["queries"] if q["operation"] == "ctas" and q["user"] == "bob")
    assert ctas["statement"] == "CREATE TABLE summary USING parquet AS SELECT * FROM sales.totals"
    assert set(ctas["session"]) == {"id", "server", "client", "start", "end"}
    session = next(s for s in app["sessions"] if s["id"] == ctas["session"]["id"])
    assert (session["user"], session["server"], session["client"]) == ("bob", "thrift", "127.0.0.1")
    assert all({"user", "session", "statement"} <= set(q) for q in app["queries"])


def test_extract_user_keeps_only_that_users_queries():
    logs = [str(fixture_path("thrift-server", "4.0")), str(fixture_path("dml", "4.0"))]
    code, out, _ = run_cli("extract", *logs, "--format", "json", "--user", "bob")
    assert code == 0
    [app] = orjson.loads(out)["applications"]  # the dml log has no query of bob's
    assert {q["user"] for q in app["queries"]} == {"bob"}
    assert {s["user"] for s in app["sessions"]} == {"bob"}
    assert "table:hr.summary" in out and 'table:sales.totals"' not in out.split("outputs")[-1]


def test_text_output_says_who_ran_each_query():
    [app] = of_users([server_application("connect-server", "4.0")], {"alice"})
    text = render_text([app])
    assert "1 server session, users: alice" in text
    assert "save_as_table by alice: table:sales.orders → table:sales.totals_alice" in text
    assert "read_only by alice [failed]" in text


def test_check_catches_a_query_run_by_another_user(tmp_path: Path):
    app = server_application("thrift-server", "3.5")
    expected = expected_document([app])["applications"]
    queries = expected["thrift-server"]
    ctas = next(k for k, q in queries.items() if q["operation"] == "ctas" and q["user"] == "bob")
    queries[ctas]["user"] = "etl-service"
    assert differences(expected, expected_document([app])["applications"]) == [
        f"application 'thrift-server': query #{ctas}: user etl-service → bob"
    ]
    path = tmp_path / "expected.json"
    path.write_bytes(orjson.dumps({"schema": "sparklineage.expected/1", "applications": expected}))
    code, out, _ = run_cli(
        "check", str(fixture_path("thrift-server", "3.5")), "--expected", str(path)
    )
    assert code == 1
    assert "user etl-service → bob" in out


def test_atlas_processes_carry_the_query_user_and_statement():
    code, out, _ = run_cli(
        "extract", str(fixture_path("connect-server", "4.0")), "--format", "atlas"
    )
    assert code == 0
    processes = orjson.loads(out)["processes"]["entities"]
    by_user = {p["attributes"]["currUser"] for p in processes}
    assert by_user == {"alice", "bob"}, "the session user, never the server's OS user"
    save = next(p for p in processes if p["attributes"]["operation"] == "save_as_table")
    assert save["attributes"]["queryText"].startswith("write_operation: sales.orders → totals_")


# ------------------------------------------------------------------ decoding


def test_statements_are_redacted_like_every_free_text():
    event = {
        "Event": events.THRIFT + "OperationStart",
        "id": "op-1",
        "sessionId": "s-1",
        "statement": "CREATE TABLE t OPTIONS (password 'hunter2') AS SELECT 1",
        "groupId": "op-1",
        "userName": "alice",
    }
    assert "hunter2" not in _thrift_operation_start(event).statement
    connect = {
        "Event": events.CONNECT + "OperationStarted",
        "operationId": "op-2",
        "sessionId": "s-2",
        "userId": "bob",
        "statementText": 'sql { query: "SELECT * FROM jdbc.`url=jdbc:x://h/db?password=hunter2`" }',
    }
    assert "hunter2" not in (connect_statement(_connect_operation_started(connect).statement) or "")


@pytest.mark.parametrize(
    ("text", "statement"),
    [
        (
            'sql_command {\n  input {\n    sql {\n      query: "SELECT 1"\n    }\n  }\n}\n',
            "SELECT 1",
        ),
        (r'sql { query: "SELECT \"a\\b\" AS \303\244" }', 'SELECT "a\\b" AS ä'),
        (
            'root {\n  read {\n    named_table {\n      unparsed_identifier: "db.t"\n    }\n  }\n}',
            "root: db.t",
        ),
        (
            'write_operation {\n  input { range { end: 3 } }\n  path: "/out"\n}',
            "write_operation: – → /out",
        ),
        ("config {\n  operation { get_all { } }\n}", "config"),
    ],
)
def test_connect_requests_read_as_their_sql_or_a_short_account(text, statement):
    assert connect_statement(text) == statement


@cache
def server_lines(spark: str) -> tuple[bytes, ...]:
    """The Thrift fixture's lines, decoded (it is zstd, as Spark wrote it)."""
    data = fixture_path("thrift-server", spark).read_bytes()
    reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
    return tuple(reader.read().splitlines())


WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_server_event_of_the_wrong_shape_is_one_malformed_line(data, tmp_path_factory):
    """Wrong types in any field of any session or operation event: that line is counted,
    the log is read to its end, and no execution is lost (an operation lost with its event
    leaves its executions unattributed, as off a server)."""
    spark = data.draw(st.sampled_from(("3.5", "4.0")), label="spark")
    lines = list(server_lines(spark))
    server = [i for i, line in enumerate(lines) if b"thriftserver.ui.SparkListener" in line[:90]]
    index = data.draw(st.sampled_from(server), label="line")
    event = orjson.loads(lines[index])
    key = data.draw(st.sampled_from(sorted(k for k in event if k != "Event")), label="field")
    event[key] = data.draw(WRONG, label="value")
    lines[index] = orjson.dumps(event)
    log = tmp_path_factory.mktemp("server") / "app-mutated"
    log.write_bytes(b"\n".join(lines) + b"\n")
    [source] = discover([log]).sources
    app = read_application(source)
    assert app.read_error is None and app.complete
    assert app.malformed_lines <= 1
    whole = server_application("thrift-server", spark)
    assert executions(app) == executions(whole)


def executions(app: Application) -> list[int]:
    return sorted(i for q in app.queries for i in (q.execution_id, *q.child_execution_ids))


def test_an_upload_lands_each_process_under_its_users_name_with_its_statement(catalog):
    """Against the Atlas stand-in (its rules from Atlas's own models): queryText is an
    attribute of spark_process once `typedefs` ran, and every process carries it."""
    done = cli("upload", str(fixture_path("thrift-server", "4.0")), "--endpoint", catalog.url)
    assert done.returncode == 0, done.stderr
    processes = [p["attributes"] for p in catalog.entities("spark_process")]
    assert {p["currUser"] for p in processes} == {"alice", "bob"}
    summary = next(p for p in processes if "hr.summary" in str(p["outputs"]))
    assert summary["currUser"] == "bob"
    assert (
        summary["queryText"] == "CREATE TABLE summary USING parquet AS SELECT * FROM sales.totals"
    )


def _metadata_calls(activity: ServerActivity, count: int) -> None:
    """``count`` statements that run no SQL execution (what BI tools send all day), made up
    as the Thrift server logs them: a unit input, not a log."""
    activity.add(ServerSessionStarted("thrift", "s", "bi-tool", "10.0.0.9", 0))
    for n in range(count):
        operation = f"op-{n}"
        activity.add(
            ServerOperationStarted(
                "thrift", operation, "s", "bi-tool", "SHOW TABLES " + "x" * 200, operation, n
            )
        )
        activity.add(ServerOperationEnded(operation, n, None))
        activity.add(ServerOperationEnded(operation, n, None, closed=True))


def test_statements_without_executions_are_forgotten_once_closed():
    """A server up for months answers millions of metadata calls: what is kept of them must
    not grow with their number (it grows with the executions, as the rest of a log does)."""
    tracemalloc.start()
    try:
        few, many = ServerActivity(), ServerActivity()
        _metadata_calls(few, 1_000)
        held_by_few = tracemalloc.get_traced_memory()[0]
        _metadata_calls(many, 20_000)
        held_by_both = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held_by_both - held_by_few < 200_000, "19,000 more calls kept their statements"
    assert [s.statements for s in many.sessions()] == [20_000]


def test_sync_lands_the_same_users_and_statements_as_upload(
    tmp_path, catalog, atlas_server_factory
):
    """sync maps what it reads the same way: each process under its user, with its statement."""
    events = copy_logs(tmp_path / "events", ("thrift-server",), spark="4.0")
    state = str(tmp_path / "state.sqlite3")
    done = cli("sync", str(events), "--endpoint", catalog.url, "--state", state)
    assert done.returncode == 0, done.stderr
    uploaded = prepare_catalog(atlas_server_factory())
    assert cli("upload", str(events), "--endpoint", uploaded.url).returncode == 0

    def processes(server) -> set[tuple]:
        return {
            (
                p["attributes"]["qualifiedName"],
                p["attributes"]["currUser"],
                p["attributes"].get("queryText"),
            )
            for p in server.entities("spark_process")
        }

    assert processes(catalog) == processes(uploaded)
    assert {user for _, user, _ in processes(catalog)} == {"alice", "bob"}
