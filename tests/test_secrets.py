"""No secret leaves sparklineage, in any output, message, state file or request (issue 10).

The logs are real fixture logs (the 3.5 `jdbc` and `dataframe-io` scenarios) with secrets
planted into copies of their events: SQL text, plan text, paths, JDBC URLs, an error message
and Spark properties. Each output a user or a catalog can see must show none of them, and
must still show what was around them (table, host, path), so redaction does not over-reach.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sparklineage.redact import REDACTED, redact_text, redact_url
from tests.atlas_server import AtlasServer
from tests.catalog import cli
from tests.conftest import fixture_path

BASIC_PASSWORD = "S3cr3t-Basic-PW"
BASIC_TOKEN = base64.b64encode(f"etl:{BASIC_PASSWORD}".encode()).decode()
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.B3arerPlantedSig"
ACCOUNT_KEY = "AcctK3y+Planted/Value=="
S3A_KEY_ID = "AKIAPLANTEDKEYID0001"
S3A_SECRET = "S3cr3t%2BS3A%2FUserinfo"
DIRECTORY = "token=S3cr3t-Dir-Tok"  # a mount point's name: every message quotes log paths
APP_NAME = "dataframe-io (token=S3cr3t-AppName-Tok)"  # spark.app.name is free text too

# Every planted secret: none may be found anywhere.
SECRETS = (
    "S3cr3t-Opt1ons-PW",  # OPTIONS (password '…') in SQL text
    "S3cr3t-SET-S3A-Key",  # SET spark.hadoop.fs.s3a.secret.key=…
    "S3cr3t-JDBC-PW",  # ;password=… of a JDBC URL in the plan text
    "S3cr3tSASsig",  # &sig=… of a SAS URL read
    S3A_KEY_ID,  # s3a://KEY:SECRET@bucket
    S3A_SECRET,
    "T1ger-Oracle-PW",  # jdbc:oracle:thin:scott/…@//host
    "S3cr3t-Err0r-PW",  # password=… in an error message
    BASIC_PASSWORD,
    BASIC_TOKEN,  # its base64, as an Authorization header carries it
    ACCOUNT_KEY,
    BEARER,
    DIRECTORY,
    APP_NAME,
)

SAS_URL = "wasbs://landing@acct.blob.core.windows.net/raw/orders_csv?sv=2022-11-02&sig=S3cr3tSASsig%2Bx%3D"
S3A_URL = f"s3a://{S3A_KEY_ID}:{S3A_SECRET}@landing-bucket/raw/orders_json"
ORACLE_URL = "jdbc:oracle:thin:scott/T1ger-Oracle-PW@//ora.example.internal:1521/shopsvc"
SQLSERVER_URL = (
    "jdbc:sqlserver://mssql.example.internal:1433;databaseName=shop;password=S3cr3t-JDBC-PW"
)
CREATE_SQL = (
    "CREATE TABLE shop.customer_summary (id INT, total DOUBLE) USING jdbc OPTIONS "
    "(url 'jdbc:postgresql://pg.example.internal:5432/shop', dbtable 'public.orders', "
    "password 'S3cr3t-Opt1ons-PW')"
)
SET_SQL = "SET spark.hadoop.fs.s3a.secret.key=S3cr3t-SET-S3A-Key"
ERROR = (
    "java.sql.SQLException: Login failed for etl@db.example.internal: password=S3cr3t-Err0r-PW "
    f"(sent Authorization: Basic {BASIC_TOKEN})"
)

# What must survive the redaction, in the report (and the catalog where it lands).
KEPT_IDS = (
    "path:wasbs://landing@acct.blob.core.windows.net/raw/orders_csv?sv=2022-11-02&sig=" + REDACTED,
    "path:s3a://landing-bucket/raw/orders_json",
    "jdbc:sqlserver://mssql.example.internal:1433;databaseName=shop#customers",
    "jdbc:oracle:thin:@//ora.example.internal:1521/shopsvc#customer_summary",
)
KEPT_TEXT = (
    f"dbtable 'public.orders', password '{REDACTED}'",
    "url 'jdbc:postgresql://pg.example.internal:5432/shop'",
    f"SET spark.hadoop.fs.s3a.secret.key={REDACTED}",
    f"Login failed for etl@db.example.internal: password={REDACTED}",
)

SPARK_REDACTED_URL = "url=*********(redacted)"  # how Spark 3.5 wrote the JDBC write's URL


def _events(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _write(path: Path, events: list[dict]) -> None:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))


def _plant_jdbc(events: list[dict]) -> list[dict]:
    """The `jdbc` log: its catalog's URL becomes an Oracle one with a password, its JDBC write
    names a SQL Server URL with ``;password=``, two queries get SQL text with secrets, the
    last one fails with a password in its message, and the environment gets an account key
    and a bearer header."""
    starts = [e for e in events if e["Event"].endswith("SparkListenerSQLExecutionStart")]
    create, append = (
        next(e["executionId"] for e in starts if plan in e["physicalPlanDescription"])
        for plan in ("CreateTable (1)", "AppendDataExecV1 (1)")
    )
    last = starts[-1]["executionId"]
    planted = []
    for event in events:
        kind = event["Event"]
        if kind == "SparkListenerEnvironmentUpdate":
            props = event["Spark Properties"]
            props["spark.sql.catalog.shop.url"] = ORACLE_URL
            props["spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net"] = ACCOUNT_KEY
            props["spark.some.auth.header"] = f"Bearer {BEARER}"
        elif kind.endswith("SparkListenerSQLExecutionStart"):
            execution = event["executionId"]
            if execution == 0:
                event = orjson.loads(
                    orjson.dumps(event).replace(
                        SPARK_REDACTED_URL.encode(), f"url={SQLSERVER_URL}".encode()
                    )
                )
            elif execution == create:
                event["description"] = CREATE_SQL
            elif execution == append:
                event["description"] = SET_SQL
        elif kind.endswith("SparkListenerSQLExecutionEnd") and event["executionId"] == last:
            event["errorMessage"] = ERROR
        planted.append(event)
    return planted


def _plant_paths(text: bytes) -> bytes:
    """The `dataframe-io` log: the CSV it writes and reads back lives behind a SAS URL, the
    JSON one in S3 with the keys in the URL (every mention: plan texts, trees, options), its
    name holds a token, and its fifth line is followed by a copy of itself cut in half, a
    malformed line to warn of."""
    for old, new in (("raw/orders_csv", SAS_URL), ("raw/orders_json", S3A_URL)):
        local = f"/data/lake/lake/{old}"
        text = text.replace(f"file:{local}".encode(), new.encode())
        text = text.replace(local.encode(), new.encode())
    text = text.replace(b'"App Name":"dataframe-io"', b'"App Name":"%s"' % APP_NAME.encode())
    lines = text.splitlines(keepends=True)
    lines.insert(5, lines[4][: len(lines[4]) // 2] + b"\n")
    return b"".join(lines)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log directory with the two planted logs, in a folder whose name is a secret."""
    root = tmp_path_factory.mktemp("secrets") / "events"
    folder = root / DIRECTORY
    folder.mkdir(parents=True)
    jdbc = fixture_path("jdbc")
    _write(folder / jdbc.name, _plant_jdbc(_events(jdbc)))
    frames = fixture_path("dataframe-io")
    (folder / frames.name).write_bytes(_plant_paths(frames.read_bytes()))
    os.utime(folder / frames.name, (1e9, 1e9))  # the older: sync takes it first
    planted = b"".join(p.read_bytes() for p in folder.iterdir()) + str(folder).encode()
    assert all(secret.encode() in planted for secret in SECRETS if secret != BASIC_PASSWORD)
    return root


