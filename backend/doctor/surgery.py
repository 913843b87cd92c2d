"""Edit builders the fixes share: put layers on a wire, take a layer out, change a param.
Each returns ordinary edits from backend/graph/edits.py, so undo needs nothing new."""

from __future__ import annotations

from netcanvas.backend.graph import (
    AddEdge,
    AddNodes,
    Edge,
    Edit,
    Graph,
    Node,
    RemoveItems,
    SetParam,
    new_id,
)
from netcanvas.backend.registry import get

NODE_GAP = 40.0  # how far apart inserted layers sit along the wire


def _fresh_names(graph: Graph, type_ids: list[str]) -> list[str]:
    taken = {n.name for n in graph.nodes.values()}
    names = []
    for type_id in type_ids:
        stem = get(type_id).module_prefix or type_id
        i = 1
        while f"{stem}{i}" in taken:
            i += 1
        taken.add(f"{stem}{i}")
        names.append(f"{stem}{i}")
    return names


def insert_on_edge(graph: Graph, edge: Edge, layers: list[tuple[str, dict]]) -> list[Edit]:
    """Cut `edge` and put `layers` (type_id, params) on it, in order, between its ends."""
    src, dst = graph.node(edge.src), graph.node(edge.dst)
    (x0, y0), (x1, y1) = src.position, dst.position
    names = _fresh_names(graph, [t for t, _ in layers])
    nodes = []
    for i, ((type_id, params), name) in enumerate(zip(layers, names)):
        t = (i + 1) / (len(layers) + 1)
        pos = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + NODE_GAP)
        nodes.append(Node(new_id(), type_id, name, dict(params), pos))
    ends = [(src.id, edge.src_port)] + [(n.id, n.spec.outputs[0].name) for n in nodes]
    starts = [(n.id, n.spec.inputs[0].name) for n in nodes] + [(dst.id, edge.dst_port)]
    wires = [Edge(s, sp, d, dp) for (s, sp), (d, dp) in zip(ends, starts)]
    return [RemoveItems([], [edge], text="Cut wire"), AddNodes(nodes, wires)]


def insert_before(graph: Graph, node_id: str, layers: list[tuple[str, dict]]) -> list[Edit]:
    """Put `layers` on the single wire into a one-input node."""
    (edge,) = graph.edges_into(node_id)
    return insert_on_edge(graph, edge, layers)


def bypass(graph: Graph, node_id: str) -> list[Edit]:
    """Remove a one-input layer and wire what fed it straight to what it fed."""
    (into,) = graph.edges_into(node_id)
    outs = graph.edges_from(node_id)
    rewire = [AddEdge(Edge(into.src, into.src_port, e.dst, e.dst_port)) for e in outs]
    return [RemoveItems([node_id]), *rewire]


def set_param(node_id: str, name: str, value) -> list[Edit]:
    return [SetParam(node_id, name, value)]



def replace_type(graph: Graph, node_ids: list[str], type_id: str,
                 norms: dict[str, str] | None = None) -> list[Edit]:
    """Swap one-in one-out layers for `type_id` layers (default params) in place: same
    names, same positions, same wires; `norms` puts a layer (node id -> its type_id, a
    BatchNorm) on the wire into each new one."""
    norms = norms or {}
    fresh = {nid: Node(new_id(), type_id, graph.node(nid).name, {}, graph.node(nid).position)
             for nid in node_ids}
    names = iter(_fresh_names(graph, [norms[n] for n in node_ids if n in norms]))
    extra = {nid: Node(new_id(), norms[nid], next(names), {},
                       (graph.node(nid).position[0], graph.node(nid).position[1] + NODE_GAP))
             for nid in node_ids if nid in norms}
    wires = []
    for e in graph.edges:
        if e.src not in fresh and e.dst not in fresh:
            continue
        src = (fresh[e.src].id, fresh[e.src].spec.outputs[0].name) if e.src in fresh \
            else (e.src, e.src_port)
        dst = (fresh[e.dst].id, fresh[e.dst].spec.inputs[0].name) if e.dst in fresh \
            else (e.dst, e.dst_port)
        if e.dst in extra:
            norm = extra[e.dst]
            wires.append(Edge(*src, norm.id, norm.spec.inputs[0].name))
            src = (norm.id, norm.spec.outputs[0].name)
        wires.append(Edge(*src, *dst))
    return [RemoveItems(list(fresh)), AddNodes([*fresh.values(), *extra.values()], wires)]
