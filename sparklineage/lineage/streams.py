"""Streaming queries: their sources and sink are named only in the query progress events."""

from __future__ import annotations

import re

from sparklineage.events import StreamingQueryProgress
from sparklineage.lineage import naming
from sparklineage.lineage.naming import Dataset, NamingContext

_DESCRIPTION = re.compile(r"^(\w+)\[(.*)\]$", re.DOTALL)
_FILE_SOURCES = {"FileStreamSource", "FileSink"}
_KAFKA = {"KafkaV2", "KafkaSource", "KafkaSourceV1", "KafkaMicroBatchStream"}
_SUBSCRIBE = re.compile(r"Subscribe\[([^\]]*)\]")


def stream_datasets(
    event: StreamingQueryProgress, ctx: NamingContext
) -> tuple[list[Dataset], list[Dataset]]:
    """The datasets one micro-batch read and wrote, from its progress event."""
    inputs = [d for s in event.sources for d in described(s, ctx)]
    outputs = described(event.sink, ctx) if event.sink else []
    return inputs, outputs


def described(description: str, ctx: NamingContext) -> list[Dataset]:
    """``FileStreamSource[path]``, ``FileSink[path]``, ``KafkaV2[Subscribe[a,b]]``; memory,
    console, rate and foreach sinks hold no dataset."""
    found = _DESCRIPTION.match(description.strip())
    if not found:
        return []
    kind, body = found.groups()
    if kind in _FILE_SOURCES:
        return [naming.path(body, ctx=ctx)]
    if kind in _KAFKA:
        topics = _SUBSCRIBE.search(body)
        names = topics.group(1).split(",") if topics else []
        return [naming.kafka(None, t.strip()) for t in names if t.strip()]
    return []
