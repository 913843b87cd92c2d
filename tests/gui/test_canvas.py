"""The canvas driven as a user drives it: drops, wiring, selection, delete, move, keys."""

from __future__ import annotations

import subprocess
import sys

import pytest
from netcanvas.graph_editor import LAYER_MIME
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_canvas_support import chain, make_editor

_DRAGGED: list[QMimeData] = []  # a real QDrag owns its data until the app ends the drag


def drop_layer(editor, type_id: str, pos: QPoint) -> bool:
    mime = QMimeData()
    _DRAGGED.append(mime)
    mime.setData(LAYER_MIME, QByteArray(type_id.encode("utf-8")))
    vp = editor.view.viewport()
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, enter)
    move = QDragMoveEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, move)
    drop = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, drop)
    return drop.isAccepted()


def test_palette_drop_creates_node_centred_at_drop_point(qtbot):
    ed = make_editor(qtbot)
    target = QPoint(400, 300)
    assert drop_layer(ed, "conv2d", target)
    (node,) = ed.graph.nodes.values()
    assert node.type_id == "conv2d" and node.name == "conv1"
    item = ed.scene.node_item(node.id)
    center = ed.at(item.center())
    assert abs(center.x() - target.x()) <= 1 and abs(center.y() - target.y()) <= 1
    assert item.isSelected()
    assert ed.stack.count() == 1
    ed.stack.undo()
    assert not ed.graph.nodes and not ed.scene.node_items()


def test_drop_of_unknown_layer_is_refused(qtbot):
    ed = make_editor(qtbot)
    with qtbot.waitSignal(ed.scene.edit_rejected) as sig:
        drop_layer(ed, "no_such_layer", QPoint(300, 300))
    assert "no_such_layer" in sig.args[0]
    assert not ed.graph.nodes


def test_mouse_drag_from_output_to_input_wires_them(qtbot):
    ed = make_editor(qtbot)
    a = ed.graph.add("input", shape=(3, 8, 8), position=(100, 100))
    b = ed.graph.add("conv2d", position=(500, 250))
    ed.analyze()
    ed.drag(ed.port_at(a, "y", True), ed.port_at(b, "x", False))
    assert ed.graph.edges_into(b.id) and ed.graph.edges_into(b.id)[0].src == a.id
    edge = ed.graph.edges[0]
    assert ed.scene.edge_item(edge) is not None
    ed.analyze()
    assert ed.scene.edge_item(edge).label == "3×8×8"
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Connect"
    ed.stack.undo()
    assert not ed.graph.edges and not ed.scene.edge_items()


def test_release_over_card_body_picks_its_free_input(qtbot):
    ed = make_editor(qtbot)
    a = ed.graph.add("relu", position=(100, 100))
    b = ed.graph.add("relu", position=(500, 100))
    ed.drag(ed.port_at(a, "y", True), ed.node_at(b) + QPoint(0, 30))
    assert len(ed.graph.edges) == 1


def test_drag_backwards_from_input_to_output(qtbot):
    ed = make_editor(qtbot)
    a = ed.graph.add("relu", position=(100, 100))
    b = ed.graph.add("relu", position=(500, 100))
    ed.drag(ed.port_at(b, "x", False), ed.port_at(a, "y", True))
    assert [(e.src, e.dst) for e in ed.graph.edges] == [(a.id, b.id)]


def test_live_wire_lights_up_compatible_ports_only(qtbot):
    ed = make_editor(qtbot)
    _a, b, _c = chain(ed.graph, "relu", "relu", "relu")
    free = ed.graph.add("relu", position=(300, 400))
    vp = ed.view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, ed.port_at(b, "y", True))
    QTest.mouseMove(vp, QPoint(700, 600))
    lit = {(p.node_id, p.name) for p in ed.scene.wiring.valid}
    assert lit == {(free.id, "x")}  # a would be a cycle; c is full; b is itself
    assert ed.scene.node_item(free.id).port("x", False).highlight
    assert ed.scene.wiring.wire is not None
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, QPoint(700, 600))
    assert ed.scene.wiring.wire is None and not ed.scene.node_item(free.id).port("x", False).highlight
    assert len(ed.graph.edges) == 2 and ed.stack.count() == 0