def _assert_no_secret(what: str, data: str | bytes) -> None:
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{what} shows {leaked}"


def _run(*args: str) -> tuple[str, str]:
    done = cli(*args)
    assert done.returncode in (0, 1), done.stderr
    _assert_no_secret(f"stderr of {args[:3]}", done.stderr)
    return done.stdout, done.stderr


# ---------------------------------------------------------------- every output of extract


@pytest.fixture(scope="module")
def report(logs: Path) -> dict:
    stdout, _ = _run("extract", str(logs), "--format", "json")
    return orjson.loads(stdout)


def test_the_json_report_shows_no_secret_and_keeps_what_was_around_them(report):
    _assert_no_secret("the JSON report", orjson.dumps(report))
    ids = {
        d["id"] for a in report["applications"] for q in a["queries"]
        for d in (*q["inputs"], *q["outputs"])
    }  # fmt: skip
    assert set(KEPT_IDS) <= ids
    texts = [
        q[field] or "" for a in report["applications"] for q in a["queries"]
        for field in ("description", "error")
    ]  # fmt: skip
    for kept in KEPT_TEXT:
        assert any(kept in text for text in texts), kept


def test_plans_and_atlas_payloads_show_no_secret(logs):
    plans, _ = _run("extract", str(logs), "--format", "json", "--plans")
    _assert_no_secret("--plans", plans)
    assert "mssql.example.internal:1433;databaseName=shop;password=" + REDACTED in plans
    assert "landing@acct.blob.core.windows.net/raw/orders_csv?sv=2022-11-02&sig=" in plans
    atlas, _ = _run("extract", str(logs), "--format", "atlas", "--all-processes")
    _assert_no_secret("--format atlas", atlas)
    # (their queries' datasets have no catalog entity: the processes come with --all-processes)
    assert "landing-bucket/raw/orders_json" in atlas and "pg.example.internal" in atlas


