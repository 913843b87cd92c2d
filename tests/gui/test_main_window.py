"""Main window: problems panel, status bar, title, shortcuts and the code panel."""

from __future__ import annotations

import pytest
from netcanvas.app.main_window import MainWindow
from netcanvas.backend.graph import RemoveItems
from PySide6.QtCore import Qt
from test_app_support import *  # fixtures: window, isolated


def _break_the_graph(window):
    """Delete the Flatten: fc1 then gets a 3-D input it cannot take... or a missing input."""
    graph = window.document.graph
    window.document.push(RemoveItems([graph.by_name("flat").id]))
    return graph


def test_problems_panel_lists_errors_and_double_click_selects_the_node(window, qtbot):
    problems = window.problems
    assert window.document.analysis.ok
    assert problems.topLevelItem(0).text(1).startswith("No problems")
    graph = _break_the_graph(window)
    analysis = window.document.analysis
    assert not analysis.ok
    rows = [problems.topLevelItem(i) for i in range(problems.topLevelItemCount())]
    assert [r.text(1) for r in rows] == [p.message for p in analysis.problems]
    fc1 = graph.by_name("fc1")
    row = next(r for r in rows if r.text(0) == "fc1")
    window.scene.select_nodes([])
    rect = problems.visualItemRect(row)
    qtbot.mouseClick(problems.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(problems.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == [fc1.id]
    assert window.inspector.node_id == fc1.id
    card = window.scene.node_item(fc1.id).sceneBoundingRect()
    assert window.view.mapToScene(window.view.viewport().rect()).boundingRect().contains(card)
    assert window.problems_dock.windowTitle() == f"Problems ({len(analysis.problems)})"


def test_status_bar_shows_totals_and_validity(window, qtbot):
    status = window.status
    params = (64 * 32 + 32) + (32 * 10 + 10)
    assert status.params.text() == f"{params:,} parameters"
    assert "MACs" in status.macs.text()
    assert status.validity.text() == "✓ valid"
    _break_the_graph(window)
    assert "error" in status.validity.text()
    window.training_dock.raise_()
    qtbot.mouseClick(status.validity, Qt.LeftButton)
    assert not window.problems_dock.visibleRegion().isEmpty()
    window.document.undo_stack.undo()
    assert status.validity.text() == "✓ valid"


def test_title_shows_a_star_when_modified(window):
    assert window.windowTitle() == "Untitled — NetCanvas"
    _break_the_graph(window)
    assert window.windowTitle() == "Untitled* — NetCanvas"
    window.document.undo_stack.undo()
    assert window.windowTitle() == "Untitled — NetCanvas"
    window.document.mark_modified()  # a dataset or training setting changed
    assert window.windowTitle() == "Untitled* — NetCanvas"


def test_shortcuts_reach_the_canvas_but_not_the_text_fields(window, qtbot):
    graph = window.document.graph
    fc1 = graph.by_name("fc1")
    window.scene.select_nodes([fc1.id])
    name_edit = window.inspector.name_edit
    window.activateWindow()
    qtbot.waitActive(window)  # focus, and so editingFinished, follows at once, not later
    name_edit.setFocus()
    qtbot.waitUntil(name_edit.hasFocus)
    name_edit.end(False)
    qtbot.keyClick(name_edit, Qt.Key_Backspace)  # edits the text, deletes no node
    assert fc1.id in graph.nodes and name_edit.text() == "fc"
    name_edit.setText("fc1")
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    assert fc1.name == "fc1" and len(graph.nodes) == 6
    qtbot.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)
    assert len(graph.nodes) == 7
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert len(graph.nodes) == 6
    qtbot.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert len(graph.nodes) == 7
    qtbot.keyClick(window.view, Qt.Key_Y, Qt.ControlModifier)
    assert len(graph.nodes) == 6
    window.actions.select_all.trigger()
    assert len(window.scene.selected_node_ids()) == 6


def test_auto_layout_is_one_undo_step(window):
    graph = window.document.graph
    for i, node in enumerate(graph.nodes.values()):
        graph.move(node.id, (0.0, 37.0 * i))
    before = {nid: n.position for nid, n in graph.nodes.items()}
    depth = window.document.undo_stack.count()
    window.actions.auto_layout.trigger()
    assert window.document.undo_stack.count() == depth + 1
    assert {nid: n.position for nid, n in graph.nodes.items()} != before
    window.document.undo_stack.undo()
    assert {nid: n.position for nid, n in graph.nodes.items()} == before


def test_show_code_displays_the_generated_pytorch_code(window, qtbot):
    panel = window.code_panel
    window.actions.show_code.trigger()
    assert window.code_dock.isVisible()
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=60_000)
    code = panel.editor.toPlainText()
    assert "import torch" in code and "fc1" in code and "nn.Linear(64, 32" in code
    window.document.graph.rename(window.document.graph.by_name("fc1").id, "hidden")
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=60_000)
    assert "hidden" in panel.editor.toPlainText()
    _break_the_graph(window)
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=60_000)
    assert panel.editor.toPlainText().startswith("# Fix these problems")


def test_tab_opens_quick_add_at_the_canvas(window, qtbot):
    graph = window.document.graph
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Tab)
    popup = window.view.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.edit, "dropout2d")  # letters reach the search, not the shortcuts
    qtbot.keyClick(popup.edit, Qt.Key_Return)
    assert [n.type_id for n in graph.nodes.values()].count("dropout2d") == 1


