"""A report's datasets as the Atlas entities Purview's scanners create, so lineage lands
on the assets already in the catalog (their type names and qualifiedName patterns).

- ``abfs[s]://fs@acct.dfs.core.windows.net/p`` (or ``.blob.``): azure_datalake_gen2_path,
  ``https://acct.dfs.core.windows.net/fs/p``
- ``wasb[s]://c@acct.blob.core.windows.net/p``: azure_blob_path,
  ``https://acct.blob.core.windows.net/c/p``

| dataset | type | qualifiedName |
| --- | --- | --- |
| ``hdfs://…`` | hdfs_path | the URI |
| other paths (file, s3, gs, dbfs) | fs_path | the URI |
| ``table:db.t`` / ``view:db.v`` | hive_table (spark_table with ``spark``) | ``db.t@<cluster>`` |
| an Iceberg Hadoop catalog's ``table:local.db.t`` | its directory's path type | its location |
| ``database:db`` | hive_db (spark_db) | ``db@<cluster>`` |
| ``database:local.db`` (another catalog's namespace) | none | – |
| ``jdbc:sqlserver://srv:1433;database=d#s.t`` | azure_sql_table | ``mssql://srv/d/s/t`` |
| ``kafka:servers#topic`` | kafka_topic | ``topic@<cluster>`` |

Purview compares qualifiedNames case-sensitively: the case of the log is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sparklineage.lineage.naming import (
    ICEBERG_FORMAT,
    DatabaseName,
    Dataset,
    JdbcName,
    KafkaName,
    Name,
    PathName,
    TableName,
    ViewName,
)

_ADLS = re.compile(r"^abfss?://([^@/]+)@([^./]+)\.(?:dfs|blob)\.core\.windows\.net(/.*)?$")
_BLOB = re.compile(r"^wasbs?://([^@/]+)@([^./]+)\.blob\.core\.windows\.net(/.*)?$")
_SQLSERVER = re.compile(
    r"^jdbc:sqlserver://([^:;/]+)(?::\d+)?;.*?(?:database|databaseName)=([^;]+)", re.I
)


@dataclass(frozen=True)
class AtlasDataset:
    """One dataset as an Atlas entity: its type, unique name and attributes."""

    type_name: str
    qualified_name: str
    name: str
    attributes: tuple[tuple[str, Any], ...] = ()
    report_id: str = ""  # the dataset id of the report it stands for

    def reference(self) -> dict[str, Any]:
        """How another entity points at it: by unique attribute (it is stored first)."""
        return {
            "typeName": self.type_name,
            "uniqueAttributes": {"qualifiedName": self.qualified_name},
        }

    def entity(self) -> dict[str, Any]:
        attributes = {
            "qualifiedName": self.qualified_name,
            "name": self.name,
            **dict(self.attributes),
        }
        return {"typeName": self.type_name, "attributes": attributes}


def atlas_dataset(
    dataset: Dataset, *, cluster: str, spark_types: bool = False
) -> AtlasDataset | None:
    """The entity for a report dataset, or None for what has no catalog entity (temporary
    views, relations the log does not name)."""
    if (
        dataset.format == ICEBERG_FORMAT
        and dataset.location
        and isinstance(dataset.name, TableName)
    ):
        found: AtlasDataset | None = _path(dataset.location)  # an Iceberg Hadoop catalog's
    else:
        found = _atlas_dataset(dataset.name, cluster, spark_types)
    return replace(found, report_id=dataset.id) if found else None


def _atlas_dataset(name: Name, cluster: str, spark_types: bool) -> AtlasDataset | None:
    if isinstance(name, PathName):
        return _path(name.uri)
    if isinstance(name, ViewName) and name.temporary:
        return None  # a temporary view lives in one Spark session only
    if isinstance(name, TableName | ViewName):
        return _table(name.text(), name.name, cluster, spark_types)
    if isinstance(name, DatabaseName) and len(name.parts) > 1:
        return None  # a namespace of another catalog (Iceberg's): no metastore database
    if isinstance(name, DatabaseName):
        type_name = "spark_db" if spark_types else "hive_db"
        text = name.text()
        return AtlasDataset(type_name, f"{text}@{cluster}", text, (("clusterName", cluster),))
    if isinstance(name, JdbcName):
        return _jdbc(name)
    if isinstance(name, KafkaName):
        topic = name.topic
        return AtlasDataset(
            "kafka_topic", f"{topic}@{cluster}", topic, (("topic", topic), ("uri", topic))
        )
    return None


# Azure storage URIs as the scanners name them: (pattern, type, qualifiedName root).
_AZURE_STORAGE = (
    (_ADLS, "azure_datalake_gen2_path", "https://{account}.dfs.core.windows.net/{container}"),
    (_BLOB, "azure_blob_path", "https://{account}.blob.core.windows.net/{container}"),
)


def _path(uri: str) -> AtlasDataset:
    for pattern, type_name, root in _AZURE_STORAGE:
        found = pattern.match(uri)
        if found:
            container, account, path = found.groups()
            qualified = root.format(account=account, container=container) + (path or "")
            return AtlasDataset(type_name, qualified, _last(qualified), (("path", path or "/"),))
    type_name = "hdfs_path" if uri.startswith("hdfs:") else "fs_path"
    return AtlasDataset(type_name, uri, _last(uri), (("path", uri),))


def _table(qualified: str, name: str, cluster: str, spark_types: bool) -> AtlasDataset:
    type_name = "spark_table" if spark_types else "hive_table"
    return AtlasDataset(type_name, f"{qualified}@{cluster}", name)


def _jdbc(name: JdbcName) -> AtlasDataset | None:
    server = _SQLSERVER.match(name.url)
    if server is None:
        return None  # no scanner type to join; the report still has it
    host, database = server.groups()
    schema, _, table = name.table.rpartition(".")
    qualified = f"mssql://{host}/{database}/{schema or 'dbo'}/{table}"
    return AtlasDataset("azure_sql_table", qualified, table)


def _last(uri: str) -> str:
    return uri.rstrip("/").rpartition("/")[2] or uri
