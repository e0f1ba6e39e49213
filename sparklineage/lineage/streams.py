"""Streaming queries: their sources and sink are named only in the query progress events.

Only the glue is here: a progress event's descriptions (``Name[body]``) become views for the
stream rules of ``lineage/rules/streams.py``, looked up in the one registry.
"""

from __future__ import annotations

import re

from sparklineage.events import StreamingQueryProgress
from sparklineage.lineage.naming import Dataset, NamingContext
from sparklineage.lineage.rules import RULES, STREAM, StreamView

_DESCRIPTION = re.compile(r"^(\w+)\[(.*)\]$", re.DOTALL)


def stream_datasets(
    event: StreamingQueryProgress, ctx: NamingContext
) -> tuple[list[Dataset], list[Dataset]]:
    """The datasets one micro-batch read and wrote, from its progress event."""
    inputs = [d for s in event.sources for d in _described(s, ctx, sink=False)]
    outputs = _described(event.sink, ctx, sink=True) if event.sink else []
    return inputs, outputs


def _described(description: str, ctx: NamingContext, *, sink: bool) -> list[Dataset]:
    """The datasets of one description; one no stream rule knows holds none."""
    found = _DESCRIPTION.match(description.strip())
    if not found:
        return []
    name, body = found.groups()
    rule = RULES.find(STREAM, name)
    if rule is None:
        return []
    effect = rule(StreamView(name, body, sink, ctx))
    return list(effect.writes if sink else effect.reads)
