"""The graph doctor in the app: lint findings in the Problems panel, quick fixes from the
canvas's right-click menu, a Problems row and Ctrl+., the summary table dock and the
memory-fit line in the Settings tab."""

from __future__ import annotations

import csv
import itertools

from netcanvas.app.document import Document
from netcanvas.backend.doctor import DataFacts
from netcanvas.backend.graph import AddEdge, Edge, Graph, RemoveItems, SetParam
from netcanvas.backend.project import Project
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated


def softmax_project() -> Project:
    """input -> flatten -> fc (Linear 10) -> sm (Softmax) -> logits (cross-entropy)."""
    g = Graph()
    chain = [g.add("input", "image", shape=(1, 8, 8), position=(0, 0)),
             g.add("flatten", "flat", position=(240, 0)),
             g.add("linear", "fc", out_features=10, position=(480, 0)),
             g.add("softmax", "sm", position=(720, 0)),
             g.add("output", "logits", position=(960, 0))]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    return Project(graph=g)


def open_softmax(window) -> Graph:
    window.set_document(Document(softmax_project()))
    QApplication.processEvents()
    window.frame_all()
    return window.document.graph


def right_click_node(window, name: str) -> None:
    item = window.scene.node_item(window.document.graph.by_name(name).id)
    pos = window.view.mapFromScene(item.sceneBoundingRect().center())
    viewport = window.view.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Mouse, pos,
                                                       viewport.mapToGlobal(pos)))


def click_menu_item(qtbot, menu, text: str) -> None:
    qtbot.waitExposed(menu)
    action = next(a for a in menu.actions() if a.text() == text)
    qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(action).center())


def rows(window):
    p = window.problems
    return [(p.topLevelItem(i).text(0), p.topLevelItem(i).text(2))
            for i in range(p.topLevelItemCount())]


def test_right_click_quick_fix_removes_the_double_softmax_and_undo_restores_it(window, qtbot):
    graph = open_softmax(window)
    before = graph.to_dict()
    assert ("sm", "double-softmax") in rows(window)
    right_click_node(window, "sm")
    menu = window.quick_fixes.menu
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Remove Softmax 'sm'", "Silence 'double-softmax' for 'sm'"]
    click_menu_item(qtbot, menu, "Remove Softmax 'sm'")
    assert graph.by_name("sm") is None
    fc, logits = graph.by_name("fc"), graph.by_name("logits")
    assert graph.edges_into(logits.id)[0].src == fc.id
    assert window.scene.node_item(fc.id) is not None and window.document.analysis.ok
    assert ("sm", "double-softmax") not in rows(window)
    assert window.undo_group.undoText() == "Remove Softmax 'sm'"
    window.actions.undo.trigger()
    assert graph.to_dict() == before
    assert ("sm", "double-softmax") in rows(window)


def test_problems_row_menu_silences_a_rule_for_that_node(window, qtbot):
    graph = open_softmax(window)
    problems = window.problems
    row = next(problems.topLevelItem(i) for i in range(problems.topLevelItemCount())
               if problems.topLevelItem(i).text(2) == "double-softmax")
    assert "Why: Cross-entropy applies log-softmax" in row.toolTip(1)
    pos = problems.visualItemRect(row).center()
    problems.customContextMenuRequested.emit(pos)
    click_menu_item(qtbot, window.quick_fixes.menu, "Silence 'double-softmax' for 'sm'")
    assert graph.by_name("sm").silenced == ("double-softmax",)
    assert ("sm", "double-softmax") not in rows(window)
    window.actions.undo.trigger()
    assert graph.by_name("sm").silenced == ()


def test_ctrl_period_offers_fixes_for_the_selected_node(window, qtbot):
    graph = open_softmax(window)
    window.scene.select_nodes([graph.by_name("sm").id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Period, Qt.ControlModifier)
    menu = window.quick_fixes.menu
    assert menu is not None and menu.isVisible()
    assert menu.actions()[0].text() == "Remove Softmax 'sm'"
    menu.close()


def test_error_fix_from_the_menu_with_the_dataset_known(window, qtbot):
    graph = open_softmax(window)
    window.document.set_data_facts(DataFacts("digits", (1, 8, 8), 10))
    window.document.push(RemoveItems([graph.by_name("flat").id, graph.by_name("fc").id]))
    image, sm = graph.by_name("image"), graph.by_name("sm")
    window.document.push(AddEdge(Edge(image.id, "y", sm.id, "x")))
    window.document.push(SetParam(image.id, "shape", (8, 8)))  # 8×8 scores: an error
    logits = graph.by_name("logits")
    assert window.document.analysis.nodes[logits.id].error
    right_click_node(window, "logits")
    click_menu_item(qtbot, window.quick_fixes.menu,
                    "Insert a Flatten and a Linear to 10 classes before 'logits'")
    assert window.document.analysis.ok
    window.actions.undo.trigger()
    assert window.document.analysis.nodes[logits.id].error


def test_summary_table_sorts_goes_to_nodes_copies_and_saves(window, qtbot, tmp_path):
    window.summary_dock.show()
    window.summary_dock.raise_()
    qtbot.waitUntil(lambda: window.summary.table.rowCount() == 6)
    table = window.summary.table
    assert [table.horizontalHeaderItem(c).text() for c in range(6)] == [
        "Name", "Type", "Output shape", "Parameters", "MACs", "Activation memory"]
    graph = window.document.graph  # graph order until a column is chosen
    assert [table.item(r, 0).text() for r in range(6)] == [n.name for n in graph.nodes.values()]
    table.sortItems(3, Qt.DescendingOrder)
    assert [table.item(r, 0).text() for r in range(2)] == ["fc1", "fc2"]  # 2,080 > 330
    rect = table.visualItemRect(table.item(1, 0))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == [window.document.graph.by_name("fc2").id]
    text = window.summary.copy_markdown()
    assert QGuiApplication.clipboard().text() == text
    assert "| fc1 | Linear | 32 | 2,080 | 2,048 |" in text
    window.summary.save_csv(str(tmp_path / "s.csv"))
    saved = list(csv.DictReader((tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()))
    assert saved[2]["name"] == "fc1" and saved[2]["activation_bytes"] == str(32 * 4 * 64)
    window.training_dock.settings_form.widgets["batch_size"].setValue(8)
    assert "activation memory at batch 8" in window.summary.caption.text()


def test_memory_line_beside_the_batch_size_follows_it(window, qtbot):
    form = window.training_dock.settings_form
    label = window.training_dock.memory_label
    layout = form.forms["batch_size"]
    row, _ = layout.getWidgetPosition(form.widgets["batch_size"])
    assert layout.itemAt(row + 1, layout.ItemRole.FieldRole).widget() is label
    assert "at batch 64" in label.text() and "largest batch on a 3 / 8 / 24 GB GPU: " in label.text()
    form.widgets["batch_size"].setValue(512)
    assert "at batch 512" in label.text()
    assert "workspace allowance" in label.toolTip()


def test_batch_size_1_in_settings_brings_up_the_batchnorm_rule(window):
    g = Graph()
    chain = [g.add("input", "x", shape=(4,)), g.add("linear", "fc", out_features=8, bias=False),
             g.add("batch_norm1d", "bn"), g.add("relu", "act"),
             g.add("linear", "head", out_features=2), g.add("output", "y")]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    window.set_document(Document(Project(graph=g)))
    assert ("bn", "batchnorm-batch-1") not in rows(window)
    window.training_dock.settings_form.widgets["batch_size"].setValue(1)
    assert ("bn", "batchnorm-batch-1") in rows(window)
