"""The ``sparkPlanInfo`` tree of a SQL execution, as frozen nodes.

Under adaptive execution the root is ``AdaptiveSparkPlan`` and the write command one level
down; commands are ``Execute <Command>`` nodes. Rules therefore walk the whole tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

EXECUTE = "Execute "


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One node: Spark's ``nodeName``, ``simpleString`` and ``metadata``, and its children."""

    name: str
    simple: str
    metadata: tuple[tuple[str, str], ...]
    children: tuple[PlanNode, ...]

    @property
    def key(self) -> str:
        """The name rules are registered under: ``X`` for ``Execute X``, else the node name."""
        return self.name.removeprefix(EXECUTE)

    def meta(self, key: str) -> str | None:
        return next((v for k, v in self.metadata if k == key), None)

    def walk(self) -> Iterator[PlanNode]:
        """This node and all below it, parents before children."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def plan_tree(info: Any) -> PlanNode | None:
    """The tree of a ``sparkPlanInfo`` mapping; None for an empty plan (4.x analysis errors)
    or one that is not a mapping at all. Built without recursion, so a tree as deep as JSON
    allows is no stack overflow; values of the wrong type read as empty."""
    if not isinstance(info, Mapping) or not info.get("nodeName"):
        return None
    # Post-order over an explicit stack: a node is built once all its children are.
    built: dict[int, PlanNode] = {}
    stack: list[tuple[Mapping[str, Any], bool]] = [(info, False)]
    while stack:
        node, expanded = stack.pop()
        kids = _children(node)
        if not expanded:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(kids) if id(kid) not in built)
            continue
        built[id(node)] = PlanNode(
            name=_text(node.get("nodeName")).strip(),
            simple=_text(node.get("simpleString")),
            metadata=_metadata(node.get("metadata")),
            children=tuple(built[id(kid)] for kid in kids),
        )
    return built[id(info)]


def _children(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    children = node.get("children")
    if not isinstance(children, list):
        return []
    return [child for child in children if isinstance(child, Mapping)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _metadata(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        return ()
    return tuple(sorted((str(k), _text(v)) for k, v in value.items()))
