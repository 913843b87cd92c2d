"""Auto-layout: the pure layered layout, and the canvas command that applies it."""

from __future__ import annotations

import itertools
import random

from netcanvas.backend.graph.layout import layered_layout
from PySide6.QtCore import QRectF
from test_canvas_support import make_editor


def _rects(pos, sizes):
    return {n: QRectF(x, y, *sizes[n]) for n, (x, y) in pos.items()}


def _random_dag(rng, n):
    nodes = [f"n{i}" for i in range(n)]
    edges = {(nodes[i], nodes[j]) for j in range(1, n) for i in rng.sample(range(j), min(j, 2))}
    return nodes, sorted(edges)


def test_layout_is_left_to_right_without_overlaps():
    rng = random.Random(4)
    for _ in range(20):
        nodes, edges = _random_dag(rng, rng.randint(2, 25))
        sizes = {n: (184.0, rng.choice([60.0, 96.0, 130.0])) for n in nodes}
        pos = layered_layout(nodes, edges, sizes)
        assert set(pos) == set(nodes)
        for s, d in edges:
            assert pos[s][0] + sizes[s][0] < pos[d][0]  # every wire runs rightwards
        rects = _rects(pos, sizes)
        for a, b in itertools.combinations(nodes, 2):
            assert not rects[a].intersects(rects[b]), (a, b)


def test_a_chain_comes_out_straight():
    nodes = list("abcd")
    sizes = {"a": (184, 60), "b": (184, 130), "c": (184, 60), "d": (184, 96)}
    pos = layered_layout(nodes, [("a", "b"), ("b", "c"), ("c", "d")], sizes)
    assert len({y for _, y in pos.values()}) == 1


def test_barycentre_ordering_untangles_a_crossing():
    # a1 feeds b2 and a2 feeds b1: document order would cross, the sweep swaps b1/b2.
    nodes = ["a1", "a2", "b1", "b2"]
    sizes = dict.fromkeys(nodes, (100, 50))
    pos = layered_layout(nodes, [("a1", "b2"), ("a2", "b1")], sizes)
    assert pos["b2"][1] < pos["b1"][1]


def test_auto_layout_is_one_undo_step_without_overlaps(qtbot):
    ed = make_editor(qtbot)
    g = ed.graph
    inp = g.add("input", shape=(3, 32, 32))
    convs = [g.add("conv2d", padding=1) for _ in range(3)]
    add = g.add("add")
    pool = g.add("max_pool2d")
    fl, fc, out = g.add("flatten"), g.add("linear"), g.add("output")
    for c in convs:
        g.connect(inp, c)
        g.connect(c, add)
    for a, b in [(add, pool), (pool, fl), (fl, fc), (fc, out)]:
        g.connect(a, b)
    before = g.to_dict()
    ed.scene.auto_layout()
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Auto-layout"
    items = ed.scene.node_items()
    rects = [i.mapRectToScene(i.card_rect()) for i in items.values()]
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b)
    xs = {nid: items[nid].x() for nid in items}
    for e in g.edges:
        assert xs[e.src] < xs[e.dst]
    for nid, item in items.items():
        assert (item.x(), item.y()) == g.nodes[nid].position
    ed.stack.undo()
    assert g.to_dict() == before