def test_text_columns_and_verbose_warnings_show_no_secret(logs):
    text, warnings = _run("extract", str(logs), "--format", "text", "--columns", "-v")
    _assert_no_secret("the text report", text)
    assert "path:s3a://landing-bucket/raw/orders_json" in text
    assert f"{DIRECTORY.split('=')[0]}={REDACTED}" in warnings
    assert "malformed line skipped" in warnings


def test_check_files_and_diffs_show_no_secret(logs, tmp_path):
    expected = tmp_path / "lineage.json"
    _, said = _run("check", str(logs), "--expected", str(expected), "--update")
    _assert_no_secret("the expected file", expected.read_bytes())
    assert KEPT_IDS[3].encode() in expected.read_bytes() and "wrote" in said
    # The same logs without the planted secrets: the diff names every planted dataset.
    plain = tmp_path / "plain"
    plain.mkdir()
    for scenario in ("jdbc", "dataframe-io"):
        shutil.copy2(fixture_path(scenario), plain)
    clean = tmp_path / "clean.json"
    _run("check", str(plain), "--expected", str(clean), "--update")
    diff, _ = _run("check", str(logs), "--expected", str(clean))
    _assert_no_secret("the check diff", diff)
    assert "lineage differs" in diff and "ora.example.internal:1521/shopsvc" in diff
    # An expected file written before these were known to be secrets: its diff is redacted too.
    old = expected.read_text().replace("thin:@//ora", "thin:scott/T1ger-Oracle-PW@//ora")
    clean.write_text(old)
    diff, _ = _run("check", str(logs), "--expected", str(clean))
    _assert_no_secret("the diff with an old expected file", diff)
    assert "- writes jdbc:oracle:thin:" in diff


# ---------------------------------------------------------------- the catalog and sync


def _catalog_sees_no_secret(server: AtlasServer) -> None:
    with server._lock:
        bodies = list(server._bodies)
    assert bodies, "nothing was sent"
    for body in bodies:
        _assert_no_secret("a request body", body)
    stored = server.entities(status=None)
    _assert_no_secret("the stored entities", orjson.dumps(stored))
    names = {e["attributes"]["qualifiedName"] for e in stored}
    details = " ".join(str(e["attributes"].get("details")) for e in stored)
    assert any("acct.blob.core.windows.net/landing/raw/orders_csv" in n for n in names), names
    assert "s3a://landing-bucket/raw/orders_json" in names
    assert "pg.example.internal" in details  # (a JDBC read: its process has no dataset)


SAS_NAME = f"https://acct.blob.core.windows.net/landing/raw/orders_csv?sv=2022-11-02&sig={REDACTED}"


def test_upload_sends_no_secret(logs, catalog):
    done = cli("upload", str(logs), "--endpoint", catalog.url, "--all-processes")
    assert done.returncode == 0, done.stderr
    _catalog_sees_no_secret(catalog)


