"""Spark's printed expressions (``coalesce(discount#50, amount#49)``) read as a small tree.

Column lineage needs to know *where* an attribute stands in an expression: bare, an argument
of a function, the condition of an ``if``/``CASE WHEN``, a branch value. Spark prints
expressions with ``toString``: calls as ``name(arg, …)``, ``If`` as ``if (p) a else b``,
``CaseWhen`` as ``CASE WHEN p THEN v … ELSE e END``, binary operators in parentheses, string
literals unquoted. This module reads that much and no more; what a function means for lineage
is ``lineage/functions.py``'s.

Unquoted literals can hold anything (a bracket, ``else``, ``END``): text that does not read as
balanced raises :class:`ExpressionSyntaxError`, and the caller falls back to a flat reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[()\[\],]|[^\s()\[\],]+")
_ATTRIBUTE = re.compile(r"^(.+)#(\d+)L?$")
_TRAILING_ID = re.compile(r"^#(\d+)L?$")
_MAX_DEPTH = 200  # deeper than any plan we met; guards Python's recursion limit


class ExpressionSyntaxError(ValueError):
    """The text does not read as one balanced expression."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """``amount#49``: a column, by expression id."""

    id: int


@dataclass(frozen=True, slots=True)
class Call:
    """``name(arg, …)``, also ``if (p) a else b`` (``if``: p, a, b) and ``CASE WHEN p1 THEN v1
    … ELSE e END`` (``case``: p1, v1, …, e). ``id`` is the attribute a call names when Spark
    prints it as one (``sum(amount#49)#61``, an aggregate's result)."""

    name: str
    arguments: tuple[Expression, ...]
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """Several terms side by side: operators and their operands (``(a#1 * 2)``), a tuple, a
    window function and its ``windowspecdefinition``."""

    terms: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Token:
    """A literal, an operator or a keyword: no column."""

    text: str


Expression = Attribute | Call | Operation | Token


def parse_expression(text: str) -> Expression:
    """The tree of one printed expression; :class:`ExpressionSyntaxError` when unbalanced."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    reader = _Reader(tokens)
    expression = reader.sequence(frozenset(), 0)
    if reader.position != len(tokens):
        raise ExpressionSyntaxError(f"unexpected {tokens[reader.position][0]!r}")
    return expression


class _Reader:
    """A recursive descent over the tokens; positions tell a call (``f(``) from a group
    (``IN (``)."""

    def __init__(self, tokens: list[tuple[str, int, int]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ExpressionSyntaxError(f"expected {expected or 'more'}, found {token!r}")
        self.position += 1
        return token

    def adjacent(self) -> bool:
        """Whether the next token follows the last one with no space between."""
        return (
            0 < self.position < len(self.tokens)
            and self.tokens[self.position][1] == self.tokens[self.position - 1][2]
        )

    def sequence(self, stops: frozenset[str], depth: int) -> Expression:
        """Terms up to a closing bracket, a comma or a stop word of the enclosing construct."""
        if depth > _MAX_DEPTH:
            raise ExpressionSyntaxError("nested too deep")
        terms: list[Expression] = []
        while (token := self.peek()) is not None and token not in ",)]" and token not in stops:
            terms.append(self.term(stops, depth + 1))
        if not terms:
            return Token("")
        return terms[0] if len(terms) == 1 else Operation(tuple(terms))

    def term(self, stops: frozenset[str], depth: int) -> Expression:
        token = self.take()
        if token in "([":
            return self.group(token, depth)
        if token == "if" and self.peek() == "(" and not self.adjacent():
            return self.conditional(stops, depth)
        if token == "CASE":
            return self.case(depth)
        if self.peek() == "(" and self.adjacent():
            self.take("(")
            arguments = self.arguments(")", depth)
            return Call(token.lower(), arguments, self.trailing_id())
        attribute = _ATTRIBUTE.match(token)
        return Attribute(int(attribute.group(2))) if attribute else Token(token)

    def arguments(self, close: str, depth: int) -> tuple[Expression, ...]:
        items = [self.sequence(frozenset(), depth)]
        while self.peek() == ",":
            self.take(",")
            items.append(self.sequence(frozenset(), depth))
        self.take(close)
        return tuple(i for i in items if i != Token(""))

    def group(self, opening: str, depth: int) -> Expression:
        items = self.arguments(")" if opening == "(" else "]", depth)
        return items[0] if len(items) == 1 else Operation(items)

    def trailing_id(self) -> int | None:
        token = self.peek()
        if token is not None and self.adjacent() and (found := _TRAILING_ID.match(token)):
            self.take()
            return int(found.group(1))
        return None

    def conditional(self, stops: frozenset[str], depth: int) -> Call:
        """``if (predicate) a else b``: ``b`` runs to the end of the enclosing item."""
        self.take("(")
        predicate = self.group("(", depth)
        value = self.sequence(frozenset({"else"}), depth)
        self.take("else")
        return Call("if", (predicate, value, self.sequence(stops, depth)))

    def case(self, depth: int) -> Call:
        """``CASE WHEN p THEN v … [ELSE e] END`` as (p, v, …, e)."""
        parts: list[Expression] = []
        while self.peek() == "WHEN":
            self.take("WHEN")
            parts.append(self.sequence(frozenset({"THEN"}), depth))
            self.take("THEN")
            parts.append(self.sequence(frozenset({"WHEN", "ELSE", "END"}), depth))
        if self.peek() == "ELSE":
            self.take("ELSE")
            parts.append(self.sequence(frozenset({"END"}), depth))
        self.take("END")
        return Call("case", tuple(parts))
