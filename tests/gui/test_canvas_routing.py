"""Row-break wires in the bundled examples: from the last card of a row back to the first
card of the next one, clear of every card and inside the two rows' area."""

from __future__ import annotations

from pathlib import Path

import pytest
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPathStroker
from test_canvas_support import make_editor

EXAMPLES = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.netcanvas"))
MARGIN = 40.0  # what framing leaves around the cards


def _cards(ed) -> dict[str, QRectF]:
    return {nid: item.mapRectToScene(item.card_rect())
            for nid, item in ed.scene.node_items().items()}


def _row_breaks(ed, cards):
    """(edge, source card, target card) for wires whose target lies left of and below."""
    for edge in ed.graph.edges:
        src, dst = cards[edge.src], cards[edge.dst]
        if dst.left() < src.left() and dst.top() > src.bottom():
            yield edge, src, dst


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_row_break_wires_stay_between_their_rows_and_clear_of_cards(qtbot, path):
    ed = make_editor(qtbot, load_project(path))
    cards = _cards(ed)
    stroker = QPainterPathStroker()
    stroker.setWidth(2.0)
    for edge, src, dst in _row_breaks(ed, cards):
        wire = ed.scene.edge_item(edge).path
        rows = QRectF()
        for rect in cards.values():  # the cards of both rows and of any between them
            if rect.bottom() > src.top() and rect.top() < dst.bottom():
                rows = rows.united(rect)
        assert rows.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN).contains(wire.boundingRect())
        stroke = stroker.createStroke(wire)
        for nid, rect in cards.items():
            if nid in (edge.src, edge.dst):  # it may touch its own cards at their ports only
                rect = rect.adjusted(4, 4, -4, -4)
            assert not stroke.intersects(rect), (edge, ed.graph.nodes[nid].name)
        # The long horizontal run (where the label goes) has room: not a crack between lanes.
        mid = wire.pointAtPercent(0.5)
        room = QRectF(mid - QPointF(60, 20), mid + QPointF(60, 20))
        assert not any(room.intersects(rect) for rect in cards.values())


def test_the_examples_have_row_breaks():
    counts = []
    for path in EXAMPLES:
        g = load_project(path).graph
        pos = {nid: n.position for nid, n in g.nodes.items()}
        counts.append(sum(pos[e.dst][0] < pos[e.src][0] and pos[e.dst][1] > pos[e.src][1] + 100
                          for e in g.edges))
    assert sum(counts) >= 15


def test_a_row_break_runs_under_a_whole_block_not_between_its_branches(qtbot):
    ed = make_editor(qtbot)
    g = ed.graph
    a = g.add("relu", position=(0, 0))
    first, second = g.add("relu", position=(220, 0)), g.add("relu", position=(220, 90))
    join = g.add("add", position=(440, 0))
    nxt = g.add("relu", position=(0, 260))
    for s, d in ((a, first), (a, second), (first, join), (second, join), (join, nxt)):
        g.connect(s, d)
    wire = ed.scene.edge_item(g.edges[-1]).path
    lowest = max(r.bottom() for r in _cards(ed).values() if r.top() < 200)
    run = wire.pointAtPercent(0.5)
    assert lowest < run.y() < ed.scene.node_item(nxt.id).sceneBoundingRect().top()
    assert wire.boundingRect().right() < _cards(ed)[join.id].right() + MARGIN