@pytest.mark.parametrize("case", ["cycle", "full_port", "same_node"])
def test_invalid_wire_is_refused_with_reason(qtbot, case):
    ed = make_editor(qtbot)
    a, _b, c = chain(ed.graph, "relu", "relu", "relu")
    lone = ed.graph.add("relu", position=(300, 400))
    src, dst, words = {
        "cycle": (c, a, "cycle"),
        "full_port": (a, c, "already has one"),
        "same_node": (lone, lone, "cycle"),
    }[case]
    before = ed.graph.to_dict()
    with qtbot.waitSignal(ed.scene.edit_rejected) as sig:
        ed.drag(ed.port_at(src, "y", True), ed.node_at(dst) + QPoint(0, 30))
    assert words in sig.args[0]
    assert ed.graph.to_dict() == before and ed.stack.count() == 0
    assert len(ed.scene.edge_items()) == 2


def test_dragging_a_wired_input_away_disconnects_it(qtbot):
    ed = make_editor(qtbot)
    _a, b = chain(ed.graph, "relu", "relu")
    ed.drag(ed.port_at(b, "x", False), QPoint(600, 700))
    assert not ed.graph.edges and ed.stack.undoText() == "Disconnect"
    ed.stack.undo()
    assert len(ed.graph.edges) == 1 and ed.scene.edge_item(ed.graph.edges[0]).isVisible()


def test_dragging_a_wired_input_to_another_node_reconnects_in_one_step(qtbot):
    ed = make_editor(qtbot)
    a, b = chain(ed.graph, "relu", "relu")
    c = ed.graph.add("relu", position=(260, 400))
    ed.drag(ed.port_at(b, "x", False), ed.port_at(c, "x", False))
    assert [(e.src, e.dst) for e in ed.graph.edges] == [(a.id, c.id)]
    assert ed.stack.count() == 1
    ed.stack.undo()
    assert [(e.src, e.dst) for e in ed.graph.edges] == [(a.id, b.id)]


def test_delete_key_removes_nodes_and_edges_as_one_step(qtbot):
    ed = make_editor(qtbot)
    a, b, c, d = chain(ed.graph, "input", "relu", "relu", "output")
    before = ed.graph.to_dict()
    ed.scene.node_item(b.id).setSelected(True)
    ed.scene.edge_item(ed.graph.edges_into(d.id)[0]).setSelected(True)
    ed.view.setFocus()
    QTest.keyClick(ed.view.viewport(), Qt.Key_Delete)
    assert set(ed.graph.nodes) == {a.id, c.id, d.id}
    assert ed.graph.edges == []  # b's two edges and the selected c -> d
    assert set(ed.scene.node_items()) == set(ed.graph.nodes) and not ed.scene.edge_items()
    assert ed.stack.count() == 1
    ed.stack.undo()
    assert ed.graph.to_dict() == before
    assert len(ed.scene.edge_items()) == 3


def test_click_selects_an_edge_and_delete_unwires_it(qtbot):
    ed = make_editor(qtbot)
    a, b = chain(ed.graph, "relu", "relu", dx=400)
    edge = ed.graph.edges[0]
    mid = ed.scene.edge_item(edge).path.pointAtPercent(0.5)
    ed.click(ed.at(mid))
    assert ed.scene.selected_edges() == [edge]
    QTest.keyClick(ed.view.viewport(), Qt.Key_Delete)
    assert not ed.graph.edges and set(ed.graph.nodes) == {a.id, b.id}


def test_mouse_drag_of_a_node_is_one_undo_step(qtbot):
    ed = make_editor(qtbot)
    _a, b = chain(ed.graph, "relu", "relu")
    start = ed.node_at(b)
    ed.drag(start, start + QPoint(90, 140), steps=12)
    x, y = ed.graph.nodes[b.id].position
    assert (x, y) == pytest.approx((260 + 90, 100 + 140), abs=1)
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Move"
    edge_item = ed.scene.edge_item(ed.graph.edges[0])
    assert edge_item.path.pointAtPercent(1.0) == ed.scene.node_item(b.id).port("x", False).anchor()
    ed.stack.undo()
    assert ed.graph.nodes[b.id].position == (260.0, 100.0)
    assert ed.scene.node_item(b.id).pos() == QPointF(260, 100)


