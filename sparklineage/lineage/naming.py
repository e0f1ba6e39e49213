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
from dataclasses import dataclass

from sparklineage.redact import REDACTED, redact_url

SESSION_CATALOG = "spark_catalog"
CATALOG_PREFIX = "spark.sql.catalog."
DEFAULT_DATABASE = "default"
TRUNCATION_MARK = "..."

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$")
_JDBC_PARAMS = re.compile(r"[?;].*$")


@dataclass(frozen=True, slots=True)
class Dataset:
    """Something a query reads or writes, by its id, with what the log says of it."""

    id: str
    kind: str  # table | view | path | jdbc | kafka | database
    location: str | None = None  # a table's storage path, when the log shows it
    format: str | None = None
    truncated: bool = False  # Spark cut the name in the plan; the id may be incomplete

    def merged(self, other: Dataset) -> Dataset:
        """The same dataset seen twice: keep every detail either sighting had."""
        return Dataset(
            id=self.id,
            kind=self.kind,
            location=self.location or other.location,
            format=self.format or other.format,
            truncated=self.truncated and other.truncated,
        )


@dataclass(frozen=True, slots=True)
class NamingContext:
    """What the application's environment says about names (warehouse, default file system)."""

    default_fs: str | None = None  # fs.defaultFS: the file system of scheme-less paths
    warehouse: str | None = None  # spark.sql.warehouse.dir
    catalogs: tuple[tuple[str, str], ...] = ()  # (name, implementation class), spark.sql.catalog.*
    catalog_urls: tuple[tuple[str, str], ...] = ()  # (name, url), spark.sql.catalog.*.url

    @classmethod
    def from_properties(cls, properties: Iterable[tuple[str, str]]) -> NamingContext:
        """The context an application's environment properties describe."""
        props = dict(properties)
        catalogs = tuple(
            (key.removeprefix(CATALOG_PREFIX), value)
            for key, value in props.items()
            if key.startswith(CATALOG_PREFIX) and "." not in key.removeprefix(CATALOG_PREFIX)
        )
        urls = tuple(
            (key.removeprefix(CATALOG_PREFIX).removesuffix(".url"), value)
            for key, value in props.items()
            if key.startswith(CATALOG_PREFIX) and key.endswith(".url")
        )
        return cls(
            default_fs=props.get("spark.hadoop.fs.defaultFS") or props.get("fs.defaultFS"),
            warehouse=props.get("spark.sql.warehouse.dir"),
            catalogs=catalogs,
            catalog_urls=urls,
        )

    def is_jdbc_catalog(self, name: str) -> bool:
        return any(n == name and cls.endswith("JDBCTableCatalog") for n, cls in self.catalogs)

    def jdbc_url(self, catalog: str | None = None) -> str | None:
        """The URL of a JDBC catalog (of the only one, when none is named), else None."""
        urls = [u for n, u in self.catalog_urls if self.is_jdbc_catalog(n) and n == (catalog or n)]
        return urls[0] if len(urls) == 1 else None

    def catalog_named_by_class(self, class_name: str) -> str | None:
        """The one catalog configured with this class (plans print V2 catalogs as class@hash)."""
        names = [name for name, cls in self.catalogs if cls == class_name]
        return names[0] if len(names) == 1 else None


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
    """A catalog table from its identifier as Spark prints it."""
    return Dataset(
        id=f"table:{qualified_name(identifier)}",
        kind="table",
        location=path_uri(location, ctx) if location else None,
        format=fmt.lower() if fmt else None,
        truncated=identifier.endswith(TRUNCATION_MARK),
    )


def qualified_name(identifier: str) -> str:
    """``db.table`` (or ``catalog.db.table`` outside the session catalog), lower-case."""
    parts = [p.lower() for p in table_parts(identifier)]
    if len(parts) >= 3 and parts[0] == SESSION_CATALOG:
        parts = parts[1:]
    if len(parts) == 1:
        parts = [DEFAULT_DATABASE, *parts]
    return ".".join(parts)


def view(identifier: str, *, temporary: bool) -> Dataset:
    if temporary:
        return Dataset(id=f"view:{table_parts(identifier)[-1].lower()}", kind="view")
    return Dataset(id=f"view:{qualified_name(identifier)}", kind="view")


def database(name: str) -> Dataset:
    parts = [p.lower() for p in table_parts(name)]
    if len(parts) >= 2 and parts[0] == SESSION_CATALOG:
        parts = parts[1:]
    return Dataset(id=f"database:{'.'.join(parts)}", kind="database")


def path(uri: str, *, fmt: str | None = None, ctx: NamingContext | None = None) -> Dataset:
    """A path dataset; a path Spark truncated is flagged, never silently wrong."""
    return Dataset(
        id=f"path:{path_uri(uri, ctx)}",
        kind="path",
        format=fmt.lower() if fmt else None,
        truncated=uri.rstrip().endswith(TRUNCATION_MARK),
    )


def path_uri(uri: str, ctx: NamingContext | None = None) -> str:
    """Normalise a path: scheme kept (the default file system's when it has none), no
    credentials, no duplicate or trailing slashes; local paths as ``file:/x``."""
    scheme, rest = _split_scheme(redact_url(uri.strip()), ctx)
    if scheme == "file":
        return "file:" + _clean(_strip_local_authority(rest))
    if rest.startswith("//"):
        authority, _, tail = rest[2:].partition("/")
        tail = _clean("/" + tail)
        return f"{scheme}://{authority}" + ("" if tail == "/" else tail)
    return f"{scheme}:{_clean(rest)}"


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
    if dataset.kind != "path" or not ctx.warehouse:
        return dataset
    root = path_uri(ctx.warehouse, ctx) + "/"
    location = dataset.id.removeprefix("path:")
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
    return Dataset(id="relation:" + ",".join(map(str, sorted(expression_ids))), kind="relation")


def jdbc(url: str | None, table_name: str) -> Dataset:
    """A JDBC table; the URL without credentials, or ``redacted`` when Spark hid it (the
    plans always do: only a JDBC catalog's settings keep the URL)."""
    clean = _JDBC_PARAMS.sub("", redact_url(url)) if url else ""
    if not clean or REDACTED in clean:  # Spark put its marker for the whole URL
        clean = "redacted"
    return Dataset(id=f"jdbc:{clean}#{table_name.strip()}", kind="jdbc", format="jdbc")


def kafka(servers: str | None, topic: str) -> Dataset:
    servers = redact_url(servers) if servers else "unknown"
    return Dataset(id=f"kafka:{servers}#{topic}", kind="kafka", format="kafka")
