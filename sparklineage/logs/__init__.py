"""Find event logs and read them as lines, whatever layout and codec Spark wrote them in."""

from sparklineage.logs.codecs import Codec
from sparklineage.logs.discovery import Discovery, LogFile, LogSource, discover
from sparklineage.logs.lines import LineBatch, iter_line_batches

__all__ = [
    "Codec",
    "Discovery",
    "LineBatch",
    "LogFile",
    "LogSource",
    "discover",
    "iter_line_batches",
]
