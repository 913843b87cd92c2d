"""Copy, paste and duplicate: new ids, unique names, internal edges only, one undo step,
and a payload that another window (another scene and graph) understands."""

from __future__ import annotations

import json

from netcanvas.graph_editor import NODES_MIME
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from test_canvas_support import chain, make_editor


def test_copy_puts_project_json_on_the_system_clipboard(qtbot):
    ed = make_editor(qtbot)
    a, b, _c = chain(ed.graph, "input", "conv2d", "relu")
    ed.graph.set_param(b.id, "out_channels", 7)
    ed.scene.select_nodes([a.id, b.id])
    QTest.keyClick(ed.view.viewport(), Qt.Key_C, Qt.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    data = json.loads(bytes(mime.data(NODES_MIME)).decode())
    assert [n["name"] for n in data["nodes"]] == ["input1", "conv1"]
    assert data["nodes"][1]["params"]["out_channels"] == 7
    assert len(data["edges"]) == 1  # b -> c leaves the selection, so it is not copied
    assert json.loads(mime.text()) == data


def test_paste_adds_fresh_nodes_with_internal_edges_in_one_step(qtbot):
    ed = make_editor(qtbot)
    a, b, c = chain(ed.graph, "input", "conv2d", "relu")
    ed.scene.select_nodes([a.id, b.id])
    ed.scene.copy_selection()
    before = ed.graph.to_dict()
    new = ed.scene.paste()
    assert len(new) == 2 and not set(new) & {a.id, b.id, c.id}
    names = [ed.graph.nodes[n].name for n in new]
    assert len(set(names) | {"input1", "conv1", "relu1"}) == 5  # all names unique
    assert ed.graph.edges[-1].src == new[0] and ed.graph.edges[-1].dst == new[1]
    pa, pb = (ed.graph.nodes[n].position for n in new)
    assert (pb[0] - pa[0], pb[1] - pa[1]) == (b.position[0] - a.position[0],
                                              b.position[1] - a.position[1])
    pasted = ed.scene.nodes_rect(new)
    assert not pasted.intersects(ed.scene.nodes_rect([a.id, b.id, c.id]))  # beside, not on
    assert set(ed.scene.selected_node_ids()) == set(new)
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Paste"
    ed.stack.undo()
    assert ed.graph.to_dict() == before


def test_paste_at_a_point_centres_the_nodes_there(qtbot):
    ed = make_editor(qtbot)
    a, b = chain(ed.graph, "relu", "relu")
    ed.scene.select_nodes([a.id, b.id])
    ed.scene.copy_selection()
    new = ed.scene.paste(QPointF(1000, 1000))
    xs = [ed.graph.nodes[n].position[0] for n in new]
    ys = [ed.graph.nodes[n].position[1] for n in new]
    assert (min(xs) + max(xs)) / 2 == 1000 and (min(ys) + max(ys)) / 2 == 1000


def test_paste_into_another_window(qtbot):
    first = make_editor(qtbot)
    _a, _b = chain(first.graph, "conv2d", "relu")
    first.scene.select_all()
    first.scene.copy_selection()
    second = make_editor(qtbot)
    second.graph.add("relu", name="conv1")  # a clash: the pasted conv gets another name
    second.view.setFocus()
    QTest.keyClick(second.view.viewport(), Qt.Key_V, Qt.ControlModifier)
    names = sorted(n.name for n in second.graph.nodes.values())
    assert names == ["conv1", "conv2", "relu1"]
    assert len(second.graph.edges) == 1
    assert set(second.scene.node_items()) == set(second.graph.nodes)


def test_duplicate_copies_selection_without_touching_the_clipboard(qtbot):
    ed = make_editor(qtbot)
    QGuiApplication.clipboard().setText("keep me")
    a, b = chain(ed.graph, "linear", "relu")
    ed.scene.select_nodes([a.id, b.id])
    ed.view.setFocus()
    QTest.keyClick(ed.view.viewport(), Qt.Key_D, Qt.ControlModifier)
    assert len(ed.graph.nodes) == 4 and len(ed.graph.edges) == 2
    assert QGuiApplication.clipboard().text() == "keep me"
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Duplicate"


def test_pasting_text_that_is_not_nodes_does_nothing(qtbot):
    ed = make_editor(qtbot)
    QGuiApplication.clipboard().setText("hello")
    assert ed.scene.paste() == [] and not ed.graph.nodes and ed.stack.count() == 0


def test_cut_is_copy_then_delete(qtbot):
    ed = make_editor(qtbot)
    a, b = chain(ed.graph, "relu", "relu")
    ed.scene.select_nodes([b.id])
    QTest.keyClick(ed.view.viewport(), Qt.Key_X, Qt.ControlModifier)
    assert list(ed.graph.nodes) == [a.id]
    assert ed.scene.paste() and len(ed.graph.nodes) == 2
