"""Layered left-to-right auto-layout (Sugiyama-style, kept small). Pure Python: the editor
lays out the canvas with it and the importer lays out an imported graph.

Longest-path layering from the sources, barycentre sweeps to reduce crossings, then
columns spaced by the widest card and rows stacked by card height, each node pulled level
with its predecessors so chains come out straight. A layout too wide for where it is shown
is then folded into rows read like lines of text (`folded`): a long chain fits the view at a
zoom where its cards can be read.
"""

from __future__ import annotations

from collections import defaultdict

from netcanvas.backend.graph.model import topo_sort

# A layout at most this wide (in columns) reads whole in one row; the block library folds its
# inner graphs at this width, so a block opened inside fits the canvas at a legible zoom.
MAX_COLUMNS = 7
ROW_GAP = 60.0  # under a folded row, for the wires that run back to the next row's start
CANVAS_ASPECT = 16 / 10  # width / height of a canvas, for a layout made before it is shown


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


def folded(spots: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]], *,
           aspect: float | None = None, max_columns: int | None = None
           ) -> dict[str, tuple[float, float]]:
    """`spots` (a layered layout) folded into rows of about equal column counts, each row
    starting under the first, read like lines of text. The row length is at most
    `max_columns` columns, or the one whose bounding box comes closest to `aspect`
    (width / height); a layout already narrower than that, or at most MAX_COLUMNS wide, is
    returned as it is."""
    xs = sorted({x for x, _ in spots.values()})
    if len(xs) <= (MAX_COLUMNS if max_columns is None else max_columns):
        return dict(spots)
    column = {x: i for i, x in enumerate(xs)}
    right, bottom = [float("-inf")] * len(xs), [float("-inf")] * len(xs)
    top = [float("inf")] * len(xs)
    for nid, (x, y) in spots.items():
        c = column[x]
        right[c] = max(right[c], x + sizes[nid][0])
        top[c], bottom[c] = min(top[c], y), max(bottom[c], y + sizes[nid][1])

    def rows(per_row: int) -> list[range]:
        count = -(-len(xs) // per_row)
        per_row = -(-len(xs) // count)  # rows of equal length, the last one no longer
        return [range(r * per_row, min(len(xs), (r + 1) * per_row)) for r in range(count)]

    def box(per_row: int) -> tuple[float, float]:
        spans = rows(per_row)
        width = max(max(right[c] for c in row) - xs[row[0]] for row in spans)
        height = sum(max(bottom[c] for c in row) - min(top[c] for c in row) for row in spans)
        return width, height + ROW_GAP * (len(spans) - 1)

    per_row = len(xs) if max_columns is None else max_columns
    if aspect is not None:
        per_row = _row_length(box, len(xs), aspect)
    shift: list[tuple[float, float]] = []  # each column's move: to its row's place
    y = min(top)
    for row in rows(per_row):
        row_top = min(top[c] for c in row)
        shift += [(xs[0] - xs[row[0]], y - row_top)] * len(row)
        y += max(bottom[c] for c in row) - row_top + ROW_GAP
    return {nid: (x + shift[column[x]][0], sy + shift[column[x]][1])
            for nid, (x, sy) in spots.items()}


def _row_length(box, columns: int, aspect: float) -> int:
    """The columns per row whose box is nearest `aspect` on a log scale. The aspect grows with
    the row length, so the crossing is found by bisection (a 10,000-card chain stays quick)."""
    def ratio(n: int) -> float:
        width, height = box(n)
        return width / max(height, 1.0)

    lo, hi = 1, columns
    if ratio(hi) <= aspect:
        return hi
    while lo < hi:  # the shortest row length whose box is at least as wide as `aspect`
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if ratio(mid) < aspect else (lo, mid)
    if lo > 1 and ratio(lo) * ratio(lo - 1) > aspect * aspect:  # geometric midpoint
        return lo - 1
    return lo


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