def test_snap_to_grid_rounds_dragged_positions(qtbot):
    ed = make_editor(qtbot)
    (a,) = chain(ed.graph, "relu")
    ed.scene.snap_to_grid = True
    ed.drag(ed.node_at(a), ed.node_at(a) + QPoint(33, 47))
    x, y = ed.graph.nodes[a.id].position
    assert x % 20 == 0 and y % 20 == 0 and (x, y) != (0, 100)


def test_rubber_band_selects_only_the_cards_it_contains(qtbot):
    ed = make_editor(qtbot)
    a, _b, _c = chain(ed.graph, "relu", "relu", "relu")
    card = ed.scene.nodes_rect([a.id])
    with qtbot.waitSignal(ed.scene.selection_changed_nodes) as sig:  # all of a, half of b
        ed.drag(ed.at(card.topLeft() - QPointF(30, 30)),
                ed.at(QPointF(330, card.bottom() + 30)))
    assert ed.scene.selected_node_ids() == [a.id]
    assert set(sig.args[0]) <= {a.id}


def test_wheel_zooms_under_the_cursor_within_limits(qtbot):
    ed = make_editor(qtbot)
    vp = ed.view.viewport()
    pos = QPoint(300, 200)
    fixed = ed.view.mapToScene(pos)

    def wheel(delta):
        ev = QWheelEvent(QPointF(pos), QPointF(vp.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, delta),
                         Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
        QApplication.sendEvent(vp, ev)

    wheel(120)
    assert ed.view.zoom() > 1.0
    after = ed.view.mapToScene(pos)
    assert abs(after.x() - fixed.x()) < 2 and abs(after.y() - fixed.y()) < 2
    for _ in range(60):
        wheel(-120)
    assert ed.view.zoom() == pytest.approx(0.1)
    QTest.keyClick(vp, Qt.Key_0, Qt.ControlModifier)
    assert ed.view.zoom() == 1.0


def test_f_frames_the_selection_or_everything(qtbot):
    ed = make_editor(qtbot)
    nodes = chain(ed.graph, *["relu"] * 12, dx=300)
    QTest.keyClick(ed.view.viewport(), Qt.Key_F)
    visible = ed.view.mapToScene(ed.view.viewport().rect()).boundingRect()
    assert visible.contains(ed.scene.nodes_rect())
    ed.scene.select_nodes([nodes[5].id])
    QTest.keyClick(ed.view.viewport(), Qt.Key_F)
    assert ed.view.zoom() == 1.0  # a single card is shown at 100%, not blown up
    assert ed.view.mapToScene(ed.view.viewport().rect()).boundingRect().contains(
        ed.scene.node_item(nodes[5].id).center())


def test_middle_button_pans(qtbot):
    ed = make_editor(qtbot)
    before = ed.view.mapToScene(QPoint(0, 0))
    ed.drag(QPoint(400, 400), QPoint(300, 350), button=Qt.MiddleButton)
    after = ed.view.mapToScene(QPoint(0, 0))
    assert (after - before).toPoint() == QPoint(100, 50)


def test_tab_quick_add_filters_and_adds_at_the_cursor(qtbot):
    ed = make_editor(qtbot)
    ed.view.setFocus()
    ed.view.open_quick_add(QPointF(200, 200))
    popup = ed.view.quick_add
    assert popup.isVisible()
    QTest.keyClicks(popup.edit, "conv2")
    assert popup.list.currentItem().data(Qt.UserRole) == "conv2d"
    QTest.keyClick(popup.edit, Qt.Key_Return)
    (node,) = ed.graph.nodes.values()
    assert node.type_id == "conv2d" and not popup.isVisible()
    center = ed.scene.node_item(node.id).center()
    assert abs(center.x() - 200) <= 0.5 and abs(center.y() - 200) <= 0.5


def test_tab_key_opens_quick_add(qtbot):
    ed = make_editor(qtbot)
    ed.view.setFocus()
    QTest.keyClick(ed.view, Qt.Key_Tab)
    assert ed.view.quick_add.isVisible()
    ed.view.quick_add.hide()


def test_analysis_shows_shapes_param_counts_and_errors(qtbot):
    ed = make_editor(qtbot)
    inp, conv, _fc, out = chain(ed.graph, "input", "conv2d", "linear", "output")
    ed.graph.set_param(inp.id, "shape", (1, 8, 8))
    ed.analyze()
    assert ed.scene.edge_item(ed.graph.edges[0]).label == "1×8×8"
    assert ed.scene.edge_item(ed.graph.edges[1]).label == "16×6×6"
    conv_item = ed.scene.node_item(conv.id)
    assert conv_item.shape_text == "16×6×6" and conv_item.params_text == "160 params"
    out_item = ed.scene.node_item(out.id)
    assert not out_item.error  # (N, 16, 6, 10) reads as per-pixel class scores
    ed.graph.set_param(inp.id, "shape", (8, 8))
    ed.analyze()
    assert conv_item.error and "Conv2d" in conv_item.tooltip_text()
    ed.graph.set_param(inp.id, "shape", (1, 8, 8))
    ed.analyze()
    ed.graph.set_param(conv.id, "out_channels", 4)
    assert conv_item.param_lines[0] == ("out_channels", "4")
    ed.analyze()
    assert ed.scene.edge_item(ed.graph.edges[1]).label == "4×6×6"


def test_cards_follow_a_dark_palette(qtbot):
    from PySide6.QtGui import QColor, QPalette

    ed = make_editor(qtbot)
    light_card = ed.scene.theme.card
    pal = QPalette()
    for role, colour in ((QPalette.Window, "#2b2b2b"), (QPalette.Base, "#1e1e1e"),
                         (QPalette.Text, "#e6e6e6"), (QPalette.WindowText, "#e6e6e6")):
        pal.setColor(role, QColor(colour))
    ed.scene.setPalette(pal)
    theme = ed.scene.theme
    assert theme.dark and theme.card.lightnessF() < 0.3 and theme.text.lightnessF() > 0.7
    assert theme.card != light_card
    (a,) = chain(ed.graph, "relu")
    image = ed.view.grab().toImage()
    p = ed.at(ed.scene.node_item(a.id).mapToScene(20, 60))
    assert QColor(image.pixel(p)).lightnessF() < 0.3  # the card body is drawn dark


def test_graph_editor_never_imports_torch():
    code = ("import sys; import netcanvas.graph_editor, netcanvas.graph_editor.view; "
            "assert 'torch' not in sys.modules, 'graph_editor pulled in torch'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_arrow_keys_nudge_the_selection_as_one_step(qtbot):
    ed = make_editor(qtbot)
    a, b = chain(ed.graph, "relu", "relu")
    ed.scene.select_nodes([a.id, b.id])
    for _ in range(3):
        QTest.keyClick(ed.view.viewport(), Qt.Key_Right)
    QTest.keyClick(ed.view.viewport(), Qt.Key_Down, Qt.ShiftModifier)
    assert ed.graph.nodes[b.id].position == (260 + 60, 200)
    assert ed.stack.count() == 1


def test_space_and_left_drag_pans_instead_of_selecting(qtbot):
    ed = make_editor(qtbot)
    (a,) = chain(ed.graph, "relu")
    before = ed.view.mapToScene(QPoint(0, 0))
    ed.view.setFocus()
    QTest.keyPress(ed.view, Qt.Key_Space)
    ed.drag(ed.node_at(a), ed.node_at(a) + QPoint(-80, -40))
    QTest.keyRelease(ed.view, Qt.Key_Space)
    assert (ed.view.mapToScene(QPoint(0, 0)) - before).toPoint() == QPoint(80, 40)
    assert ed.graph.nodes[a.id].position == (0.0, 100.0) and ed.stack.count() == 0


def test_hovering_a_card_and_a_port_gives_feedback(qtbot):
    ed = make_editor(qtbot)
    (a,) = chain(ed.graph, "relu")
    item = ed.scene.node_item(a.id)
    QTest.mouseMove(ed.view.viewport(), ed.node_at(a) + QPoint(0, 30))
    assert item.hovered
    ed.view.grab()  # paints the hovered card
    QTest.mouseMove(ed.view.viewport(), ed.port_at(a, "y", True))
    assert item.port("y", True).hovered
    ed.view.grab()
    QTest.mouseMove(ed.view.viewport(), QPoint(5, 5))
    assert not item.hovered


def test_wire_dropped_on_empty_canvas_offers_a_layer_and_wires_it(qtbot):
    ed = make_editor(qtbot)
    (a,) = chain(ed.graph, "input")
    drop = ed.port_at(a, "y", True) + QPoint(300, 150)
    ed.drag(ed.port_at(a, "y", True), drop)
    popup = ed.view.quick_add
    assert popup.isVisible() and not ed.graph.edges
    offered = {popup.list.item(i).data(Qt.UserRole) for i in range(popup.list.count())}
    assert "input" not in offered and "relu" in offered  # only layers with an input port
    QTest.keyClicks(popup.edit, "relu")
    QTest.keyClick(popup.edit, Qt.Key_Return)
    (new,) = [n for n in ed.graph.nodes.values() if n.type_id == "relu"]
    assert [(e.src, e.dst) for e in ed.graph.edges] == [(a.id, new.id)]
    port = ed.scene.node_item(new.id).port("x", False).anchor()
    assert (ed.at(port) - drop).manhattanLength() <= 2  # its input sits where the wire ended
    assert ed.stack.count() == 1
    ed.stack.undo()
    assert list(ed.graph.nodes) == [a.id] and not ed.graph.edges


def test_pooling_indices_only_wire_into_an_index_port(qtbot):
    ed = make_editor(qtbot)
    _inp, pool = chain(ed.graph, "input", "max_pool2d")
    relu = ed.graph.add("relu", position=(600, 100))
    unpool = ed.graph.add("max_unpool2d", position=(600, 400))
    vp = ed.view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, ed.port_at(pool, "indices", True))
    QTest.mouseMove(vp, QPoint(900, 700))
    lit = {(p.node_id, p.name) for p in ed.scene.wiring.valid}
    assert lit == {(unpool.id, "indices")}
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, QPoint(900, 700))
    ed.view.quick_add.hide()
    with qtbot.waitSignal(ed.scene.edit_rejected) as sig:
        ed.drag(ed.port_at(pool, "indices", True), ed.port_at(relu, "x", False))
    assert "pooling indices" in sig.args[0] and len(ed.graph.edges) == 1
    ed.drag(ed.port_at(pool, "indices", True), ed.node_at(unpool) + QPoint(0, 30))
    assert ed.graph.edges_into(unpool.id, "indices")  # the card picked its index port


