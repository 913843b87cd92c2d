"""DenseNet's growing concatenations rewritten so each dense layer is a block with one input
and one output, which then repeats: `cat([f0, ..., fk])` is `cat([cat([f0, ..., fk-1]), fk])`
when the shorter concat exists (it is the previous layer's input), so every layer reads the
running concatenation x and gives `cat([x, layer(x)])`. The joining concat goes into the
layer's scope. Exact (concatenation is associative); fold.py still checks the outputs."""

from __future__ import annotations

from netcanvas.backend.graph import Edge, Graph


def rejoin_concats(graph: Graph, scopes: dict[str, list[tuple[str, str]]]) -> None:
    """Rewrite in place (`scopes`: node id -> its modules, updated)."""
    _drop_single_concats(graph)
    concats = [n for n in graph.nodes.values() if n.type_id == "concat"]
    sources = {n.id: [(e.src, e.src_port) for e in graph.edges_into(n.id)] for n in concats}
    by_sources = {(tuple(sources[n.id]), n.params.get("dim")): n for n in concats}
    for node in concats:
        parts = sources[node.id]
        shorter = by_sources.get((tuple(parts[:-1]), node.params.get("dim")))
        if len(parts) < 3 or shorter is None:
            continue
        _rewire(graph, node.id, [(shorter.id, "y"), parts[-1]])
    for node in concats:
        _join_scope(graph, node.id, scopes)


def _rewire(graph: Graph, node_id: str, parts: list[tuple[str, str]]) -> None:
    """The concat's inputs replaced by `parts`, in order, at the place of its first one."""
    old = graph.edges_into(node_id)
    place = graph.edges.index(old[0])
    for e in old:
        graph.remove_edge(e)
    for i, (src, port) in enumerate(parts):
        graph.add_edge(Edge(src, port, node_id, "x"), place + i)


def _drop_single_concats(graph: Graph) -> None:
    """A concat of one tensor is that tensor: its consumers read the tensor instead."""
    single = [n.id for n in graph.nodes.values()
              if n.type_id == "concat" and len(graph.edges_into(n.id)) == 1]
    for nid in single:
        (feed,) = graph.edges_into(nid)
        for e in graph.edges_from(nid):
            place = graph.edges.index(e)
            graph.remove_edge(e)
            graph.add_edge(Edge(feed.src, feed.src_port, e.dst, e.dst_port), place)
        graph.remove_node(nid)


def _join_scope(graph: Graph, node_id: str, scopes: dict) -> None:
    """`cat([x, y])` where y is the output of a module whose only input is x (a dense
    layer) joins that module's scope."""
    parts = graph.edges_into(node_id)
    if len(parts) != 2:
        return
    x, y = [(e.src, e.src_port) for e in parts]
    stack = scopes.get(y[0], [])
    for depth in range(len(stack), 0, -1):
        path = stack[depth - 1][0]
        ids = {n for n, s in scopes.items() if n in graph.nodes and any(p == path for p, _ in s)}
        feeds = {(e.src, e.src_port) for e in graph.edges if e.dst in ids and e.src not in ids}
        if len(ids) >= 2 and feeds == {x}:
            scopes[node_id] = stack[:depth]
            return
