"""Lineage rules: one small function per thing Spark logs, all in one registry.

A rule gets a frozen view of what it reads and returns an :class:`Effect` (the operation it
stands for, the datasets read and written). Every kind of rule is in :data:`RULES`, looked up
as ``RULES.find(kind, name)``:

- :data:`NODE`: plan-tree nodes and commands, under the name Spark gives them (``Execute X``
  as ``X``), with a leading-words fallback (``Scan parquet db.t`` → ``Scan parquet`` →
  ``Scan``); in :mod:`.writes`, :mod:`.ddl`, :mod:`.scans`, :mod:`.plumbing`;
- :data:`LOGICAL` and :data:`EXTENDED_RELATION`: logical relations of the plan text
  (:mod:`.logical`);
- :data:`CATALOG_EVENT`: catalog events (:mod:`.catalog_events`);
- :data:`STREAM`: streaming sources and sinks of progress events (:mod:`.streams`).

Spark versions differ in names and in where arguments are printed, not in what they mean:
several names register one rule, and ``plan/arguments.py`` finds arguments wherever the
version printed them, so no rule has a version branch. Reading plan text is ``plan/``'s
job; naming what it names is the rules' (through ``lineage/naming.py``).
"""

from sparklineage.lineage.rules import (
    catalog_events,
    ddl,
    logical,
    plumbing,
    scans,
    streams,
    writes,
)
from sparklineage.lineage.rules.plumbing import NO_DATASET, NO_LINEAGE_COMMANDS, is_unsupported
from sparklineage.lineage.rules.registry import RULES, Kind, Registry, Rule, View
from sparklineage.lineage.rules.scans import scan_block_reads
from sparklineage.lineage.rules.views import (
    CATALOG_EVENT,
    EXTENDED_RELATION,
    KINDS,
    LOGICAL,
    NODE,
    STREAM,
    CatalogEventView,
    ExtendedRelationView,
    LogicalView,
    NodeView,
    StreamView,
)

# The rule modules register on import; named here so that importing the package is enough.
RULE_MODULES = (catalog_events, ddl, logical, plumbing, scans, streams, writes)

__all__ = [
    "CATALOG_EVENT",
    "EXTENDED_RELATION",
    "KINDS",
    "LOGICAL",
    "NODE",
    "NO_DATASET",
    "NO_LINEAGE_COMMANDS",
    "RULES",
    "RULE_MODULES",
    "STREAM",
    "CatalogEventView",
    "ExtendedRelationView",
    "Kind",
    "LogicalView",
    "NodeView",
    "Registry",
    "Rule",
    "StreamView",
    "View",
    "is_unsupported",
    "scan_block_reads",
]
