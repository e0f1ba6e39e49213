"""A dataset's identity: one normalised id, computed here and nowhere else.

The same table or path read by two queries, in two applications, must get the same id (and,
later, the same Atlas qualifiedName), so every naming rule lives in this module:

- ``table:<db>.<table>``: lower-case; Spark's session catalog (``spark_catalog``) dropped,
  other catalogs kept (``table:<catalog>.<db>.<table>``); unqualified names in ``default``.
- ``view:<db>.<view>``, or ``view:<name>`` for a temporary view (it has no database).
- ``path:<uri>``: scheme kept; ``file:/x``, ``file:///x`` and a bare ``/x`` (on a local file
  system) are one path; no trailing slash, no ``//`` or ``/./`` inside.
- ``jdbc:<url without credentials>#<table>``, ``kafka:<bootstrap servers>#<topic>``,
  ``database:<db>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from sparklineage.redact import REDACTED, redact_url

SESSION_CATALOG = "spark_catalog"
CATALOG_PREFIX = "spark.sql.catalog."
DEFAULT_DATABASE = "default"
TRUNCATION_MARK = "..."
REDACTED_URL = "jdbc:redacted"  # a JDBC URL Spark hid
ICEBERG_FORMAT = "iceberg"  # the format of an Iceberg Hadoop catalog's tables (see table())

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$")


@dataclass(frozen=True, slots=True)
class _DottedName:
    """A name of dot-separated parts, as the id joins them."""

    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        """The last part: the table's, view's or database's own name."""
        return self.parts[-1] if self.parts else ""

    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class TableName(_DottedName):
    """A catalog table: ``db.t``, or ``catalog.db.t`` outside Spark's session catalog."""

    kind: ClassVar[str] = "table"

    @property
    def catalog(self) -> str | None:
        return self.parts[0] if len(self.parts) >= 3 else None

    @property
    def database(self) -> str | None:
        return ".".join(self.parts[1:-1] if len(self.parts) >= 3 else self.parts[:-1]) or None


@dataclass(frozen=True, slots=True)
class ViewName(_DottedName):
    """A view: ``db.v``, or a temporary view's bare name (it lives in one session only)."""

    kind: ClassVar[str] = "view"

    @property
    def temporary(self) -> bool:
        return len(self.parts) == 1


@dataclass(frozen=True, slots=True)
class DatabaseName(_DottedName):
    """A database (a namespace: ``db``, or ``catalog.db`` outside the session catalog)."""

    kind: ClassVar[str] = "database"


@dataclass(frozen=True, slots=True)
class PathName:
    """A file system path: ``scheme://authority/path``, or ``scheme:/path`` without one."""

    scheme: str
    authority: str | None
    path: str
    kind: ClassVar[str] = "path"

    @property
    def uri(self) -> str:
        if self.authority is None:
            return f"{self.scheme}:{self.path}"
        return f"{self.scheme}://{self.authority}{self.path}"

    def text(self) -> str:
        return self.uri


@dataclass(frozen=True, slots=True)
class JdbcName:
    """A table of a JDBC database: the URL without credentials (``jdbc:redacted`` when Spark
    hid it), and the table as Spark names it. Its id is the URL and the table,
    ``jdbc:sqlite:/db#t``: the URL's own ``jdbc:`` is the kind (never ``jdbc:jdbc:``)."""

    url: str  # always starts with "jdbc:"
    table: str
    kind: ClassVar[str] = "jdbc"

    def text(self) -> str:
        return f"{self.url.removeprefix('jdbc:')}#{self.table}"


@dataclass(frozen=True, slots=True)
class KafkaName:
    servers: str
    topic: str
    kind: ClassVar[str] = "kafka"

    def text(self) -> str:
        return f"{self.servers}#{self.topic}"


@dataclass(frozen=True, slots=True)
class RelationName:
    """A relation the plan shows only by its columns' expression ids (resolved later)."""

    expression_ids: tuple[int, ...]
    kind: ClassVar[str] = "relation"

    def text(self) -> str:
        return ",".join(map(str, self.expression_ids))


Name = TableName | ViewName | DatabaseName | PathName | JdbcName | KafkaName | RelationName


