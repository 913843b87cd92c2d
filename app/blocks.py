"""Block editing in the window: group, ungroup, make unique, save to the library, and what
the navigator needs to open an instance (its label, definition and inner graph) and to show
the shapes of the instance that was opened."""

from __future__ import annotations

from netcanvas.backend.blocks.spec import repetitions
from netcanvas.backend.graph import BLOCK, Graph
from netcanvas.backend.shapes import Analysis


class BlockEditing:
    def __init__(self, window) -> None:
        self.window = window

    def top_label(self) -> str:
        return self.window.document.name.removesuffix(".netcanvas")

    @staticmethod
    def opens(graph: Graph, node_id: str) -> tuple[str, str, Graph] | None:
        """(instance name, definition name, inner graph) of a block instance, else None."""
        node = graph.nodes.get(node_id)
        if node is None or node.type_id != BLOCK or graph.blocks is None:
            return None
        name = node.params.get("block")
        if name not in graph.blocks:
            return None
        return node.name, name, graph.blocks[name].graph

    def level_analysis(self) -> Analysis:
        """The analysis the current canvas shows: the document's at the top; inside a block,
        that of the opened instance's run (its first repetition, or the one that failed),
        keyed by the inner node ids, with the shapes that reach that instance."""
        analysis = self.window.document.analysis
        graph = self.window.document.graph
        for node_id in self.window.navigator.path():
            node = graph.nodes.get(node_id)
            if node is None or node.type_id != BLOCK:
                return Analysis()
            shapes = {e.dst_port: analysis.edge_shapes[e] for e in graph.edges_into(node_id)
                      if e in analysis.edge_shapes}
            runs = repetitions(graph.blocks, node.params["block"], node.params, shapes)
            if not runs:
                return Analysis()
            graph, analysis = next(((g, a) for g, a in runs if a.errors), runs[0])
        return analysis

    def group(self) -> None:
        pass

    def ungroup(self) -> None:
        pass

    def make_unique(self) -> None:
        pass

    def save_to_library(self) -> None:
        pass
