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


def plan_tree(info: Mapping[str, Any]) -> PlanNode | None:
    """The tree of a ``sparkPlanInfo`` mapping; None for an empty plan (4.x analysis errors)."""
    if not info or not info.get("nodeName"):
        return None
    return _node(info)


def _node(info: Mapping[str, Any]) -> PlanNode:
    metadata = info.get("metadata") or {}
    return PlanNode(
        name=str(info.get("nodeName", "")).strip(),
        simple=str(info.get("simpleString", "")),
        metadata=tuple(sorted((str(k), str(v)) for k, v in metadata.items())),
        children=tuple(_node(child) for child in info.get("children") or ()),
    )
