"""A catalog to upload into: the Atlas-compatible test server with the dataset types
Purview's scanners bring and sparklineage's own (pushed by `sparklineage typedefs`), and the
CLI run as a user runs it, with no SPARKLINEAGE_* or AZURE_* settings of the machine's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sparklineage.atlas.client import AtlasClient
from sparklineage.atlas.upload import sync_typedefs
from sparklineage.settings import World
from tests.atlas_server import AtlasServer
from tests.conftest import run_in_process


def _entity_def(name: str, super_type: str, required: tuple[str, ...] = ()) -> dict:
    attributes = [
        {"name": a, "typeName": "string", "isOptional": False, "cardinality": "SINGLE"}
        for a in required
    ]
    return {
        "category": "ENTITY",
        "name": name,
        "superTypes": [super_type],
        "attributeDefs": attributes,
    }


# The dataset types Purview's scanners (and Atlas's Hadoop model) bring, as a catalog has them.
CATALOG_TYPES = {
    "entityDefs": [
        _entity_def("hive_db", "Asset", ("clusterName",)),
        _entity_def("hive_table", "DataSet"),
        _entity_def("fs_path", "DataSet", ("path",)),
        _entity_def("hdfs_path", "fs_path"),
        _entity_def("azure_datalake_gen2_path", "DataSet"),
        _entity_def("azure_blob_path", "DataSet"),
        _entity_def("azure_sql_table", "DataSet"),
        _entity_def("kafka_topic", "DataSet", ("topic", "uri")),
    ]
}


def _user_env(password: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARKLINEAGE", "AZURE"))}
    if password is not None:
        env["SPARKLINEAGE_ATLAS_PASSWORD"] = password
    return env


def cli(
    *args: str,
    password: str | None = None,
    cwd: Path | None = None,
    process: bool = False,
    world: World | None = None,
) -> subprocess.CompletedProcess:
    """The CLI with none of the machine's settings; in this process unless ``process`` (where
    only a real child proves the point: signals, locks held by another process), with
    ``world`` as what it uses of the outside (fakes: no real waits, say)."""
    if not process:
        done = run_in_process(args, _user_env(password), cwd, world)
        return subprocess.CompletedProcess(args, done.code, done.stdout, done.stderr)
    return subprocess.run(
        [sys.executable, "-m", "sparklineage", *args],
        capture_output=True,
        text=True,
        env=_user_env(password),
        timeout=120,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def cli_started(*args: str) -> subprocess.Popen:
    """The CLI started in the background, as `cli` runs it: for runs that wait on something
    the test holds (a lock) and must be seen waiting."""
    return subprocess.Popen(
        [sys.executable, "-m", "sparklineage", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_user_env(None),
        stdin=subprocess.DEVNULL,
    )


def add_catalog_types(server: AtlasServer) -> AtlasServer:
    """Give a server the dataset types a catalog has, those its models lack (with Atlas's
    official models loaded, only Purview's scanner types)."""
    missing = [d for d in CATALOG_TYPES["entityDefs"] if server.typedef(d["name"]) is None]
    if missing:
        server.add_typedefs({"entityDefs": missing})
    return server


def prepare_catalog(server: AtlasServer) -> AtlasServer:
    """Give a server the catalog's dataset types and sparklineage's own."""
    add_catalog_types(server)
    sync_typedefs(AtlasClient(server.url))
    return server


@pytest.fixture
def catalog(atlas_server: AtlasServer) -> AtlasServer:
    """A server with the catalog's dataset types and sparklineage's own."""
    return prepare_catalog(atlas_server)


def catalog_contents(server: AtlasServer) -> list[tuple]:
    """Every entity, deleted ones too (a dropped table sent again shows as a second one),
    with what lineage a user sees of it."""

    def names(refs) -> tuple[str, ...]:
        return tuple(sorted(r["qualifiedName"] for r in refs or ()))

    return sorted(
        (
            e["typeName"],
            e["attributes"]["qualifiedName"],
            e["status"],
            names(e["attributes"].get("inputs")),
            names(e["attributes"].get("outputs")),
            e["attributes"].get("columnMapping"),
            e["attributes"].get("status"),
        )
        for e in server.entities(status=None)
    )
