"""A big graph opens by building only the cards and wires near the view; the rest are
built when they are first seen (GraphScene.realize), and editing, selecting, framing and
undo work on cards whether they were built yet or not."""

from __future__ import annotations

from netcanvas.backend.graph import Edge, Graph, MoveNodes
from netcanvas.graph_editor.scene_items import EAGER_NODES, SCENE_EXTENT
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication
from test_canvas_support import make_editor

BIG = 2000  # far more than EAGER_NODES, and long past SCENE_EXTENT at 260 per card
STEP = 260.0


def big_editor(qtbot):
    """Input -> a row of BIG relus -> output, plus a long wire under the view between two
    cards far off either side of it."""
    assert BIG > EAGER_NODES and BIG * STEP > SCENE_EXTENT
    graph = Graph()
    row = [graph.add("input", shape=(8,), position=(0.0, 100.0))]
    for i in range(1, BIG):
        row.append(graph.add("relu", position=(i * STEP, 100.0)))
        graph.connect(row[-2], row[-1])
    left = graph.add("input", shape=(4,), position=(-6000.0, 600.0))
    right = graph.add("relu", position=(6000.0, 600.0))
    graph.connect(left, right)
    ed = make_editor(qtbot, graph)
    ed.analyze()
    painted()
    return ed, row, Edge(left.id, "y", right.id, "x")


def painted() -> None:
    """Let the view paint (its first paint is posted, not done by repaint())."""
    QApplication.processEvents()


def show(ed, scene_point: QPointF) -> None:
    ed.view.centerOn(scene_point)
    ed.view.viewport().update()
    painted()


def test_only_the_cards_near_the_view_are_built_and_the_rest_when_scrolled_to(qtbot):
    ed, row, _ = big_editor(qtbot)
    built = ed.scene.node_items()
    assert 0 < len(built) < 40  # a screenful and its margin, not 2,000
    far = row[1500]
    assert far.id not in built
    assert not any(e.dst == far.id for e in ed.scene.edge_items())

    show(ed, QPointF(far.position[0], far.position[1]))
    item = built[far.id]  # built by the paint, with what the analysis says of it
    assert item.isVisible() and item.scene() is ed.scene
    assert item.pos() == QPointF(*far.position)
    assert item.shape_text == "8"
    wire = ed.scene.edge_items()[Edge(row[1499].id, "y", far.id, "x")]
    assert wire.label == "8"
    assert ed.view.itemAt(ed.at(item.center())) in (item, *item.childItems())
    assert len(built) < 80


def test_a_long_wire_crossing_the_view_is_built_with_its_far_cards(qtbot):
    ed, _, long_wire = big_editor(qtbot)
    assert long_wire in ed.scene.edge_items()  # under the view, its cards 6,000 away
    assert {long_wire.src, long_wire.dst} <= set(ed.scene.node_items())


def test_framing_and_selecting_reach_cards_past_the_scene_extent(qtbot):
    ed, row, _ = big_editor(qtbot)
    last = row[-1]
    ed.scene.select_nodes([last.id])  # what search and Problems do: select, then frame
    ed.view.frame_selection_or_all()
    painted()
    centre = ed.view.mapToScene(ed.view.viewport().rect().center())
    card = ed.scene.nodes_rect([last.id])
    assert abs(centre.x() - card.center().x()) < 2 and abs(centre.y() - card.center().y()) < 2
    assert ed.scene.node_item(last.id).isSelected()

    ed.scene.select_all()
    assert len(ed.scene.selected_node_ids()) == len(ed.graph.nodes)


def test_edits_and_undo_on_cards_not_built_yet(qtbot):
    ed, row, _ = big_editor(qtbot)
    far, built = row[1200], ed.scene.node_items()
    assert far.id not in built
    home = far.position
    ed.scene.offer(MoveNodes({far.id: (520.0, 400.0)}, text="Move"))  # into view
    qtbot.waitUntil(lambda: far.id in built)  # the next paint builds it
    assert built[far.id].pos() == QPointF(520.0, 400.0)
    assert ed.scene.nodes_rect([far.id]).topLeft() == QPointF(520.0, 400.0)
    ed.stack.undo()
    assert built[far.id].pos() == QPointF(*home)

    other = row[1700]
    assert other.id not in built
    ed.scene.offer(MoveNodes({other.id: (other.position[0], 900.0)}, text="Move"))
    assert other.id not in built  # still out of sight: only its place in the index moved
    assert ed.scene.nodes_rect([other.id]).top() == 900.0
    show(ed, QPointF(other.position[0], 900.0))
    assert built[other.id].pos() == QPointF(other.position[0], 900.0)

    gone = row[1900]
    ed.scene.select_nodes([gone.id])
    ed.scene.delete_selection()
    assert gone.id not in ed.graph.nodes and gone.id not in built
    ed.stack.undo()
    assert gone.id in ed.graph.nodes
    show(ed, QPointF(*gone.position))
    assert Edge(row[1899].id, "y", gone.id, "x") in ed.scene.edge_items()
    assert Edge(gone.id, "y", row[1901].id, "x") in ed.scene.edge_items()


def test_rubber_band_and_wiring_work_on_a_big_graph(qtbot):
    ed, row, _ = big_editor(qtbot)
    a, b, c = row[1:4]
    card = ed.scene.nodes_rect([a.id, b.id])
    ed.drag(ed.at(card.topLeft() - QPointF(20, 20)), ed.at(card.bottomRight() + QPointF(20, 20)))
    assert ed.scene.selected_node_ids() == [a.id, b.id]

    ed.scene.clearSelection()
    ed.drag(ed.port_at(c, "x", False), ed.at(QPointF(700.0, 500.0)))  # c's wire, dropped
    assert Edge(b.id, "y", c.id, "x") not in ed.graph.edges
    assert Edge(b.id, "y", c.id, "x") not in ed.scene.edge_items()
    ed.drag(ed.port_at(a, "y", True), ed.port_at(c, "x", False))
    assert Edge(a.id, "y", c.id, "x") in ed.graph.edges
    assert Edge(a.id, "y", c.id, "x") in ed.scene.edge_items()
    assert Edge(a.id, "y", c.id, "x") in ed.scene.edge_items()


def test_what_the_scene_was_told_reaches_the_items_built_later(qtbot):
    ed, row, _ = big_editor(qtbot)
    far, before = row[1600], row[1599]
    key = (before.id, "y")
    ed.scene.set_wire_readings({key: (("0.5", "∇ 0.01"), None)})
    ed.scene.set_marks({far.id: ("added", "added")})
    ed.scene.set_notes({far.id: "loss is flat"})
    assert far.id not in ed.scene.node_items()
    show(ed, QPointF(*far.position))
    card = ed.scene.node_items()[far.id]
    assert card.mark == ("added", "added") and card.note == "loss is flat"
    assert ed.scene.edge_items()[Edge(before.id, "y", far.id, "x")].reading == ("0.5", "∇ 0.01")
    ed.scene.set_notes({})
    assert card.note is None
