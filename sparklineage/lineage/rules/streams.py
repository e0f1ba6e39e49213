"""Streaming sources and sinks, as a query's progress events describe them.

``FileStreamSource[path]``, ``FileSink[path]``, ``KafkaV2[Subscribe[a,b]]``: a source is
read, the sink written. Memory, console, rate and foreach sinks have no rule: they hold no
dataset. The plan's own streaming nodes (``MicroBatchScan``, ``WriteToDataSourceV2``) name
nothing; these rules are where a stream's datasets come from.
"""

from __future__ import annotations

import re

from sparklineage.lineage import naming
from sparklineage.lineage.model import Effect
from sparklineage.lineage.naming import Dataset
from sparklineage.lineage.rules.registry import RULES
from sparklineage.lineage.rules.views import STREAM, StreamView

_SUBSCRIBE = re.compile(r"Subscribe\[([^\]]*)\]")


def _placed(view: StreamView, datasets: tuple[Dataset, ...]) -> Effect:
    return Effect(writes=datasets) if view.sink else Effect(reads=datasets)


@RULES.rule(STREAM, "FileStreamSource", "FileSink")
def file_stream(view: StreamView) -> Effect:
    return _placed(view, (naming.path(view.body, ctx=view.naming),))


@RULES.rule(STREAM, "KafkaV2", "KafkaSource", "KafkaSourceV1", "KafkaMicroBatchStream")
def kafka_stream(view: StreamView) -> Effect:
    """Topics of ``Subscribe[a,b]`` (servers are not in progress events: ``unknown``)."""
    topics = _SUBSCRIBE.search(view.body)
    names = topics.group(1).split(",") if topics else []
    return _placed(view, tuple(naming.kafka(None, t.strip()) for t in names if t.strip()))
