"""Friction a new user met: each fixed as they would expect, driven through the real window."""

from __future__ import annotations

import math

from netcanvas.app import files
from netcanvas.app.document import Document
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.graph_editor.node_item import NodeItem
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QHelpEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip
from test_app_support import *  # fixtures: window, isolated


def _cards_overlap(window) -> list[tuple[str, str]]:
    items = list(window.scene.node_items().values())
    rects = [(i.node_id, i.mapRectToScene(i.card_rect())) for i in items]
    return [(a, b) for k, (a, ra) in enumerate(rects) for b, rb in rects[k + 1:]
            if ra.intersects(rb)]


def test_a_new_input_takes_the_project_datasets_sample_shape(window):
    dataset = window.document.project.dataset
    assert window.document.graph.nodes[window.add_layer_at_center("input")].params["shape"] \
        == (1, 8, 8)  # digits, the project's dataset
    dataset.name, dataset.options = "linear", {"n_features": 3}
    assert window.document.graph.nodes[window.add_layer_at_center("input")].params["shape"] \
        == (3,)
    dataset.name, dataset.options = "moons", {}
    assert window.document.graph.nodes[window.add_layer_at_center("input")].params["shape"] \
        == (2,)


def test_a_pair_field_takes_one_number_for_both(window, qtbot):
    node_id = window.add_layer_at_center("conv2d")
    window.scene.select_nodes([node_id])
    for name in ("padding", "stride", "kernel_size"):
        edit = window.inspector.editors[name].widget
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, "2")
        qtbot.keyClick(edit, Qt.Key_Return)
        assert window.document.graph.nodes[node_id].params[name] == (2, 2), name


def test_quick_add_and_paste_land_in_free_space(window, qtbot):
    graph = window.document.graph
    fc1 = window.scene.node_item(graph.by_name("fc1").id)
    on_fc1 = fc1.mapToScene(fc1.card_rect().center())
    window.view.setFocus()
    window.view.open_quick_add(on_fc1)
    popup = window.view.quick_add
    qtbot.keyClicks(popup.edit, "relu")
    qtbot.keyClick(popup.edit, Qt.Key_Return)
    assert len(graph.nodes) == 7 and not _cards_overlap(window)
    window.scene.select_nodes([graph.by_name("fc2").id])
    window.scene.copy_selection()
    window.scene.paste(on_fc1)
    assert len(graph.nodes) == 8 and not _cards_overlap(window)
    window.scene.duplicate_selection()
    assert len(graph.nodes) == 9 and not _cards_overlap(window)


def test_auto_layout_brings_the_graph_into_view(window):
    window.view.centerOn(QPointF(-20_000, -20_000))  # looking at nothing
    window.actions.auto_layout.trigger()
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    graph = window.document.graph
    first = window.scene.node_item(graph.by_name("image").id)  # too wide to see whole at a
    assert seen.contains(first.sceneBoundingRect())  # readable zoom: its input end, as opened
    assert seen.intersected(window.scene.nodes_rect()).width() > 0.6 * seen.width()


def test_space_drag_pans_without_selecting_even_with_focus_elsewhere(window, qtbot):
    window.activateWindow()
    window.palette_panel.tree.setFocus()  # the user just picked a layer from the palette
    qtbot.waitUntil(lambda: window.palette_panel.tree.hasFocus())
    view, viewport = window.view, window.view.viewport()
    start = view.mapFromScene(window.scene.nodes_rect().center()) + QPoint(0, -150)
    QApplication.sendEvent(view, QEnterEvent(QPointF(start), QPointF(start),
                                             QPointF(viewport.mapToGlobal(start))))
    qtbot.keyPress(QApplication.focusWidget(), Qt.Key_Space)
    before = view.mapToScene(QPoint(0, 0))
    end = start + QPoint(-120, 300)  # a sweep across every card
    for kind, at in ((QEvent.MouseButtonPress, start), (QEvent.MouseMove, start + QPoint(-60, 150)),
                     (QEvent.MouseMove, end), (QEvent.MouseButtonRelease, end)):
        buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else Qt.LeftButton
        button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(at), QPointF(
            viewport.mapToGlobal(at)), button, buttons, Qt.NoModifier))
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key_Space)
    assert window.scene.selected_node_ids() == []
    assert ((view.mapToScene(QPoint(0, 0)) - before) * view.zoom()).toPoint() == QPoint(120, -300)


def test_toolbar_buttons_stay_put_when_the_undo_text_changes(window):
    bar = window.actions.toolbar
    frame = bar.widgetForAction(window.actions.frame)
    before = frame.geometry()
    window.add_layer_at_center("adaptive_avg_pool2d")  # "Undo Add AdaptiveAvgPool2d"
    bar.layout().activate()
    assert frame.geometry() == before
    undo = bar.widgetForAction(window.actions.undo_button)
    assert undo.isEnabled() and "Add AdaptiveAvgPool2d" in undo.toolTip()


def test_example_titles_read_as_people_write_them(window):
    titles = [a.text() for a in window.actions.examples_menu.actions()]
    assert {"VGG-16", "ResNet-18", "MLP on moons"} <= set(titles)


def test_file_dialogs_start_in_the_last_folder_used(window, isolated, monkeypatch):
    from netcanvas.backend.project_io import save_project
    from test_app_support import mlp_project

    folder = isolated / "projects"
    folder.mkdir()
    save_project(mlp_project(), folder / "one.netcanvas")
    assert window.files.open_path(folder / "one.netcanvas")
    window.actions.new.trigger()
    asked = []
    monkeypatch.setattr(files, "ask_open_path", lambda parent, start: asked.append(start))
    monkeypatch.setattr(files, "ask_save_path", lambda parent, start: asked.append(start))
    window.files.open()
    window.files.save_as()
    assert asked[0] == str(folder) and asked[1].startswith(str(folder))


def test_the_output_port_says_what_it_carries(window):
    graph = window.document.graph
    item: NodeItem = window.scene.node_item(graph.by_name("logits").id)
    port = window.view.mapFromScene(item.port("y", True).anchor())
    viewport = window.view.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.ToolTip, port, viewport.mapToGlobal(port)))
    text = QToolTip.text()
    assert "output 'y' of logits" in text and "prediction" in text and "shape 10" in text


def test_auto_layout_folds_a_long_chain_into_rows_that_fit_the_view(window, qtbot):
    # An imported graph lands in one long row: Frame shrank it unreadably. Auto-Layout folds
    # it into rows read like text, its box near the view's shape, readable when framed.
    g = Graph()
    prev = g.add("input", "x", shape=(8,), position=(0, 0))
    for i in range(58):
        node = g.add("linear" if i % 2 == 0 else "relu", f"l{i}", position=(240 * (i + 1), 0),
                     **({"out_features": 8} if i % 2 == 0 else {}))
        g.connect(prev, node)
        prev = node
    g.connect(prev, g.add("output", "y", position=(240 * 59, 0)))
    window.set_document(Document(Project(graph=g)))
    window.actions.auto_layout.trigger()
    port = window.view.viewport().rect()
    box = window.scene.nodes_rect()
    aspect = port.width() / port.height()
    assert abs(math.log(box.width() / box.height() / aspect)) < math.log(1.5)
    assert not _cards_overlap(window)
    window.actions.frame.trigger()
    seen = window.view.mapToScene(port).boundingRect()
    assert seen.contains(box) and window.view.zoom() > 0.4  # whole, and legible
