"""A long graph folded into rows that fit where it is shown (the view, or a typical canvas for
an import): read like lines of text, no card on another, its box near the wanted shape."""

from __future__ import annotations

import itertools
import math

from netcanvas.backend.graph.layout import CANVAS_ASPECT, folded, layered_layout
from netcanvas.backend.importer import import_fx, trace
from torch import nn

CARD = (180.0, 96.0)


def _box(pos, sizes):
    left = min(x for x, _ in pos.values())
    top = min(y for _, y in pos.values())
    right = max(x + sizes[n][0] for n, (x, _) in pos.items())
    bottom = max(y + sizes[n][1] for n, (_, y) in pos.items())
    return right - left, bottom - top


def _overlaps(pos, sizes):
    def hit(a, b):
        (ax, ay), (bx, by) = pos[a], pos[b]
        return (ax < bx + sizes[b][0] and bx < ax + sizes[a][0]
                and ay < by + sizes[b][1] and by < ay + sizes[a][1])

    return [(a, b) for a, b in itertools.combinations(pos, 2) if hit(a, b)]


def _chain(n, sizes=None):
    nodes = [f"n{i}" for i in range(n)]
    sizes = sizes or dict.fromkeys(nodes, CARD)
    return nodes, list(itertools.pairwise(nodes)), sizes


def test_a_60_card_chain_folds_to_the_views_shape_without_overlaps():
    nodes, edges, sizes = _chain(60)
    spots = layered_layout(nodes, edges, sizes)
    for aspect in (16 / 10, 1.0, 2.5):
        pos = folded(spots, sizes, aspect=aspect)
        width, height = _box(pos, sizes)
        assert abs(math.log(width / height / aspect)) < math.log(1.5), (aspect, width, height)
        assert not _overlaps(pos, sizes)
        rows = sorted({y for _, y in pos.values()})
        assert len(rows) > 1
        # read like text: each row starts at the left, the chain runs on along the next row
        starts = [min(x for x, y in pos.values() if y == row) for row in rows]
        assert len(set(starts)) == 1
        order = sorted(nodes, key=lambda n: (pos[n][1], pos[n][0]))
        assert order == nodes


def test_rows_of_mixed_card_sizes_keep_clear_of_each_other():
    nodes, edges, _ = _chain(41)
    sizes = {n: (120.0 + 90 * (i % 3), 60.0 + 70 * (i % 4)) for i, n in enumerate(nodes)}
    pos = folded(layered_layout(nodes, edges, sizes), sizes, aspect=CANVAS_ASPECT)
    assert not _overlaps(pos, sizes)


def test_a_graph_narrower_than_the_view_is_left_as_it_is():
    nodes, edges, sizes = _chain(4)
    spots = layered_layout(nodes, edges, sizes)
    assert folded(spots, sizes, aspect=CANVAS_ASPECT) == spots


def test_a_10000_card_chain_folds_square():
    nodes, edges, sizes = _chain(10_000)
    pos = folded(layered_layout(nodes, edges, sizes), sizes, aspect=1.0)
    width, height = _box(pos, sizes)
    assert 0.8 < width / height < 1.25


def test_an_imported_long_chain_lands_in_rows_that_fit_a_canvas():
    model = nn.Sequential(*[nn.Linear(8, 8) if i % 2 == 0 else nn.ReLU() for i in range(58)])
    imported = import_fx(trace(model), [(8,)], blocks=False)
    graph = imported.graph
    assert len(graph.nodes) == 60
    sizes = dict.fromkeys(graph.nodes, (184.0, 80.0))  # the importer's default card size
    pos = {nid: node.position for nid, node in graph.nodes.items()}
    width, height = _box(pos, sizes)
    assert abs(math.log(width / height / CANVAS_ASPECT)) < math.log(1.5), (width, height)
