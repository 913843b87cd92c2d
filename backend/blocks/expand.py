"""An instance replaced by the nodes it runs: ungroup (one level, names kept where free)
and `flatten` (every level, names prefixed by the instance path: layer2_0_conv1)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from netcanvas.backend.blocks.definition import attach
from netcanvas.backend.blocks.spec import concrete, repetitions, values_of
from netcanvas.backend.graph import BLOCK, Edge, Graph, Node, new_id


@dataclass
class Expansion:
    """What replaces an instance: its nodes (in order) and every edge they need, the
    instance's outer wires included."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def expand(graph: Graph, node_id: str, analysis=None, prefix: bool = False) -> Expansion:
    """The nodes and edges that replace instance `node_id` of `graph`, one copy of the
    inner graph per repetition (exposed params set, absent branches wired through).
    Inner ids and names are kept where `graph` has them free, unless `prefix` asks for
    "<instance>[_<repetition>]_<inner name>" names."""
    from netcanvas.backend.shapes import analyze
    node = graph.node(node_id)
    blocks, name = graph.blocks, node.params["block"]
    definition = blocks[name]
    params = {**{p.name: p.default for p in node.spec.params}, **node.params}
    analysis = analysis if analysis is not None else analyze(graph)
    incoming = graph.edges_into(node_id)
    shapes = {e.dst_port: analysis.edge_shapes[e] for e in incoming if e in analysis.edge_shapes}
    runs = [g for g, _ in repetitions(blocks, name, params, shapes)]
    repeat = params["repeat"]
    while len(runs) < repeat:  # shapes unknown past a failing repetition: build without them
        later = {**values_of(definition, params),
                 **{e.name: e.later for e in definition.exposed if e.later is not None}}
        runs.append(concrete(blocks, definition, later if runs else values_of(definition, params),
                             {}))
    taken_ids, taken_names = set(graph.nodes), {n.name for n in graph.nodes.values()}
    out = Expansion()
    sources = {e.dst_port: (e.src, e.src_port) for e in incoming}
    for i, inner in enumerate(runs):
        stem = f"{node.name}_{i}_" if repeat > 1 else f"{node.name}_"
        value: dict[tuple[str, str], tuple[str, str]] = {}
        ids: dict[str, str] = {}
        for n in inner.nodes.values():
            if n.type_id == "input":
                if n.name in sources:
                    value[(n.id, "y")] = sources[n.name]
                continue
            if n.type_id == "output":
                continue
            twin = copy.deepcopy(n)
            twin.id = n.id if n.id not in taken_ids else new_id()
            twin.name = _free(stem + n.name if prefix or n.name in taken_names else n.name,
                              taken_names, graph)
            twin.position = _offset(n.position, node.position, i)
            taken_ids.add(twin.id)
            taken_names.add(twin.name)
            ids[n.id] = twin.id
            out.nodes.append(twin)
            for port in n.spec.outputs:
                value[(n.id, port.name)] = (twin.id, port.name)
        for e in inner.edges:
            src = value.get((e.src, e.src_port))
            if e.dst in ids and src is not None:
                out.edges.append(Edge(*src, ids[e.dst], e.dst_port))
        results = {}
        for n in inner.nodes.values():
            if n.type_id == "output":
                feed = next((e for e in inner.edges if e.dst == n.id), None)
                if feed is not None and (feed.src, feed.src_port) in value:
                    results[n.name] = value[(feed.src, feed.src_port)]
        sources = {next(iter(_inputs(inner)), "x"): next(iter(results.values()))} \
            if i + 1 < repeat and results else results
    for e in graph.edges_from(node_id):
        if e.src_port in sources:
            out.edges.append(Edge(*sources[e.src_port], e.dst, e.dst_port))
    return out


def _inputs(graph: Graph) -> list[str]:
    return [n.name for n in graph.nodes.values() if n.type_id == "input"]


def _free(name: str, taken: set[str], graph: Graph) -> str:
    if name not in taken:
        return name
    stem, i = name, 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def _offset(inner: tuple[float, float], at: tuple[float, float], repetition: int
            ) -> tuple[float, float]:
    """Where an inner node lands: its own position, or shifted right for later repetitions."""
    return (inner[0] + repetition * 600.0, inner[1]) if repetition else inner


def flatten(project, origins: dict[str, str] | None = None):
    """A copy of `project` with every block instance replaced, at every depth, by the nodes
    it runs (named by path: layer2_0_conv1), and no block definitions. Same parameters,
    same function: `flat_state_dict` maps the blocked model's weights onto it. `origins`,
    when given, is filled with each flat node's top-level node id."""
    flat = project.copy()
    graph = flat.graph
    origins = {} if origins is None else origins
    origins.update({nid: nid for nid in graph.nodes})
    while True:
        instance = next((n for n in graph.nodes.values() if n.type_id == BLOCK), None)
        if instance is None:
            break
        index = list(graph.nodes).index(instance.id)
        expansion = expand(graph, instance.id, prefix=True)
        graph.remove_node(instance.id)
        for k, n in enumerate(expansion.nodes):
            graph.add_node(n, index + k)
            origins[n.id] = origins[instance.id]
        for e in expansion.edges:
            graph.add_edge(e)
    for name in list(flat.blocks):
        flat.blocks.remove(name)
    attach(graph, flat.blocks, None)
    return flat


def flat_state_dict(state: dict) -> dict:
    """A blocked model's state_dict keyed as its `flatten`ed model's: "layer2.0.conv1.weight"
    -> "layer2_0_conv1.weight"."""
    out = {}
    for key, tensor in state.items():
        module, _, attr = key.rpartition(".")
        out[f"{module.replace('.', '_')}.{attr}" if module else attr] = tensor
    return out
