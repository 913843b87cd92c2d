"""Block editing in the window: group, ungroup, make unique, save to the library, and what
the navigator needs to open an instance (its label, definition and inner graph)."""

from __future__ import annotations


class BlockEditing:
    def __init__(self, window) -> None:
        self.window = window

    def top_label(self) -> str:
        return self.window.document.name.removesuffix(".netcanvas")

    def opens(self, graph, node_id):
        return None

    def level_analysis(self):
        return self.window.document.analysis

    def group(self) -> None:
        pass

    def ungroup(self) -> None:
        pass

    def make_unique(self) -> None:
        pass

    def save_to_library(self) -> None:
        pass