def test_quick_add_after_an_index_wire_offers_only_index_takers(qtbot):
    ed = make_editor(qtbot)
    _inp, pool = chain(ed.graph, "input", "max_pool2d")
    ed.view.open_quick_add(QPointF(700, 300), (pool.id, "indices", True))
    popup = ed.view.quick_add
    offered = {popup.list.item(i).data(Qt.UserRole) for i in range(popup.list.count())}
    assert offered == {"max_unpool2d"}
    QTest.keyClick(popup.edit, Qt.Key_Return)
    (unpool,) = [n for n in ed.graph.nodes.values() if n.type_id == "max_unpool2d"]
    assert ed.graph.edges_into(unpool.id, "indices")[0].src == pool.id


def test_hovering_a_card_shows_its_tooltip(qtbot):
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    ed = make_editor(qtbot)
    _inp, conv = chain(ed.graph, "input", "conv2d")
    ed.analyze()
    pos = ed.node_at(conv) + QPoint(0, 30)
    vp = ed.view.viewport()
    QApplication.sendEvent(vp, QHelpEvent(QHelpEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    text = QToolTip.text()
    assert "conv1 — Conv2d" in text and "output 16×26×26" in text and "160 parameters" in text


def test_an_unwired_card_is_incomplete_not_wrong(qtbot):
    """A dropped card with nothing wired in says so calmly (no red); a real error stays red."""
    from netcanvas.backend.graph import Graph
    from netcanvas.backend.shapes import analyze

    g = Graph()
    lone = g.add("linear", position=(0, 0))
    flat = g.add("conv2d", position=(300, 300))
    g.connect(g.add("input", shape=(4,), position=(0, 300)), flat)  # 1-D into a Conv2d: wrong
    editor = make_editor(qtbot, g)
    editor.scene.set_analysis(analyze(editor.scene.graph))
    calm, wrong = editor.scene.node_item(lone.id), editor.scene.node_item(flat.id)
    assert calm.error and not calm.alarming and calm.footer_text() == "not wired yet"
    assert wrong.alarming and wrong.footer_text() == "shape error"
