"""Lineage of each query: what it read and wrote, from plans, catalog and streaming events."""
