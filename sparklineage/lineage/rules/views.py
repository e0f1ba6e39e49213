"""What each kind of rule sees: one small frozen view per subject, and its :class:`Kind`.

A view holds only what its rules read, and the naming context (the :class:`View` protocol
every rule input shares), so that a rule is a function of its view alone and a caller that
has the subject in another shape (column lineage has a plan-text block, not a tree node)
builds the same view from what it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sparklineage.events import CatalogEvent
from sparklineage.lineage.naming import NamingContext
from sparklineage.lineage.rules.registry import Kind
from sparklineage.plan import PlanBlock, PlanNode, PlanText
from sparklineage.plan.arguments import ExtendedRelation, arguments_of, table_arguments
from sparklineage.plan.tree import EXECUTE


@dataclass(frozen=True)
class NodeView:
    """One plan node as a rule sees it: Spark's name, ``simpleString`` and metadata of the
    node, the plan text around it, the naming."""

    name: str
    simple: str
    metadata: tuple[tuple[str, str], ...]
    text: PlanText
    naming: NamingContext

    @classmethod
    def of(cls, node: PlanNode, text: PlanText, naming: NamingContext) -> NodeView:
        """A node of the ``sparkPlanInfo`` tree."""
        return cls(node.name, node.simple, node.metadata, text, naming)

    @classmethod
    def of_block(cls, block: PlanBlock, text: PlanText, naming: NamingContext) -> NodeView:
        """A node known only by its block in formatted plan text (no simpleString): its
        ``Location`` and ``Format`` fields stand for the metadata the tree would carry (and its
        ``Output``, where 3.3 prints a DSv2 scan's table)."""
        metadata = tuple((k, v) for k, v in block.fields if k in ("Location", "Format", "Output"))
        return cls(block.name, "", metadata, text, naming)

    @property
    def key(self) -> str:
        """The name rules are registered under: ``X`` for ``Execute X``, else the node name."""
        return self.name.removeprefix(EXECUTE)

    def meta(self, key: str) -> str | None:
        return next((v for k, v in self.metadata if k == key), None)

    @cached_property
    def args(self) -> list[str]:
        """The node's arguments, split (only for the rules that read them: plans are long)."""
        return arguments_of(self.name, self.simple, self.text)

    def table_args(self) -> list[str]:
        """Arguments that are table identifiers (quoted, or a dumped CatalogTable)."""
        return table_arguments(self.args)


@dataclass(frozen=True)
class LogicalView:
    """A logical relation block of formatted plan text (the analyzed plan of v1 commands)."""

    block: PlanBlock
    naming: NamingContext


@dataclass(frozen=True)
class ExtendedRelationView:
    """A relation line of an extended plan's analyzed plan (2.x, 3.0)."""

    relation: ExtendedRelation
    naming: NamingContext


@dataclass(frozen=True)
class CatalogEventView:
    """A catalog event (``CreateTableEvent``…): evidence for DDL the plan may not name."""

    event: CatalogEvent
    naming: NamingContext


@dataclass(frozen=True)
class StreamView:
    """One source or the sink of a streaming query's progress event, ``Name[body]``."""

    name: str
    body: str
    sink: bool
    naming: NamingContext


NODE = Kind[NodeView]("node", leading_words=True)
LOGICAL = Kind[LogicalView]("logical")
EXTENDED_RELATION = Kind[ExtendedRelationView]("extended_relation")
CATALOG_EVENT = Kind[CatalogEventView]("catalog_event")
STREAM = Kind[StreamView]("stream")
KINDS = (NODE, LOGICAL, EXTENDED_RELATION, CATALOG_EVENT, STREAM)