@dataclass(frozen=True, slots=True)
class Dataset:
    """Something a query reads or writes: its name's parts, with what the log says of it.

    ``id`` is derived from the parts (``<kind>:<text>``, the grammar above), once: it is the
    key datasets are compared, sorted and reported by.
    """

    name: Name
    location: str | None = None  # a table's storage path, when the log shows it
    format: str | None = None
    truncated: bool = False  # Spark cut the name in the plan; the id may be incomplete
    id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"{self.name.kind}:{self.name.text()}")

    @property
    def kind(self) -> str:
        """table | view | path | jdbc | kafka | database | relation"""
        return self.name.kind

    def merged(self, other: Dataset) -> Dataset:
        """The same dataset seen twice: keep every detail either sighting had."""
        return Dataset(
            self.name,
            location=self.location or other.location,
            format=self.format or other.format,
            truncated=self.truncated and other.truncated,
        )


_ICEBERG_CATALOGS = (
    "org.apache.iceberg.spark.SparkCatalog",
    "org.apache.iceberg.spark.SparkSessionCatalog",
)
_HADOOP_CATALOG_IMPL = "org.apache.iceberg.hadoop.HadoopCatalog"


@dataclass(frozen=True, slots=True)
class NamingContext:
    """What the application's environment says about names (warehouse, default file system,
    the V2 catalogs of ``spark.sql.catalog.<name>`` and their settings)."""

    default_fs: str | None = None  # fs.defaultFS: the file system of scheme-less paths
    warehouse: str | None = None  # spark.sql.warehouse.dir
    catalogs: tuple[tuple[str, str], ...] = ()  # (name, implementation class), spark.sql.catalog.*
    catalog_settings: tuple[tuple[str, str, str], ...] = ()  # (catalog, key, value): .url, .type…

    @classmethod
    def from_properties(cls, properties: Iterable[tuple[str, str]]) -> NamingContext:
        """The context an application's environment properties describe."""
        props = dict(properties)
        catalogs, settings = [], []
        for key, value in props.items():
            if not key.startswith(CATALOG_PREFIX):
                continue
            name, _, setting = key.removeprefix(CATALOG_PREFIX).partition(".")
            if setting:
                settings.append((name, setting, value))
            else:
                catalogs.append((name, value))
        return cls(
            default_fs=props.get("spark.hadoop.fs.defaultFS") or props.get("fs.defaultFS"),
            warehouse=props.get("spark.sql.warehouse.dir"),
            catalogs=tuple(catalogs),
            catalog_settings=tuple(settings),
        )

    def is_jdbc_catalog(self, name: str) -> bool:
        return any(n == name and cls.endswith("JDBCTableCatalog") for n, cls in self.catalogs)

    def setting(self, catalog: str, key: str) -> str | None:
        """A catalog's ``spark.sql.catalog.<catalog>.<key>``."""
        return next((v for c, k, v in self.catalog_settings if c == catalog and k == key), None)

    def jdbc_url(self, catalog: str | None = None) -> str | None:
        """The URL of a JDBC catalog (of the only one, when none is named), else None."""
        urls = [
            url
            for name, _ in self.catalogs
            if self.is_jdbc_catalog(name) and name == (catalog or name)
            for url in [self.setting(name, "url")]
            if url
        ]
        return urls[0] if len(urls) == 1 else None

    def catalog_named_by_class(self, class_name: str) -> str | None:
        """The one catalog configured with this class (plans print V2 catalogs as class@hash)."""
        names = [name for name, cls in self.catalogs if cls == class_name]
        return names[0] if len(names) == 1 else None

    def iceberg_catalog(self) -> str | None:
        """The application's one Iceberg catalog, if it has exactly one."""
        names = [name for name, cls in self.catalogs if cls in _ICEBERG_CATALOGS]
        return names[0] if len(names) == 1 else None

    def hadoop_warehouse(self, catalog: str) -> str | None:
        """The warehouse of an Iceberg Hadoop catalog: its tables are the directories
        ``<warehouse>/<namespace…>/<table>`` (no metastore; the path is the table)."""
        if not self.catalogs or dict(self.catalogs).get(catalog) not in _ICEBERG_CATALOGS:
            return None  # most applications configure no catalog: asked of every table
        if self.setting(catalog, "type") != "hadoop" and (
            self.setting(catalog, "catalog-impl") != _HADOOP_CATALOG_IMPL
        ):
            return None
        return self.setting(catalog, "warehouse")