def test_upload_failures_name_entities_without_their_secrets(logs, catalog):
    catalog.add_faults(("status", 500), path_contains="entity/bulk", method="POST")  # SAS path
    done = cli("upload", str(logs), "--endpoint", catalog.url, "--batch-size", "1")
    assert done.returncode == 3, done.stderr
    assert f"sparklineage: error: azure_blob_path {SAS_NAME}: " in done.stderr
    _assert_no_secret("upload's failures", done.stderr)


def test_sync_sends_and_keeps_no_secret(logs, catalog, tmp_path):
    state = tmp_path / "state.sqlite3"
    args = ("sync", str(logs), "--endpoint", catalog.url, "--state", str(state), "--all-processes")
    catalog.add_faults(("status", 500), path_contains="entity/bulk", method="POST")  # SAS path
    failed = cli(*args, "--batch-size", "1")
    assert failed.returncode == 3 and f"azure_blob_path {SAS_NAME}: " in failed.stderr
    _assert_no_secret("sync's failures", failed.stdout + failed.stderr)
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    _assert_no_secret("sync's messages", done.stdout + done.stderr)
    assert f"(dataframe-io (token={REDACTED})): " in done.stdout
    _catalog_sees_no_secret(catalog)
    for path in state.parent.glob(state.name + "*"):  # the journal and the lock too
        _assert_no_secret(f"the sync state {path.name}", path.read_bytes())
    assert f"{DIRECTORY.split('=')[0]}={REDACTED}".encode() in state.read_bytes()


def test_a_report_written_before_redaction_is_uploaded_without_its_secrets(
    report, catalog, tmp_path
):
    """A report written by an older version (its SQL text put back as it was) given to upload."""
    [app] = [a for a in report["applications"] if a["name"] == "jdbc"]
    for query in app["queries"]:
        query["description"] = query["description"].replace(
            f"password '{REDACTED}'", "password 'S3cr3t-Opt1ons-PW'"
        )
    old = tmp_path / "old-report.json"
    old.write_bytes(orjson.dumps(report))
    done = cli("upload", str(old), "--endpoint", catalog.url, "--all-processes")
    assert done.returncode == 0, done.stderr
    _catalog_sees_no_secret(catalog)


