"""The one error every export path raises, pointing at the node at fault when known."""

from __future__ import annotations


class ExportError(Exception):
    def __init__(self, message: str, node: str | None = None, details: str = "") -> None:
        super().__init__(message)
        self.node = node  # node name, or None when the failure is not one node's
        self.details = details  # what the exporter printed and raised, for a bug report
