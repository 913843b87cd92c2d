"""Blocks in the window: Ctrl+G groups, a double-click opens the block in the same canvas
with a breadcrumb, edits inside go through the one undo stack, Escape or the breadcrumb
goes back, Ctrl+Shift+G ungroups to the very same nodes."""

from __future__ import annotations

from pathlib import Path

from netcanvas.app.document import Document
from netcanvas.app.main_window import FIT_ZOOM
from netcanvas.backend.graph import BLOCK, Graph
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import Qt
from test_app_support import *  # fixtures: window, isolated


def _state(graph):
    """Everything group + ungroup must give back, order aside."""
    nodes = {n.id: (n.type_id, n.name, dict(n.params), tuple(n.position))
             for n in graph.nodes.values()}
    return nodes, set(graph.edges)


def _group(window, qtbot, *names):
    graph = window.document.graph
    window.scene.select_nodes([graph.by_name(n).id for n in names])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_G, Qt.ControlModifier)
    (instance,) = [n for n in graph.nodes.values() if n.type_id == BLOCK]
    return instance


def _double_click(window, qtbot, node_id):
    view, item = window.view, window.scene.node_item(node_id)
    at = view.mapFromScene(item.mapToScene(item.card_rect().center()))
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=at)


def _inner(window, name):
    return window.scene.graph.by_name(name)


def _type_param(window, qtbot, node, param, text):
    """Select `node` on the current canvas and type `text` into its `param` spin box."""
    window.scene.select_nodes([node.id])
    assert window.inspector.node_id == node.id
    spin = window.inspector.editors[param].widget
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)


def test_group_open_edit_inside_go_back_ungroup_and_undo(window, qtbot):
    graph, stack = window.document.graph, window.document.undo_stack
    before, params = _state(graph), window.document.analysis.total_params
    instance = _group(window, qtbot, "fc1", "act")
    assert stack.count() == 1 and len(graph.nodes) == 5
    assert instance.spec.inputs[0].name == "x" and instance.spec.outputs[0].name == "y"
    assert window.document.analysis.total_params == params  # same network
    assert window.scene.selected_node_ids() == [instance.id]

    _double_click(window, qtbot, instance.id)
    assert window.navigator.depth == 1
    assert window.breadcrumb.isVisible()
    assert window.breadcrumb.labels == ["Untitled", "block1", "Block"]
    inner = window.scene.graph
    assert inner is window.document.project.blocks["Block"].graph
    fc1 = _inner(window, "fc1")
    assert window.scene.node_item(fc1.id).shape_text == "32"  # live shapes of this instance
    _type_param(window, qtbot, fc1, "out_features", "16")
    assert fc1.params["out_features"] == 16
    assert stack.count() == 2 and "in Block" in stack.undoText()
    assert window.scene.node_item(fc1.id).shape_text == "16"
    fc2 = graph.by_name("fc2")
    assert window.document.analysis.nodes[fc2.id].params == 16 * 10 + 10  # the top follows

    window.breadcrumb.buttons[0].click()  # "Untitled": back to the top
    assert window.navigator.depth == 0 and not window.breadcrumb.isVisible()
    assert window.scene.graph is graph
    stack.undo()  # the inside edit, undone from outside
    assert fc1.params["out_features"] == 32
    assert window.document.analysis.nodes[fc2.id].params == 32 * 10 + 10

    window.scene.select_nodes([instance.id])
    qtbot.keyClick(window.view, Qt.Key_G, Qt.ControlModifier | Qt.ShiftModifier)
    assert _state(graph) == before
    assert "Block" not in window.document.project.blocks
    stack.undo()  # the ungroup
    assert [n.type_id for n in graph.nodes.values()].count(BLOCK) == 1
    stack.undo()  # the group
    assert _state(graph) == before and len(window.document.project.blocks) == 0


def test_escape_goes_up_and_an_undo_that_removes_the_open_block_closes_it(window, qtbot):
    instance = _group(window, qtbot, "fc1", "act")
    _double_click(window, qtbot, instance.id)
    assert window.navigator.depth == 1
    qtbot.keyClick(window.view, Qt.Key_Escape)
    assert window.navigator.depth == 0
    assert window.scene.selected_node_ids() == [instance.id]  # the top level as it was left
    window.navigator.open(instance.id)
    window.document.undo_stack.undo()  # the group: the open block is gone
    assert window.navigator.depth == 0 and window.scene.graph is window.document.graph
    assert window.scene.node_item(window.document.graph.by_name("fc1").id) is not None