def test_opening_frames_small_graphs_whole_and_big_ones_readably(window):
    from netcanvas.app.document import Document
    from netcanvas.app.main_window import READABLE_ZOOM, WIDTH_ZOOM
    from netcanvas.backend.graph import Graph
    from netcanvas.backend.project import Project

    small = Graph()
    small.connect(small.add("input", shape=(3,)), small.add("linear", position=(260, 0)))
    window.set_document(Document(Project(graph=small)))
    window.frame_all()
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.nodes_rect())
    assert window.view.zoom() == pytest.approx(1.0)  # framing never zooms in past 100%
    g = Graph()
    prev = g.add("input", "image", shape=(64,), position=(0, 0))
    for i in range(40):
        node = g.add("relu", position=(260.0 * (i + 1), 0))
        g.connect(prev, node)
        prev = node
    window.set_document(Document(Project(graph=g)))
    window.frame_all()
    assert window.view.zoom() == pytest.approx(READABLE_ZOOM)
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    image = window.scene.node_item(g.by_name("image").id).sceneBoundingRect()
    assert visible.contains(image)
    assert not visible.contains(window.scene.nodes_rect())
    # Rows of cards, too tall to read whole, whose rows fit across: fitted to the width,
    # first rows shown whole.
    port = window.view.viewport().rect()
    fit = (WIDTH_ZOOM + READABLE_ZOOM) / 2  # rows fit across at this zoom, not at READABLE
    step = (port.width() / fit - 2 * 40 - 152) / 4  # five columns (40: framing's margin)
    rows = Graph()
    prev = rows.add("input", "image", shape=(64,), position=(0, 0))
    for i in range(1, 60):
        node = rows.add("relu", position=(step * (i % 5), 170.0 * (i // 5)))
        rows.connect(prev, node)
        prev = node
    window.set_document(Document(Project(graph=rows)))
    window.frame_all()
    everything = window.scene.nodes_rect()
    assert window.view.zoom() == pytest.approx(fit, abs=0.01)
    visible = window.view.mapToScene(port).boundingRect()
    assert visible.left() <= everything.left() and visible.right() >= everything.right()
    assert visible.top() <= everything.top() < visible.top() + 60
    assert visible.bottom() < everything.bottom()


def test_recent_files_menu(window, isolated):
    from netcanvas.backend.project_io import save_project
    from test_app_support import mlp_project

    path = isolated / "recent.netcanvas"
    save_project(mlp_project(), path)
    assert window.files.open_path(path)
    menu = window.actions.recent_menu
    menu.aboutToShow.emit()
    assert menu.actions()[0].text() == "recent.netcanvas"
    window.actions.new.trigger()
    menu.actions()[0].trigger()
    assert window.document.path == path
    window.files.clear_recent()
    menu.aboutToShow.emit()
    assert not menu.actions()[0].isEnabled()


def test_a_dark_palette_redraws_icons_and_canvas(window, qtbot):
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    light = app.palette()
    header = window.palette_panel.tree.topLevelItem(0)
    before = header.icon(0).pixmap(16, 16).toImage()
    frame_before = window.actions.frame.icon().pixmap(16, 16).toImage()
    dark = QPalette(light)
    for role, colour in ((QPalette.Window, "#2b2b2b"), (QPalette.WindowText, "#eeeeee"),
                         (QPalette.Base, "#1e1e1e"), (QPalette.Text, "#eeeeee")):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: header.icon(0).pixmap(16, 16).toImage() != before)
        assert window.scene.theme.dark
        assert window.actions.frame.icon().pixmap(16, 16).toImage() != frame_before
    finally:
        app.setPalette(light)


def test_every_standard_shortcut_is_bound(window):
    keys = {k for _, ks in window.actions.shortcut_rows() for k in ks.split(", ")}
    assert {"Ctrl+N", "Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y",
            "Del", "Ctrl+C", "Ctrl+V", "Ctrl+D", "Ctrl+A", "F", "Ctrl+0", "Tab"} <= keys


def test_an_empty_canvas_says_where_layers_come_from(window, qtbot):
    assert not window.empty_hint.isVisible()
    window.actions.new.trigger()
    qtbot.waitUntil(window.empty_hint.isVisible)
    assert "Tab" in window.empty_hint.text()
    assert window.empty_hint.geometry() == window.view.viewport().rect()
    window.add_layer_at_center("input")
    assert not window.empty_hint.isVisible()
    window.document.undo_stack.undo()
    assert window.empty_hint.isVisible()


def test_a_run_brings_the_training_dock_forward_and_makes_room(window, qtbot):
    from netcanvas.app.main_window import RUN_SHARE

    dock = window.training_dock
    assert dock.visibleRegion().isEmpty()  # behind the problems while designing
    dock.run_started.emit()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    qtbot.waitUntil(lambda: dock.height() >= int(window.height() * RUN_SHARE) - 30)
    assert window.view.height() > 200  # the canvas stays in sight


def test_first_start_without_saved_layout_gets_the_default_dock_sizes(qtbot, isolated):
    w = MainWindow()
    w.restore_state()  # nothing saved yet: must not cancel the default sizes
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.inspector_dock.width() >= 250)
    assert w.problems_dock.height() < w.height() // 4
    w.close()
    w.deleteLater()


def test_the_shortcuts_list_names_undo_plainly_and_includes_every_action(window):
    window.document.push(RemoveItems([window.document.graph.by_name("flat").id]))
    rows = dict(window.actions.shortcut_rows())
    assert rows["Undo"] == "Ctrl+Z" and not any(name.startswith("Undo ") for name in rows)
    assert rows["Circuit"] == "Ctrl+Shift+B"
    assert "F5" in rows.values()  # Train, from the training dock
