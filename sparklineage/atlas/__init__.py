"""Lineage as Apache Atlas entities, for Microsoft Purview and Apache Atlas: types, mapping,
and an uploader that survives throttling and faults."""