def table_parts(identifier: str) -> list[str]:
    """The parts of ``\\`cat\\`.\\`db\\`.\\`t\\```, ``db.t`` or ``t``, unquoted."""
    text = identifier.strip()
    if "`" in text:
        return [p.replace("``", "`") for p in re.findall(r"`((?:[^`]|``)*)`", text)]
    return [p for p in text.split(".") if p]


def table(
    identifier: str,
    *,
    location: str | None = None,
    fmt: str | None = None,
    ctx: NamingContext | None = None,
) -> Dataset:
    """A catalog table from its identifier as Spark prints it. A table of an Iceberg Hadoop
    catalog gets the directory it is as its location (plans never print it)."""
    parts = _qualified_parts(identifier)
    if location is None and ctx is not None and len(parts) >= 2:
        warehouse = ctx.hadoop_warehouse(parts[0])
        if warehouse:
            location = "/".join((warehouse.rstrip("/"), *parts[1:]))
            fmt = fmt or ICEBERG_FORMAT
    return Dataset(
        TableName(parts),
        location=path_uri(location, ctx) if location else None,
        format=fmt.lower() if fmt else None,
        truncated=identifier.endswith(TRUNCATION_MARK),
    )


def qualified_name(identifier: str) -> str:
    """``db.table`` (or ``catalog.db.table`` outside the session catalog), lower-case."""
    return ".".join(_qualified_parts(identifier))


def _qualified_parts(identifier: str) -> tuple[str, ...]:
    parts = [p.lower() for p in table_parts(identifier)]
    if len(parts) >= 3 and parts[0] == SESSION_CATALOG:
        parts = parts[1:]
    if len(parts) == 1:
        parts = [DEFAULT_DATABASE, *parts]
    return tuple(parts)


def view(identifier: str, *, temporary: bool) -> Dataset:
    if temporary:
        return Dataset(ViewName((table_parts(identifier)[-1].lower(),)))
    return Dataset(ViewName(_qualified_parts(identifier)))


def database(name: str) -> Dataset:
    parts = [p.lower() for p in table_parts(name)]
    if len(parts) >= 2 and parts[0] == SESSION_CATALOG:
        parts = parts[1:]
    return Dataset(DatabaseName(tuple(parts)))


def path(uri: str, *, fmt: str | None = None, ctx: NamingContext | None = None) -> Dataset:
    """A path dataset; a path Spark truncated is flagged, never silently wrong."""
    return Dataset(
        path_name(uri, ctx),
        format=fmt.lower() if fmt else None,
        truncated=uri.rstrip().endswith(TRUNCATION_MARK),
    )


def path_uri(uri: str, ctx: NamingContext | None = None) -> str:
    """Normalise a path: scheme kept (the default file system's when it has none), no
    credentials, no duplicate or trailing slashes; local paths as ``file:/x``."""
    return path_name(uri, ctx).uri


def path_name(uri: str, ctx: NamingContext | None = None) -> PathName:
    """The parts of a normalised path (see :func:`path_uri`)."""
    scheme, rest = _split_scheme(redact_url(uri.strip()), ctx)
    if scheme == "file":
        return PathName("file", None, _clean(_strip_local_authority(rest)))
    if rest.startswith("//"):
        authority, _, tail = rest[2:].partition("/")
        tail = _clean("/" + tail)
        return PathName(scheme, authority, "" if tail == "/" else tail)
    return PathName(scheme, None, _clean(rest))


def _split_scheme(uri: str, ctx: NamingContext | None) -> tuple[str, str]:
    match = _SCHEME.match(uri)
    if match and len(match.group(1)) > 1:  # one letter would be a Windows drive
        return match.group(1).lower(), match.group(2)
    default = (ctx.default_fs if ctx else None) or "file:///"
    scheme, _, root = default.partition(":")
    return scheme.lower(), root.rstrip("/") + "/" + uri.lstrip("/")


def _strip_local_authority(rest: str) -> str:
    """``///x`` and ``//localhost/x`` are the local ``/x``."""
    if rest.startswith("//"):
        authority, _, tail = rest[2:].partition("/")
        if authority in ("", "localhost"):
            return "/" + tail
    return rest


def _clean(p: str) -> str:
    p = re.sub(r"/+", "/", p)
    p = re.sub(r"/(\./)+", "/", p)
    return p.rstrip("/") or "/"


