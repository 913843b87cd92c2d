"""Edge drawing: shape labels where they fit, and long wires routed around cards."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from test_canvas_support import make_editor


def _points(path, n=60):
    return [path.pointAtPercent(i / n) for i in range(1, n)]


def test_a_skip_wire_runs_around_the_card_in_its_way(qtbot):
    ed = make_editor(qtbot)
    g = ed.graph
    a = g.add("relu", position=(0, 100))
    b = g.add("relu", position=(300, 100))
    c = g.add("add", position=(600, 100))
    g.connect(a, b)
    g.connect(b, c)
    skip = g.connect(a, c)
    card = ed.scene.node_item(b.id).mapRectToScene(ed.scene.node_item(b.id).card_rect())
    path = ed.scene.edge_item(skip).path
    assert not any(card.contains(p) for p in _points(path))
    # Move the middle card out of the way: the wire straightens.
    g.move(b.id, (300, 500))

    def straight() -> bool:  # once the deferred reroute of long wires has run
        ys = {round(p.y()) for p in _points(ed.scene.edge_item(skip).path)}
        return max(ys) - min(ys) <= 1
    qtbot.waitUntil(straight)


def test_labels_show_between_spaced_cards_and_hide_when_squeezed(qtbot):
    ed = make_editor(qtbot)
    g = ed.graph
    inp = g.add("input", shape=(64, 112, 112), position=(0, 100))
    relu = g.add("relu", position=(240, 100))
    edge = g.connect(inp, relu)
    ed.analyze()
    item = ed.scene.edge_item(edge)
    assert item.label == "64×112×112" and not item._label_rect.isEmpty()
    g.move(relu.id, (170, 100))  # an 18 px gap cannot hold the label
    assert item._label_rect.isEmpty()
    g.move(relu.id, (170, 400))  # room again beside the steep part of the curve
    assert not item._label_rect.isEmpty()


def test_wire_follows_a_moved_card(qtbot):
    ed = make_editor(qtbot)
    g = ed.graph
    a, b = g.add("relu", position=(0, 0)), g.add("relu", position=(300, 0))
    edge = g.connect(a, b)
    g.move(b.id, (400, 250))
    end = ed.scene.edge_item(edge).path.pointAtPercent(1.0)
    assert end == ed.scene.node_item(b.id).port("x", False).anchor() == QPointF(400, 250 + 18)


def test_hovering_a_wire_highlights_it(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    ed = make_editor(qtbot)
    a, b = ed.graph.add("relu", position=(0, 0)), ed.graph.add("relu", position=(400, 0))
    item = ed.scene.edge_item(ed.graph.connect(a, b))
    QTest.mouseMove(ed.view.viewport(), ed.at(item.path.pointAtPercent(0.5)))
    assert item.hovered
    ed.view.grab()
    QTest.mouseMove(ed.view.viewport(), QPoint(3, 3))
    assert not item.hovered
