"""The one registry of lineage rules, whatever they read.

Every rule has one signature, ``Rule[V] = Callable[[V], Effect]``: it gets a small frozen
*view* of what it reads (a plan node, a logical relation of the plan text, a catalog event,
a stream's description; see :mod:`.views`), which always carries the naming context, and
returns an :class:`Effect`. A rule is registered under a :class:`Kind` (which kind of view it
takes) and one or more names, the names Spark gives the thing it reads. Spark versions that
name or print the same thing differently are more names for one rule, never a version branch
inside it.

One registry rather than one table per subject: lookups, the check that no name is claimed
twice, and the list of what is understood (``RULES.names(kind)``) are written once, and a
caller looks any rule up the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import NamingContext


class View(Protocol):
    """What every rule's input has: the application's naming context."""

    @property
    def naming(self) -> NamingContext: ...


V = TypeVar("V", bound=View)
Rule = Callable[[V], Effect]


@dataclass(frozen=True)
class Kind(Generic[V]):
    """A kind of rule, typed by the view its rules take.

    ``leading_words``: a name with more words than any registered one falls back to its
    leading words (``Scan parquet spark_catalog.db.t`` → ``Scan parquet`` → ``Scan``).
    """

    name: str
    leading_words: bool = False


class Registry:
    """Rules by (kind, name)."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str], Callable[[Any], Effect]] = {}

    def rule(self, kind: Kind[V], *names: str) -> Callable[[Rule[V]], Rule[V]]:
        """Register the decorated function as the rule of ``kind`` for each of ``names``."""

        def register(fn: Rule[V]) -> Rule[V]:
            self.add(kind, names, fn)
            return fn

        return register

    def add(self, kind: Kind[V], names: tuple[str, ...] | list[str], fn: Rule[V]) -> None:
        """Register ``fn`` under ``names``; a name already taken is a bug, said at import."""
        for name in names:
            key = (kind.name, name)
            if key in self._rules:
                raise ValueError(f"two {kind.name} rules for {name!r}")
            self._rules[key] = fn

    def find(self, kind: Kind[V], name: str) -> Rule[V] | None:
        """The rule of ``kind`` for ``name``: its full name, then (kinds with leading-word
        fallback) ever shorter leading word prefixes."""
        if not kind.leading_words:
            return self._rules.get((kind.name, name))
        words = name.split(" ")
        for n in range(len(words), 0, -1):
            found = self._rules.get((kind.name, " ".join(words[:n])))
            if found is not None:
                return found
        return None

    def names(self, kind: Kind[V]) -> frozenset[str]:
        """Every name registered for ``kind``."""
        return frozenset(name for k, name in self._rules if k == kind.name)


RULES = Registry()