def managed_table(dataset: Dataset, ctx: NamingContext) -> Dataset:
    """A path in the warehouse is a managed table's: ``<warehouse>/t`` is ``default.t``,
    ``<warehouse>/db.db/t`` is ``db.t`` (a streaming ``toTable`` sink is known only by path)."""
    if not isinstance(dataset.name, PathName) or not ctx.warehouse:
        return dataset
    root = path_uri(ctx.warehouse, ctx) + "/"
    location = dataset.name.uri
    if not location.startswith(root):
        return dataset
    parts = location.removeprefix(root).split("/")
    if len(parts) == 1:
        return table(parts[0], location=location, fmt=dataset.format, ctx=ctx)
    if len(parts) == 2 and parts[0].endswith(".db"):
        return table(
            f"{parts[0].removesuffix('.db')}.{parts[1]}",
            location=location,
            fmt=dataset.format,
            ctx=ctx,
        )
    return dataset


def relation(expression_ids: list[int]) -> Dataset:
    """A relation the plan shows only by its columns' expression ids (a temporary view over a
    path, say): resolved later against a scan of the same ids, which names its files."""
    return Dataset(RelationName(tuple(sorted(expression_ids))))


def jdbc(url: str | None, table_name: str) -> Dataset:
    """A JDBC table; the URL without credentials, or ``redacted`` when Spark hid it (the
    plans always do: only a JDBC catalog's settings keep the URL)."""
    clean = _jdbc_url_without_parameters(redact_url(url)) if url else ""
    if not clean or REDACTED in clean:  # Spark put its marker for the whole URL
        clean = REDACTED_URL
    elif not clean.startswith("jdbc:"):
        clean = f"jdbc:{clean}"
    return Dataset(JdbcName(clean, table_name.strip()), format="jdbc")


def _jdbc_url_without_parameters(url: str) -> str:
    """A JDBC URL without its connection parameters (credentials, options), but with the
    database a SQL Server URL names in them (``;databaseName=shop``): two databases of one
    server are two datasets."""
    base, _, params = url.partition("?")[0].partition(";")
    databases = [p for p in params.split(";") if _JDBC_DATABASE.match(p)]
    return ";".join((base, *databases))


_JDBC_DATABASE = re.compile(r"^(?:database|databaseName)=", re.I)


def kafka(servers: str | None, topic: str) -> Dataset:
    servers = redact_url(servers) if servers else "unknown"
    return Dataset(KafkaName(servers, topic), format="kafka")


def parse_id(dataset_id: str) -> Name:
    """The parts of an id this module wrote, for a report read back from its JSON (the one
    place ids are parsed: every other stage keeps the :class:`Dataset` it was given).

    The inverse of ``Dataset.id`` on every id of the grammar above; :class:`ValueError` for
    what is not one (a report edited by hand, or another tool's).
    """
    kind, sep, text = dataset_id.partition(":")
    if not sep:
        raise ValueError(f"dataset id {dataset_id!r} has no kind")
    parts = tuple(text.split(".")) if text else ()
    if kind == "table":
        return TableName(parts)
    if kind == "view":
        return ViewName(parts)
    if kind == "database":
        return DatabaseName(parts)
    if kind == "path":
        return _parse_path(dataset_id, text)
    if kind in ("jdbc", "kafka"):
        left, hash_sign, right = text.rpartition("#")
        if not hash_sign:
            raise ValueError(f"dataset id {dataset_id!r} has no '#' before its table or topic")
        return JdbcName(f"jdbc:{left}", right) if kind == "jdbc" else KafkaName(left, right)
    if kind == "relation":
        try:
            return RelationName(tuple(int(i) for i in text.split(",")) if text else ())
        except ValueError:
            raise ValueError(f"dataset id {dataset_id!r}: not expression ids") from None
    raise ValueError(f"dataset id {dataset_id!r}: unknown kind {kind!r}")


def _parse_path(dataset_id: str, uri: str) -> PathName:
    scheme, sep, rest = uri.partition(":")
    if not sep or not scheme:
        raise ValueError(f"dataset id {dataset_id!r}: a path without a scheme")
    if rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        return PathName(scheme, authority, slash + tail)
    return PathName(scheme, None, rest)
