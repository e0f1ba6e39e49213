"""sparklineage: data lineage from Spark event logs, read after the fact."""

__version__ = "0.1.0"