def test_after_undo_and_redo_of_the_group_edits_inside_land_in_the_current_definition(
        window, qtbot):
    """Redoing a Group makes its definition anew: a block opened again edits the new one."""
    stack, blocks = window.document.undo_stack, window.document.project.blocks
    instance = _group(window, qtbot, "fc1", "act")
    window.navigator.open(instance.id)
    qtbot.keyClick(window.view, Qt.Key_Escape)
    stack.undo()
    stack.redo()
    assert window.navigator.open(instance.id)
    assert window.scene.graph is blocks["Block"].graph
    _type_param(window, qtbot, _inner(window, "fc1"), "out_features", "16")
    assert blocks["Block"].graph.by_name("fc1").params["out_features"] == 16
    fc2 = window.document.graph.by_name("fc2")
    assert window.document.analysis.nodes[fc2.id].params == 16 * 10 + 10


def test_an_open_block_stays_open_on_its_current_definition_across_undo_and_redo(
        window, qtbot):
    """Undo and redo of Make Unique swap the definition an open instance runs (and the redo
    builds it anew): the level stays, showing the project's definition of the moment."""
    stack, blocks = window.document.undo_stack, window.document.project.blocks
    first = _group(window, qtbot, "fc1", "act")
    window.scene.select_nodes([first.id])
    qtbot.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)  # a second instance of Block
    (second,) = window.scene.selected_node_ids()
    window.blocks.make_unique(second)
    window.navigator.open(second)
    assert window.breadcrumb.labels[-1] == "Block2"
    stack.undo()
    assert window.navigator.depth == 1 and window.breadcrumb.labels[-1] == "Block"
    assert window.scene.graph is blocks["Block"].graph
    stack.redo()
    assert window.navigator.depth == 1 and window.breadcrumb.labels[-1] == "Block2"
    assert window.scene.graph is blocks["Block2"].graph  # the new object, not the stale one
    _type_param(window, qtbot, _inner(window, "fc1"), "out_features", "16")
    assert blocks["Block2"].graph.by_name("fc1").params["out_features"] == 16
    assert blocks["Block"].graph.by_name("fc1").params["out_features"] == 32
    stack.undo()  # the edit inside, then Make Unique: still open, on Block
    stack.undo()
    assert window.navigator.depth == 1 and window.scene.graph is blocks["Block"].graph


def test_edits_inside_a_nested_block_and_the_breadcrumb_path(window, qtbot):
    outer = _group(window, qtbot, "fc1", "act", "fc2")
    window.navigator.open(outer.id)
    blocks = window.document.project.blocks
    window.scene.select_nodes([_inner(window, "fc1").id, _inner(window, "act").id])
    window.actions.group.trigger()
    nested = next(n for n in window.scene.graph.nodes.values() if n.type_id == BLOCK)
    assert blocks["Block"].graph.nodes[nested.id] is nested and "Block2" in blocks
    window.navigator.open(nested.id)
    assert window.breadcrumb.labels == ["Untitled", "block1", "block1", "Block2"]
    assert window.scene.node_item(_inner(window, "fc1").id).shape_text == "32"
    window.breadcrumb.buttons[1].click()
    assert window.navigator.depth == 1 and window.breadcrumb.labels[-1] == "Block"


def test_a_shape_error_inside_marks_the_instance_and_the_inner_node(window, qtbot):
    g = Graph()
    x = g.add("input", "image", shape=(3, 8, 8), position=(0, 0))
    conv = g.add("conv2d", "conv", out_channels=4, kernel_size=3, position=(240, 0))
    act = g.add("relu", "act", position=(480, 0))
    flat = g.add("flatten", "flat", position=(720, 0))
    out = g.add("output", "y", position=(960, 0))
    for a, b in ((x, conv), (conv, act), (act, flat), (flat, out)):
        g.connect(a, b)
    window.set_document(Document(Project(graph=g)))
    instance = _group(window, qtbot, "conv", "act")
    window.navigator.open(instance.id)
    inner_conv = _inner(window, "conv")
    window.scene.select_nodes([inner_conv.id])
    spin = window.inspector.editors["kernel_size"].widget
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "9")
    qtbot.keyClick(spin, Qt.Key_Return)
    assert inner_conv.params["kernel_size"] == (9, 9)
    error = window.document.analysis.nodes[instance.id].error
    assert error and "'block1'" in error and "conv" in error
    assert window.scene.node_item(inner_conv.id).error  # marked inside, once opened
    window.navigator.up()
    assert window.scene.node_item(instance.id).error == error


def test_repeat_and_exposed_params_show_on_the_card_and_in_the_inspector(window, qtbot):
    instance = _group(window, qtbot, "act")
    item = window.scene.node_item(instance.id)
    assert item.title == "Block"
    kind = item.kind  # the block look (NodeKinds.of), not a layer category's colour
    assert (kind.category, kind.quiet, kind.key_params) == ("Blocks", True, ())
    header, layer = item.theme.header(kind.hue, kind.quiet), item.theme.header(140)
    assert header.hslSaturationF() < 0.25 < layer.hslSaturationF()
    editors = window.inspector.editors
    assert "repeat" in editors and "block" not in editors
    assert not window.inspector.unique_button.isEnabled()  # one instance: nothing to fork
    spin = editors["repeat"].widget
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "3")
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
    assert instance.params["repeat"] == 3 and item.title == "Block ×3"
    assert "×3" in item.tooltip_text()


