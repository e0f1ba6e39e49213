"""What a node's printed arguments say, read from the plan text alone.

Spark prints a node's arguments in one of three places depending on the version: the
``Arguments:`` line of its block in a formatted plan (3.1+), its line in an extended plan's
analyzed logical plan (2.x, 3.0), or its ``simpleString``. :func:`arguments_of` looks in
that order, so the rules that read arguments need no version branches.

Everything here reads text and returns text (identifiers, paths, ids, option maps): nothing
names a dataset. Naming belongs to ``lineage/naming.py`` and the rules in ``lineage/rules/``,
which build on these readers; keeping them apart lets plan parsing be tested and reused
(column lineage reads the same lines) without the naming rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sparklineage.plan.text import EXPRESSION_ID, PlanText, split_arguments
from sparklineage.plan.tree import EXECUTE

ANALYZED = "Analyzed Logical Plan"
_QUOTED_TABLE = re.compile(r"^(?:`(?:[^`]|``)+`\.)*`(?:[^`]|``)+`$")
# A CatalogTable printed whole (3.3: "Database: db\nTable: t\n…") or as Hive CTAS prints its
# target ("[Database: hr, TableName: dept_counts]").
_DUMPED_TABLE = re.compile(r"Database: ([^\s,\]]+)[,\s]+Table(?:Name)?: ([^\s,\]]+)")
_STORAGE_LOCATION = re.compile(r"Location: ([^,\)\]\s]+)")
_INDEX_PATHS = re.compile(r"\[([^\[\]]*)\]\s*$")
_FILE_FORMATS = {
    "parquet", "orc", "csv", "json", "text", "avro", "binaryfile", "hivefileformat", "delta",
}  # fmt: skip
_OUTPUT_COLUMNS = re.compile(r"\[([^\[\]]*#\d+[^\[\]]*)\]")
_EXTENDED_RELATION = re.compile(r"^(Relation|HiveTableRelation) ?([`\w.]*)\[([^\]]*)\]")
_CHILD_LINE = re.compile(r"^[\s:|]*[+:]- ")
_TEXT_FILE_SCAN = re.compile(
    r"FileScan (\w+) ?([\w.`]*)\[([^\]]*)\][^\n]*?Location: \w+(?:\(\d+ paths?\))? ?\[([^\]]*)\]"
)


def arguments_of(name: str, simple: str, text: PlanText) -> list[str]:
    """A node's arguments (``name`` and ``simple`` as the plan tree gives them): its
    ``Arguments:`` line in formatted plan text, its line in an extended plan's analyzed
    plan (2.x, 3.0), else its simpleString."""
    key = name.removeprefix(EXECUTE)
    for block in text.blocks_named(key, name):
        if block.arguments is not None:
            return split_arguments(block.arguments)
    node = _analyzed_node(text, key)
    if node is not None:
        return split_arguments(node)
    rest = simple.removeprefix(name).strip()
    if rest.startswith(key):  # 2.x/3.0: "Execute X X args"
        rest = rest.removeprefix(key).strip()
    return split_arguments(rest)


# ---------------------------------------------------------------- single arguments


def table_arguments(args: list[str]) -> list[str]:
    """Arguments that are table identifiers (quoted, or a dumped CatalogTable)."""
    return [a for a in args if _QUOTED_TABLE.match(a) or _DUMPED_TABLE.search(a)]


def table_identifier(arg: str) -> str:
    """The identifier of a table argument: ``db.t`` of a dumped CatalogTable, else itself."""
    dumped = _DUMPED_TABLE.search(arg)
    return f"{dumped.group(1)}.{dumped.group(2)}" if dumped else arg


def bare_identifier(arg: str) -> str:
    """``sales.orders`` or ``[sales]`` as V2 nodes print them: the identifier inside."""
    return arg.strip().strip("[]").strip()


def storage_location(args: list[str]) -> str | None:
    """The ``Location:`` of a printed storage format (``InsertIntoDataSourceDirCommand``)."""
    for arg in args:
        found = _STORAGE_LOCATION.search(arg)
        if found:
            return found.group(1)
    return None


def format_of(args: list[str]) -> str | None:
    """The file format a printed ``FileFormat`` class (``ParquetFileFormat``, ``parquet``) names."""
    for arg in args:
        word = arg.rsplit(".", 1)[-1].split("@")[0].lower()
        for fmt in _FILE_FORMATS:
            if word == fmt or (word.startswith(fmt) and word.endswith(("fileformat", "format"))):
                return fmt
    return None


def options(arg: str) -> dict[str, str]:
    """``[k=v, k2=v2]`` or ``Map(k -> v)`` as Spark prints option maps."""
    body = arg.strip().removeprefix("Map(").removesuffix(")").strip("[]")
    pairs = {}
    for item in split_arguments(body):
        key, sep, value = item.partition("->") if "->" in item else item.partition("=")
        if sep:
            pairs[key.strip().lower()] = value.strip()
    return pairs


def is_true(args: list[str], index: int) -> bool:
    """Whether the boolean argument at ``index`` is printed ``true``."""
    return len(args) > index and args[index].strip() == "true"


def expression_ids(text: str) -> list[int]:
    """The expression ids in the first column list of ``text`` (``[a#1, b#2L]``)."""
    found = _OUTPUT_COLUMNS.search(text)
    return [int(i) for i in EXPRESSION_ID.findall(found.group(1))] if found else []


# ---------------------------------------------------------------- file indexes


def location_in(simple: str) -> str:
    """The ``Location:`` file index of a scan's simpleString (cut at 100 characters)."""
    found = re.search(r"Location: (\S*\[[^\]]*\]?)", simple)
    return found.group(1) if found else ""


def location_paths(location: str) -> list[str]:
    """Paths of a file index as Spark prints it: ``InMemoryFileIndex(2 paths)[a, b]``."""
    found = _INDEX_PATHS.search(location.strip()) or re.search(r"\[([^\[\]]*)$", location.strip())
    return listed_paths(found.group(1)) if found else []


def listed_paths(listing: str) -> list[str]:
    """The paths of a comma-separated listing, up to where a cut-off string runs into other
    fields (``…/ltx1-..., PartitionFilters: [``)."""
    paths = []
    for item in listing.split(","):
        item = item.strip()
        if not item or " " in item:
            break
        paths.append(item)
    return paths


def file_scans_in(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """(format, table or "", paths) of each ``FileScan`` printed anywhere in ``text`` (a cached
    relation prints the plan it was filled from)."""
    for fmt, table_name, _columns, paths in _TEXT_FILE_SCAN.findall(text):
        yield fmt, table_name, listed_paths(paths)


# ---------------------------------------------------------------- extended plans (2.x, 3.0)


@dataclass(frozen=True, slots=True)
class ExtendedRelation:
    """A relation line of an extended plan's analyzed plan: ``Relation db.t[cols] fmt`` names
    its table, ``Relation[a#1,b#2] avro`` only its columns."""

    name: str  # Relation or HiveTableRelation
    table: str  # "" when the line names no table
    columns: str  # the column list, without its brackets


def extended_relations(text: PlanText) -> Iterator[ExtendedRelation]:
    """Each relation in an extended plan's analyzed plan, in order."""
    for line in text.tree_lines(ANALYZED):
        found = _EXTENDED_RELATION.match(line)
        if found:
            yield ExtendedRelation(found.group(1), found.group(2), found.group(3))


def extended_write_columns(text: PlanText) -> list[str] | None:
    """The written column names of the write command in an extended plan's analyzed plan."""
    for command in ("InsertIntoHadoopFsRelationCommand", "InsertIntoHiveTable"):
        node = _analyzed_node(text, command)
        if node is None:
            continue
        lists = [a for a in split_arguments(node) if a.startswith("[")]
        plain = [a for a in lists if "#" not in a and "=" not in a and ":" not in a]
        return split_arguments(plain[-1][1:-1]) if plain else None
    return None


def _analyzed_node(text: PlanText, name: str) -> str | None:
    """The arguments of node ``name`` in an extended plan's analyzed plan (2.x, 3.0, or any
    version with ``explainMode=extended``): its line, run on over the lines of a CatalogTable
    3.3 prints whole (``Database: …`` to ``), …, [a, b]``) up to its first child."""
    lines = (text.section(ANALYZED) or "").splitlines()
    for number, line in enumerate(lines):
        stripped = _CHILD_LINE.sub("", line).strip()
        if not stripped.startswith(name + " "):
            continue
        rest = [stripped.removeprefix(name)]
        for more in lines[number + 1 :]:
            if _CHILD_LINE.match(more):
                break
            rest.append(more)
        return "\n".join(rest)
    return None
