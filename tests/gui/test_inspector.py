"""The inspector edits the selected node through the undo stack and refuses bad values."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_app_support import *  # fixtures: window, isolated


def _select(window, name: str):
    node = window.document.graph.by_name(name)
    window.scene.select_nodes([node.id])
    assert window.inspector.node_id == node.id
    return node


def _type_into(qtbot, line_edit, text: str) -> None:
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key_Return)


def _edge_label(window, src: str, dst: str) -> str:
    graph = window.document.graph
    edge = next(e for e in graph.edges
                if e.src == graph.by_name(src).id and e.dst == graph.by_name(dst).id)
    return window.scene.edge_item(edge).label


def test_editing_a_parameter_changes_the_node_and_the_edge_shapes(window, qtbot):
    node = _select(window, "fc1")
    assert _edge_label(window, "fc1", "act") == "32"
    spin = window.inspector.editors["out_features"].widget
    _type_into(qtbot, spin.lineEdit(), "48")
    assert node.params["out_features"] == 48
    assert _edge_label(window, "fc1", "act") == "48"
    assert _edge_label(window, "act", "fc2") == "48"
    assert window.document.analysis.nodes[node.id].params == 64 * 48 + 48
    assert "48" in window.inspector.info.text()
    window.document.undo_stack.undo()
    assert node.params["out_features"] == 32
    assert spin.value() == 32  # the editor follows undo
    assert _edge_label(window, "fc1", "act") == "32"


def test_an_invalid_value_is_refused_with_a_message_and_reverts(window, qtbot):
    node = _select(window, "image")
    shape_edit = window.inspector.editors["shape"].widget
    depth = window.document.undo_stack.count()
    _type_into(qtbot, shape_edit, "0, 8, 8")
    assert node.params["shape"] == (1, 8, 8)
    assert shape_edit.text() == "1, 8, 8"
    message = window.inspector.message
    assert message.isVisible() and "at least 1" in message.text()
    assert window.document.undo_stack.count() == depth
    _type_into(qtbot, shape_edit, "eight")
    assert node.params["shape"] == (1, 8, 8) and "shape" in message.text()
    _type_into(qtbot, shape_edit, "1x16x16")  # a valid value clears the message
    assert node.params["shape"] == (1, 16, 16)
    assert not message.isVisible()
    assert _edge_label(window, "flat", "fc1") == "256"


def test_a_shape_error_shows_on_the_node_and_in_the_inspector(window, qtbot):
    node = _select(window, "flat")
    start_dim = window.inspector.editors["start_dim"].widget
    _type_into(qtbot, start_dim.lineEdit(), "4")  # past the last dim of (N, 1, 8, 8)
    assert node.params["start_dim"] == 4
    analysis = window.document.analysis
    assert analysis.nodes[node.id].error
    assert window.inspector.node_error.isVisible()
    assert window.scene.node_item(node.id).error == analysis.nodes[node.id].error
    assert window.inspector.node_error.text() == analysis.nodes[node.id].error
    _select(window, "logits")
    combo = window.inspector.editors["loss"].widget
    combo.setCurrentText("mse")
    assert window.document.graph.by_name("logits").params["loss"] == "mse"
    assert not window.inspector.node_error.isVisible()


def test_rename_keeps_names_unique(window, qtbot):
    node = _select(window, "fc1")
    name_edit = window.inspector.name_edit
    _type_into(qtbot, name_edit, "fc2")
    assert node.name == "fc1" and name_edit.text() == "fc1"
    assert "fc2" in window.inspector.message.text()
    _type_into(qtbot, name_edit, "2bad")
    assert node.name == "fc1"
    _type_into(qtbot, name_edit, "hidden")
    assert node.name == "hidden"
    assert window.scene.node_item(node.id).name == "hidden"
    window.document.undo_stack.undo()
    assert node.name == "fc1" and name_edit.text() == "fc1"


def test_bool_and_choice_edits_are_undoable(window, qtbot):
    node = _select(window, "fc2")
    bias = window.inspector.editors["bias"].widget
    bias.setFocus()
    qtbot.keyClick(bias, Qt.Key_Space)
    assert node.params["bias"] is False
    assert window.document.modified and window.windowTitle().startswith("Untitled*")
    window.document.undo_stack.undo()
    assert node.params["bias"] is True and bias.isChecked()
    out = _select(window, "logits")
    combo = window.inspector.editors["loss"].widget
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down)
    assert out.params["loss"] == combo.currentText() != "cross_entropy"
    window.document.undo_stack.undo()
    assert out.params["loss"] == combo.currentText() == "cross_entropy"


def test_selection_of_several_or_none(window):
    graph = window.document.graph
    window.scene.select_nodes([graph.by_name("fc1").id, graph.by_name("fc2").id])
    assert window.inspector.node_id is None
    window.scene.select_nodes([])
    assert window.inspector.node_id is None
    _select(window, "fc1")
    window.scene.delete_selection()
    assert window.inspector.node_id is None


def test_text_parsing_for_every_text_kind():
    from netcanvas.app.param_editors import parse_text
    from netcanvas.backend.registry import get

    eps = get("batch_norm2d").param("eps")
    assert parse_text(eps, "1e-3") == 0.001
    size = get("max_unpool2d").param("output_size")
    assert parse_text(size, "") is None
    assert size.validate(parse_text(size, "(8, 8)")) == (8, 8)
    assert size.validate(parse_text(size, "8x8")) == (8, 8)
    assert parse_text(eps, "small") == "small"  # left for validate() to refuse by name


def test_float_edits_and_their_limits(window, qtbot):
    from netcanvas.backend.graph import AddNodes, Node, new_id

    graph = window.document.graph
    node = Node(new_id(), "dropout", "drop", {}, (0.0, 300.0))
    window.document.push(AddNodes([node]))
    _select(window, "drop")
    p_edit = window.inspector.editors["p"].widget
    assert p_edit.text() == "0.5"
    _type_into(qtbot, p_edit, "0.25")
    assert graph.node(node.id).params["p"] == 0.25
    _type_into(qtbot, p_edit, "2")
    assert graph.node(node.id).params["p"] == 0.25 and p_edit.text() == "0.25"
    assert "p:" in window.inspector.message.text()


def test_repeated_edits_merge_into_one_step_and_each_redraws_at_once(window, qtbot):
    _select(window, "fc1")
    spin = window.inspector.editors["out_features"].widget
    depth = window.document.undo_stack.count()
    for value in ("40", "41", "42"):
        _type_into(qtbot, spin.lineEdit(), value)
        assert _edge_label(window, "fc1", "act") == value  # no event-loop turn needed
    assert window.document.undo_stack.count() == depth + 1
    window.document.undo_stack.undo()
    assert _edge_label(window, "fc1", "act") == "32"
