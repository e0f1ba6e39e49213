"""`sync s3://…` through the real s3fs, against an S3-compatible server (moto) that the test
starts on 127.0.0.1: an object store's listings (prefixes for directories, LastModified and
ETag per object) and copies of single logs and rolling directories, as on AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog import catalog_contents, cli, prepare_catalog
from tests.conftest import copy_logs, fixture_path

moto_server = pytest.importorskip("moto.server", reason="the test extra installs moto[server]")
s3fs = pytest.importorskip("s3fs", reason="the test extra installs s3fs")

BUCKET = "spark-logs"
SCENARIOS = ("ddl", "dml", "views", "rolling-multipart")


@pytest.fixture
def s3(monkeypatch) -> Iterator[tuple[str, object]]:
    """An S3 endpoint on 127.0.0.1 with one empty bucket: (endpoint URL, s3fs filesystem).
    Its dummy credentials are in the environment, where the CLI's child process finds them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
        fs.mkdir(BUCKET)
        yield endpoint, fs
    finally:
        server.stop()


def test_an_s3_prefix_is_synced_like_a_local_directory(tmp_path, s3, atlas_server_factory):
    endpoint, fs = s3
    events = copy_logs(tmp_path / "events", SCENARIOS)
    fs.put(f"{events}/", f"{BUCKET}/spark-events/", recursive=True)
    server = prepare_catalog(atlas_server_factory())
    args = (
        *("sync", f"s3://{BUCKET}/spark-events", "--endpoint", server.url),
        *("--state", str(tmp_path / "state.sqlite3"), "--storage-option"),
        f"endpoint_url={endpoint}",
    )
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert "4 applications seen: 4 new" in first.stdout
    local = prepare_catalog(atlas_server_factory())
    done = cli("sync", str(events), "--endpoint", local.url, "--state", str(tmp_path / "l.db"))
    assert done.returncode == 0, done.stderr
    assert catalog_contents(server) == catalog_contents(local)

    second = cli(*args)
    assert second.returncode == 0 and "4 unchanged" in second.stdout, second.stderr

    dml = fixture_path("dml")
    fs.pipe(f"{BUCKET}/spark-events/{dml.name}", dml.read_bytes() + b"\n")  # it grew
    third = cli(*args)
    assert third.returncode == 0, third.stderr
    assert "1 changed" in third.stdout and "3 unchanged" in third.stdout