def test_block_actions_are_in_the_edit_menu_and_the_shortcut_list(window):
    rows = dict(window.actions.shortcut_rows())
    assert rows["Group into Block"] == "Ctrl+G"
    assert rows["Ungroup Block"] == "Ctrl+Shift+G"
    assert rows["Close Block"] == "Esc"
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    texts = [a.text() for a in edit.actions()]
    assert {"&Group into Block", "U&ngroup Block", "Make Block &Unique",
            "Save Block to &Library…"} <= set(texts)


def test_a_new_document_closes_the_open_block(window, qtbot):
    instance = _group(window, qtbot, "fc1", "act")
    window.navigator.open(instance.id)
    window.set_document(Document())
    assert window.navigator.depth == 0 and not window.breadcrumb.isVisible()
    assert window.scene.graph is window.document.graph
    window.document.undo_stack.setClean()


def test_renaming_a_port_inside_renames_it_on_the_card_and_keeps_its_wires(window, qtbot):
    graph, stack = window.document.graph, window.document.undo_stack
    instance = _group(window, qtbot, "fc1", "act")
    window.navigator.open(instance.id)
    window.scene.select_nodes([_inner(window, "x").id])
    name = window.inspector.name_edit
    name.setFocus()
    name.selectAll()
    qtbot.keyClicks(name, "features")
    qtbot.keyClick(name, Qt.Key_Return)
    assert [p.name for p in instance.spec.inputs] == ["features"]
    assert [e.dst_port for e in graph.edges_into(instance.id)] == ["features"]
    assert window.document.analysis.ok
    window.navigator.up()
    card = window.scene.node_item(instance.id)
    assert list(card.inputs) == ["features"]
    assert len(window.scene.edge_items()) == len(graph.edges)  # every wire drawn
    stack.undo()
    assert list(window.scene.node_item(instance.id).inputs) == ["x"]
    assert [e.dst_port for e in graph.edges_into(instance.id)] == ["x"]
    assert window.document.analysis.ok


def test_a_port_added_inside_appears_on_the_card(window, qtbot):
    instance = _group(window, qtbot, "fc1", "act")
    window.navigator.open(instance.id)
    window.scene.add_layer("input", (0, 400))
    window.navigator.up()
    assert len(window.scene.node_item(instance.id).inputs) == 2
    window.document.undo_stack.undo()
    assert len(window.scene.node_item(instance.id).inputs) == 1


def test_escape_in_the_quick_add_popup_inside_a_block_only_closes_the_popup(window, qtbot):
    instance = _group(window, qtbot, "fc1", "act")
    window.navigator.open(instance.id)
    window.view.open_quick_add()
    popup = window.view.quick_add
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup.edit, Qt.Key_Escape)
    assert not popup.isVisible() and window.navigator.depth == 1
    window.view.open_quick_add()  # Tab: the chosen layer lands inside the block
    qtbot.keyClicks(popup.edit, "dropout")
    qtbot.keyClick(popup.edit, Qt.Key_Return)
    assert any(n.type_id == "dropout" for n in window.scene.graph.nodes.values())
    assert not any(n.type_id == "dropout" for n in window.document.graph.nodes.values())
    assert "in Block" in window.document.undo_stack.undoText()


def test_a_block_opens_framed_to_its_whole_inner_graph_at_a_readable_zoom(window, qtbot):
    example = Path(__file__).parents[2] / "resources" / "examples" / "resnet18.netcanvas"
    window.set_document(Document(load_project(example)))
    window.navigator.open(window.document.graph.by_name("layer2").id)
    view = window.view
    qtbot.waitUntil(lambda: view.property("framed") and view.zoom() != 1.0)
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    items = window.scene.node_items()
    assert len(items) == 11  # x, conv1 bn1 relu1 conv2 bn2, down_conv down_bn, add relu2 y
    for node_id, item in items.items():
        assert seen.contains(item.sceneBoundingRect()), window.scene.graph.nodes[node_id].name
    assert view.zoom() >= FIT_ZOOM  # cards still read
    window.document.undo_stack.setClean()


def test_block_actions_with_the_wrong_selection_say_what_to_select(window, qtbot):
    window.scene.clearSelection()
    window.actions.group.trigger()
    assert window.statusBar().currentMessage() == "Select the nodes to group into a block"
    window.scene.select_nodes([window.document.graph.by_name("fc1").id])  # not a block
    for do, hint in ((window.blocks.ungroup, "Select a block to ungroup"),
                     (window.blocks.make_unique, "Select a block to make unique"),
                     (window.blocks.save_to_library, "Select a block to save to your library")):
        do()
        assert window.statusBar().currentMessage() == hint
    assert window.document.undo_stack.count() == 0
