"""Layered left-to-right auto-layout (Sugiyama-style, kept small). Pure Python: the editor
lays out the canvas with it and the importer lays out an imported graph.

Longest-path layering from the sources, barycentre sweeps to reduce crossings, then
columns spaced by the widest card and rows stacked by card height, each node pulled level
with its predecessors so chains come out straight.
"""

from __future__ import annotations

from collections import defaultdict

from netcanvas.backend.graph.model import topo_sort


def layered_layout(nodes: list[str], edges: list[tuple[str, str]],
                   sizes: dict[str, tuple[float, float]], *, hgap: float = 84.0,
                   vgap: float = 36.0, origin: tuple[float, float] = (0.0, 0.0),
                   sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Top-left position of each node id. `edges` are (src, dst) pairs among `nodes`."""
    layer = _layers(nodes, edges)
    nodes, edges, sizes = _with_dummies(nodes, edges, sizes, layer)
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for s, d in edges:
        preds[d].append(s)
        succs[s].append(d)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for n in nodes:  # document order is the first guess
        columns[layer[n]].append(n)

    rank = {n: i for col in columns for i, n in enumerate(col)}
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        order = columns[1:] if down else columns[-2::-1]
        for col in order:
            keyed = []
            for i, n in enumerate(col):
                nbrs = preds[n] if down else succs[n]
                keyed.append((sum(rank[m] for m in nbrs) / len(nbrs) if nbrs else rank[n], i, n))
            col[:] = [n for _, _, n in sorted(keyed)]
            rank.update({n: i for i, n in enumerate(col)})

    pos: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for col in columns:  # only column 0 has nodes without predecessors
        desired = [_mean_y(preds[n], pos) for n in col]
        ys, y = [], origin[1]
        for n, want in zip(col, desired):
            top = y if want is None else max(want, y) if ys else want
            ys.append(top)
            y = top + sizes[n][1] + vgap
        pulled = [y_ - w for y_, w in zip(ys, desired) if w is not None]
        shift = -sum(pulled) / len(pulled) if pulled else 0.0
        for n, y_ in zip(col, ys):
            pos[n] = (round(x), round(y_ + shift))
        x += max((sizes[n][0] for n in col), default=0) + hgap
    return {n: p for n, p in pos.items() if not isinstance(n, _Dummy)}


class _Dummy(str):
    """A waypoint on an edge that spans several layers: it reserves a lane for the wire."""


def _with_dummies(nodes, edges, sizes, layer):
    """Split long edges into one-layer hops through dummies, so crossings and lanes count."""
    nodes, sizes, out = list(nodes), dict(sizes), []
    for i, (s, d) in enumerate(edges):
        prev = s
        for k in range(layer[s] + 1, layer[d]):
            dummy = _Dummy(f"~{i}.{k}")
            layer[dummy] = k
            nodes.append(dummy)
            sizes[dummy] = (0.0, 24.0)
            out.append((prev, dummy))
            prev = dummy
        out.append((prev, d))
    return nodes, out, sizes


def _mean_y(preds: list[str], pos: dict) -> float | None:
    ys = [pos[p][1] for p in preds if p in pos]
    return sum(ys) / len(ys) if ys else None


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from any source, along the graph's one topological order; nodes on or
    behind a cycle (never in a valid graph) go last."""
    succ: dict[str, list[str]] = defaultdict(list)
    for s, d in edges:
        succ[s].append(d)
    order, _ = topo_sort(nodes, edges)
    layer = dict.fromkeys(nodes, 0)
    for n in order:
        for d in succ[n]:
            layer[d] = max(layer[d], layer[n] + 1)
    if len(order) < len(nodes):
        last = max(layer.values(), default=0) + 1
        placed = set(order)
        layer.update({n: last for n in nodes if n not in placed})
    return layer