# ---------------------------------------------------------------- redact_text, form by form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "OPTIONS (url 'jdbc:h2:mem', password 'pw1')",
            "OPTIONS (url 'jdbc:h2:mem', password '§')",
        ),
        ('OPTIONS (password "pw1")', 'OPTIONS (password "§")'),
        (
            "TBLPROPERTIES ('password'='pw1', 'x'='y')",
            "TBLPROPERTIES ('password'='§', 'x'='y')",
        ),
        ("OPTIONS (`token` 'it''s', x 'y')", "OPTIONS (`token` '§', x 'y')"),
        ("login failed: password=pw1, retrying", "login failed: password=§, retrying"),
        ("pwd=pw1;uid=sa", "pwd=§;uid=sa"),
        (
            "SET spark.hadoop.fs.s3a.secret.key=ab/c+d==",
            "SET spark.hadoop.fs.s3a.secret.key=§",
        ),
        (
            "SET spark.hadoop.fs.s3a.access.key = AKIA1",
            "SET spark.hadoop.fs.s3a.access.key = §",
        ),
        (
            "fs.azure.account.key.acct.dfs.core.windows.net=k/e+y==",
            "fs.azure.account.key.acct.dfs.core.windows.net=§",
        ),
        (
            "Map(url -> jdbc:h2:mem, password -> pw1)",
            "Map(url -> jdbc:h2:mem, password -> §)",
        ),
        ('{"client_secret": "pw1", "id": 2}', '{"client_secret": "§", "id": 2}'),
        ("CREATE USER bob IDENTIFIED BY 'pw1'", "CREATE USER bob IDENTIFIED BY '§'"),
        ("s3a://AKIA1:pw1@bucket/x", "s3a://§@bucket/x"),
        ("jdbc:postgresql://bob:pw1@db:5432/shop", "jdbc:postgresql://§@db:5432/shop"),
        (
            "https://a.blob.core.windows.net/c/x?sv=2022&sig=ab%2Bc&se=1",
            "https://a.blob.core.windows.net/c/x?sv=2022&sig=§&se=1",
        ),
        (
            "jdbc:sqlserver://h:1433;user=sa;password=p@ss;encrypt=true",
            "jdbc:sqlserver://h:1433;user=§;password=§;encrypt=true",
        ),
        ("https://h/api?token=tok1&page=2", "https://h/api?token=§&page=2"),
        (
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k/e+y==;EndpointSuffix=x",
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=§;EndpointSuffix=x",
        ),
        (
            "jdbc:oracle:thin:scott/tiger@//db:1521/svc",
            "jdbc:oracle:thin:§@//db:1521/svc",
        ),
        ("jdbc:oracle:thin:scott/tiger@db:1521:orcl", "jdbc:oracle:thin:§@db:1521:orcl"),
        ("Authorization: Bearer tok.1-2_3", "Authorization: Bearer §"),
        ("authorization=SharedKey acct:c2ln", "authorization=SharedKey §"),
        ("header=Bearer abcdefgh12345", "header=Bearer §"),
        (f"sent Basic {BASIC_TOKEN}.", "sent Basic §."),
        (f"x {BEARER} y", "x § y"),
        (
            "k=-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
            "k=-----BEGIN RSA PRIVATE KEY-----§-----END RSA PRIVATE KEY-----",
        ),
    ],
)
def test_each_form_of_secret_is_redacted_and_the_rest_kept(text, expected):
    """``§`` stands for the marker."""
    expected = expected.replace("§", REDACTED)
    assert redact_text(text) == expected
    assert redact_text(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM passwordless_table WHERE id = 1",
        "Filter (isnotnull(token_count#12L) AND (token_count#12L = 5))",
        "WHERE token_count = 5 AND password_hint IS NULL",
        "ReadSchema: struct<id:int,password:string,token:string>",
        "Project [password#3, secret#4 AS token#5]",
        "abfss://container@account.dfs.core.windows.net/raw/x",
        "wasbs://c@a.blob.core.windows.net/p, hdfs://nn:8020/a, https://h:443/x?page=2",
        "org.apache.spark.sql.execution.datasources.v2.jdbc.JDBCTableCatalog@3dc63ca2",
        "basic statistics were computed for the table",
        "design=1, kansas=2, signal=3, oauth=4, user=5",
        "jdbc:oracle:thin:@//db:1521/svc",
        "",
    ],
)
def test_what_is_not_a_secret_is_left_alone(text):
    assert redact_text(text) == text


def test_urls_that_name_datasets_lose_their_credentials():
    assert redact_url("s3a://AKIA1:pw1@bucket/x") == "s3a://bucket/x"
    assert (
        redact_url("jdbc:oracle:thin:scott/tiger@//db:1521/svc")
        == "jdbc:oracle:thin:@//db:1521/svc"
    )
    assert redact_url("abfss://c@a.dfs.core.windows.net/x") == "abfss://c@a.dfs.core.windows.net/x"
    assert redact_url("https://h/x?sig=abc") == f"https://h/x?sig={REDACTED}"


def test_non_ascii_text_keeps_its_characters():
    text = "Größe: password='pässwörd' ünd İstanbul token=ş"
    assert redact_text(text) == f"Größe: password='{REDACTED}' ünd İstanbul token={REDACTED}"


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "password" + " " * n + "x",
        lambda n: "a=" * (n // 2),
        lambda n: "password=" * (n // 9),
        lambda n: "password '" * (n // 10),
        lambda n: 'secret "' + "a" * n,
        lambda n: "password '" + "\\" * n,
        lambda n: ("secret.key" + " " * 1000) * (n // 1010),
        lambda n: "://a:" * (n // 5),
        lambda n: "Bearer " + " " * n,
        lambda n: "authorization: " * (n // 15),
        lambda n: "fs.azure.account.key." + "a." * (n // 2),
        lambda n: "pwd = 'x' , token -> y ; sig=z & " * (n // 34),
    ],
)
def test_a_megabyte_of_pathological_text_is_redacted_in_well_under_a_second(
    make: Callable[[int], str],
):
    text = make(1_000_000)
    began = time.perf_counter()
    redact_text(text)
    assert time.perf_counter() - began < 1.0
