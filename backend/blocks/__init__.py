"""Composite blocks: definitions stored once per project, instances in any graph."""
