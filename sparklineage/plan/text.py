"""The ``physicalPlanDescription`` text: where most command targets are from Spark 3.4 on.

Two shapes occur in real logs:

- *formatted* (the SQL UI's default from 3.1): a tree of ``Name (N)`` lines, then one block
  per node, ``(N) Name [codegen id : k]`` followed by ``Key [n]: value`` fields. For a v1
  command the blocks include the analyzed logical plan of its query (``LogicalRelation``,
  ``Project``, ``Aggregate``…), and the command's own ``Arguments:`` line names its target.
- *extended* (2.x, 3.0, or ``spark.sql.ui.explainMode=extended``): ``== Parsed Logical Plan ==``,
  ``== Analyzed Logical Plan ==``, ``== Optimized Logical Plan ==`` and ``== Physical Plan ==``
  sections, each an indented tree whose lines are the nodes' argument strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# An attribute as plans print it: ``amount#49`` (``#12L`` for longs); the id is the same in
# every part of one plan.
EXPRESSION_ID = re.compile(r"#(\d+)L?\b")
_SECTION = re.compile(r"^== (.+?) ==$", re.MULTILINE)
# Linear on any line: no lazy group before a trailing ``\s*$`` (that backtracks quadratically on a
# head followed by a long run of spaces); the codegen suffix is taken off afterwards.
_BLOCK_HEAD = re.compile(r"\((\d+)\) (.*)")
_CODEGEN = re.compile(r" \[codegen id : \d+\]$")
_FIELD = re.compile(r"^([A-Z][A-Za-z ]*?)(?: \[\d+\])?: ?(.*)$")
_TREE_PREFIX = re.compile(r"^[\s:+\-*|]*")
_ARGUMENTS = "Arguments"
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True, slots=True)
class PlanBlock:
    """One ``(N) Name`` block of a formatted plan, with its fields in order."""

    number: int
    name: str
    fields: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.fields if k == key), None)

    @property
    def arguments(self) -> str | None:
        return self.get(_ARGUMENTS)


@dataclass(frozen=True, slots=True)
class PlanText:
    """A parsed plan description: its formatted blocks, its named sections, and the tree
    the formatted plan draws over its block numbers."""

    text: str
    blocks: tuple[PlanBlock, ...]
    sections: tuple[tuple[str, str], ...]
    tree: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (block number, its children)

    def block(self, number: int) -> PlanBlock | None:
        return next((b for b in self.blocks if b.number == number), None)

    def children(self, number: int) -> list[int]:
        """The block numbers drawn under block ``number``, first child first."""
        return list(next((kids for n, kids in self.tree if n == number), ()))

    def drawn(self, number: int) -> str:
        """Block ``number``'s line in the tree drawing, without the drawing: its name and what
        Spark prints beside it there alone on some versions (3.3: a join's type)."""
        for line in (self.section("Physical Plan") or "").splitlines():
            found = _DRAWN_NODE.search(line)
            if found and int(found.group(1)) == number:
                return _TREE_PREFIX.sub("", line[: found.start()]).strip()
        return ""

    def section(self, name: str) -> str | None:
        return next((body for title, body in self.sections if title == name), None)

    def blocks_named(self, *names: str) -> Iterator[PlanBlock]:
        return (b for b in self.blocks if b.name in names)

    def tree_lines(self, section: str) -> Iterator[str]:
        """The node lines of an extended-mode section, without their tree drawing."""
        body = self.section(section) or ""
        for line in body.splitlines():
            stripped = _TREE_PREFIX.sub("", line)
            if stripped:
                yield stripped


def parse_plan_text(text: str) -> PlanText:
    """Parse a plan description; parts it does not recognise are simply absent."""
    sections = tuple(_sections(text))
    physical = next((body for title, body in sections if title == "Physical Plan"), "")
    return PlanText(text, tuple(_blocks(text)), sections, _drawn_tree(physical))


_DRAWN_NODE = re.compile(r" \((\d+)\)\s*$")
_BRANCH = re.compile(r"[+:]- ")


def _drawn_tree(section: str) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """Parent → children of the formatted plan's tree drawing (``+- `` and ``:- `` lines)."""
    children: dict[int, list[int]] = {}
    stack: list[tuple[int, int]] = []  # (column of the node's branch mark, block number)
    for line in section.splitlines():
        if not line.strip():
            break  # the drawing ends at the first blank line; the blocks follow
        drawn = _DRAWN_NODE.search(line)
        if not drawn:
            continue
        branch = _BRANCH.search(line)
        column, number = (branch.start() if branch else -1), int(drawn.group(1))
        while stack and stack[-1][0] >= column:
            stack.pop()
        if stack:
            children.setdefault(stack[-1][1], []).append(number)
        children.setdefault(number, [])
        stack.append((column, number))
    return tuple((n, tuple(kids)) for n, kids in children.items())


def _sections(text: str) -> Iterator[tuple[str, str]]:
    """``== Title ==`` sections; none at all (an empty text, Spark 4's plan of a query that
    failed analysis, a formatted plan) is no error."""
    heads = list(_SECTION.finditer(text))
    ends = [h.start() for h in heads[1:]] + [len(text)] * bool(heads)
    for head, end in zip(heads, ends, strict=True):
        yield head.group(1), text[head.end() : end].strip("\n")


def _blocks(text: str) -> Iterator[PlanBlock]:
    """The ``(N) Name`` blocks; an ``Arguments`` field runs to the end of its block."""
    number: int | None = None
    name, fields = "", list[tuple[str, str]]()
    for line in text.splitlines():
        head = _BLOCK_HEAD.fullmatch(line)
        if head and head.group(2).strip():
            if number is not None:
                yield PlanBlock(number, name, tuple(fields))
            name = _CODEGEN.sub("", head.group(2).rstrip()).strip()
            number, fields = int(head.group(1)), []
        elif number is not None:
            _add_field_line(fields, line)
    if number is not None:
        yield PlanBlock(number, name, tuple(fields))


def _add_field_line(fields: list[tuple[str, str]], line: str) -> None:
    in_arguments = bool(fields) and fields[-1][0] == _ARGUMENTS
    field = None if in_arguments else _FIELD.match(line)
    if field:
        fields.append((field.group(1).strip(), field.group(2)))
    elif fields and line.strip():
        key, value = fields[-1]
        fields[-1] = (key, f"{value}\n{line}")


_SPECIAL = re.compile(r"[(\[{)\]},`'\"]")


def split_arguments(arguments: str) -> list[str]:
    """Split an argument list at its top-level commas (not inside brackets or quotes).

    Only the special characters are visited (a regex finds them), not every character: the
    arguments of some nodes run to kilobytes.
    """
    parts, depth, quote, start = [], 0, "", 0
    for match in _SPECIAL.finditer(arguments):
        char = match.group()
        if quote:
            if char == quote:
                quote = ""
        elif char in "`'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:  # a comma
            parts.append(arguments[start : match.start()].strip())
            start = match.end()
    tail = arguments[start:].strip()
    if tail or parts:
        parts.append(tail)
    return parts
