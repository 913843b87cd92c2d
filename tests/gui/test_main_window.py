"""Main window: problems panel, status bar, title, shortcuts and the code panel."""

from __future__ import annotations

import pytest
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


def test_status_bar_shows_totals_and_validity(window):
    status = window.status
    params = (64 * 32 + 32) + (32 * 10 + 10)
    assert status.params.text() == f"{params:,} parameters"
    assert "FLOPs" in status.flops.text()
    assert status.validity.text() == "✓ valid"
    _break_the_graph(window)
    assert "error" in status.validity.text()
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
    name_edit.setFocus()
    name_edit.end(False)
    qtbot.keyClick(name_edit, Qt.Key_Backspace)  # edits the text, deletes no node
    assert fc1.id in graph.nodes and name_edit.text() == "fc"
    name_edit.setText("fc1")
    window.view.setFocus()
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


@pytest.mark.slow
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
