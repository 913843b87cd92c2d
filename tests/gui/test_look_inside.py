"""Look inside, second step, in the real window: receptive fields on hover and in the
Summary dock; the training doctor's findings on the canvas (amber badge), in Problems and
as an undoable quick fix, during a real run of the deep_sigmoid lesson."""

from __future__ import annotations

from pathlib import Path

from netcanvas.app.document import Document
from netcanvas.app.summary_table import COLUMNS
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
DOCS = Path(__file__).resolve().parents[2] / "docs"
RUN_TIMEOUT_MS = 120_000


def open_example(window, stem: str, **training):
    project = load_project(EXAMPLES / f"{stem}.netcanvas")
    for k, v in training.items():
        setattr(project.training, k, v)
    window.set_document(Document(project))
    QApplication.processEvents()
    window.frame_all()
    return window.document.graph


def test_receptive_field_on_card_and_wire_tooltips_and_in_the_summary(window, qtbot):
    graph = open_example(window, "lenet_digits")
    conv2 = graph.by_name("conv2")
    item = window.scene.node_item(conv2.id)
    assert "receptive field 8, jump 2, offset -3" in item.tooltip_text().splitlines()
    assert window.scene.node_hint(graph.by_name("fc1").id) == ["receptive field whole input (8)"]
    window.summary_dock.show()
    window.summary_dock.raise_()
    window.resizeDocks([window.summary_dock], [380], Qt.Vertical)
    window.summary.refresh()
    table = window.summary.table
    column = COLUMNS.index("Receptive field")
    cells = {table.item(r, 0).text(): table.item(r, column).text()
             for r in range(table.rowCount())}
    assert cells["pool2"] == "10, jump 4, offset -3"
    assert cells["image"] == "1, jump 1, offset 0"
    window.summary_dock.grab().save(str(DOCS / "receptive_field_summary.png"))


def test_no_receptive_field_without_an_image_input(window):
    fc1 = window.document.graph.by_name("fc1")  # the fixture's MLP reads a 1x8x8 image
    assert window.scene.node_hint(fc1.id) == ["receptive field whole input (8)"]
    from netcanvas.app.receptive_lens import ReceptiveFields
    lens = ReceptiveFields(lambda: None)
    assert lens.lines(fc1.id) == []


def test_doctor_badges_the_vanishing_gradient_and_its_fix_is_undoable(window, qtbot):
    graph = open_example(window, "deep_sigmoid", epochs=1)
    dock = window.training_dock
    dock.layers_tab.every.setValue(5)
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock.train_action.trigger()
    assert blocker.args[0].failed is None
    fc1 = graph.by_name("fc1")
    item = window.scene.node_item(fc1.id)
    assert item.note and item.note.startswith("fc1: gradient norm ")
    assert "Training: fc1: gradient norm" in item.tooltip_text()
    problems = window.problems
    rows = {problems.topLevelItem(i).text(2): problems.topLevelItem(i).text(0)
            for i in range(problems.topLevelItemCount())}
    assert rows["vanishing-gradients"] == "fc1"
    window.problems_dock.raise_()
    window.go_to_node(fc1.id)
    QApplication.processEvents()
    window.grab().save(str(DOCS / "doctor_vanishing_gradient.png"))
    repairs, _ = window.quick_fixes.fixes(fc1.id)
    (fix,) = [f for f in repairs if f.title.startswith("Use ReLU instead")]
    window.quick_fixes.apply(fix)
    types = [n.type_id for n in graph.nodes.values()]
    assert "sigmoid" not in types and types.count("batch_norm1d") == 9
    window.document.undo_stack.undo()
    assert [n.type_id for n in graph.nodes.values()].count("sigmoid") == 9
    window.document.undo_stack.redo()
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS):
        dock.train_action.trigger()
    assert not [f for f in window.document.findings if f.rule == "vanishing-gradients"]
    assert all(i.note is None or "gradient norm" not in i.note
               for i in window.scene.node_items().values())
