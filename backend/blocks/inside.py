"""What the editor needs to show a block: a new instance node, and the shapes inside the
instance the user opened."""

from __future__ import annotations

from netcanvas.backend.blocks.spec import repetitions
from netcanvas.backend.graph import BLOCK, Graph, Node, new_id


def new_instance(graph: Graph, block: str, name: str | None = None,
                 position: tuple[float, float] = (0.0, 0.0), **params) -> Node:
    """An instance node of definition `block` for `graph` (not added: push AddNodes)."""
    spec = graph.blocks.spec(block)
    return Node(new_id(), BLOCK, name or graph.unique_name(spec.module_prefix),
                {"block": block, **params}, position)


def instance_analysis(graph: Graph, node_id: str, analysis, repetition: int = 0):
    """(inner graph, Analysis) of one repetition of instance `node_id` as it runs in
    `graph` (whose Analysis is `analysis`): the definition's node ids, with its real input
    shapes and exposed params; nodes of an absent optional branch are missing from it.
    Past a failing repetition, the failing one. None while an input shape is unknown."""
    node = graph.node(node_id)
    spec = node.spec
    edges = graph.edges_into(node_id)
    shapes = {e.dst_port: analysis.edge_shapes.get(e) for e in edges}
    if any(s is None for s in shapes.values()) or len(shapes) < len(spec.inputs):
        return None
    params = {**{p.name: p.default for p in spec.params}, **node.params}
    runs = repetitions(graph.blocks, node.params["block"], params, shapes)
    return runs[min(repetition, len(runs) - 1)] if runs else None
