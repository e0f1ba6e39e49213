"""Outputs: the JSON lineage report, and its text rendering for people."""
