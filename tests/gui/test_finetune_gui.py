"""Issue 26 in the real main window: a node's Training rows in the inspector (frozen shown on
its card, undoable), "Start from" in the training Settings, and edit and continue: after a
trained graph is edited the canvas marks each node keeps / partly kept / re-initialised,
and the next F5 starts from those weights."""

from __future__ import annotations

from netcanvas.app.training.start_from import FILE, IMPORT, SHOWN
from netcanvas.backend.graph import AddNodes, Compound, Edge, RemoveItems, SetParam, SetTraining
from PySide6.QtCore import QPoint, Qt
from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end


def _tags(window, name: str) -> list:
    node = window.document.graph.by_name(name)
    return window.navigator.levels[0].scene.node_item(node.id).tag_item.tags


def test_freezing_a_node_in_the_inspector_shows_on_its_card_and_undoes(window, qtbot):
    node = window.document.graph.by_name("fc1")
    window.scene.select_nodes([node.id])
    rows = window.inspector.training
    assert rows is not None and set(rows.editors) == {"trainable", "lr_factor", "weight_decay"}
    box = rows.editors["trainable"].widget
    assert box.isChecked()
    window.inspector.ensureWidgetVisible(box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert node.training == {"trainable": False}
    assert _tags(window, "fc1") == [("frozen", "training")]
    window.document.undo_stack.undo()
    assert node.training == {} and box.isChecked() and _tags(window, "fc1") == []
    window.scene.select_nodes([window.document.graph.by_name("act").id])
    assert window.inspector.training is None  # no weights, no training rows


def test_edit_and_continue_marks_the_canvas_and_f5_starts_from_the_run(window, qtbot):
    doc = open_project(window, mlp_project(epochs=1, hidden=8))
    dock = window.training_dock
    run_to_end(qtbot, dock)
    g = doc.graph
    first, second = [n for n in g.nodes.values() if n.type_id == "linear"]
    dock.start_from.choose(SHOWN)
    assert all(not _tags(window, n.name) for n in g.nodes.values())  # nothing edited yet
    doc.push(SetParam(first.id, "out_features", 12))  # widen: Net2Net-style
    inserted = g.new_node("linear", params={"out_features": 2})  # identity-initialised
    out_edge = g.edges_from(second.id)[0]
    doc.push(Compound([RemoveItems([], [out_edge]), AddNodes(
        [inserted], [Edge(second.id, "y", inserted.id, "x"),
                     Edge(inserted.id, "y", out_edge.dst, out_edge.dst_port)])]))
    qtbot.waitUntil(lambda: _tags(window, first.name) == [("partly kept", "partly")])
    assert _tags(window, second.name) == [("partly kept", "partly")]
    assert _tags(window, inserted.name) == [("partly kept", "partly")]  # starts as identity
    assert not window.view.grab().isNull()  # the pills draw
    result = run_to_end(qtbot, dock)
    assert result.failed is None
    report = dock.start_from.report
    assert report.isVisibleTo(dock.run_tab) and "weights from run 1" in report.text()
    assert dock.store.runs[-1].number == 2


def test_start_from_what_is_not_there_is_refused_in_one_line(window, qtbot, tmp_path):
    dock = window.training_dock
    messages = []
    dock.failure_shown.connect(lambda text, _node: messages.append(text))
    dock.show_run(None)
    for choice, path, needle in ((SHOWN, None, "edit and continue needs a run"),
                                 (IMPORT, None, "save it first"),
                                 (FILE, str(tmp_path / "gone.safetensors"), "no weights at")):
        dock.start_from.choose(choice, path)
        dock.train_action.trigger()
        assert not dock.running and needle in messages[-1], messages


def test_new_task_quick_action_is_one_undoable_edit(window, qtbot):
    from netcanvas.backend.doctor import DataFacts

    doc = window.document
    fc2 = doc.graph.by_name("fc2")
    assert not [a for a in window.quick_fixes.build_menu(fc2.id).actions()
                if a.text().startswith("New task")]  # classes unknown until data loads
    doc.set_data_facts(DataFacts("digits", (1, 8, 8), 5))
    menu = window.quick_fixes.popup(fc2.id)
    titles = [a.text() for a in menu.actions()]
    assert "New task with 5 classes" in titles
    assert not [a for a in window.quick_fixes.build_menu(
        doc.graph.by_name("fc1").id).actions() if a.text().startswith("New task")]
    depth = doc.undo_stack.count()
    next(a for a in menu.actions()
         if a.text() == "New task with 5 classes, freeze everything before it").trigger()
    head = doc.graph.by_name("head1")
    assert head.params["out_features"] == 5 and doc.graph.by_name("fc2") is None
    assert doc.graph.by_name("fc1").training == {"trainable": False}
    assert _tags(window, "fc1") == [("frozen", "training")]
    assert doc.undo_stack.count() == depth + 1
    doc.undo_stack.undo()
    assert doc.graph.by_name("fc2") is not None and doc.graph.by_name("head1") is None
    assert doc.graph.by_name("fc1").training == {} and _tags(window, "fc1") == []
    menu.close()


def test_two_runs_diffed_on_the_canvas(window, qtbot, tmp_path):
    doc = open_project(window, mlp_project(epochs=2, hidden=8))
    dock = window.training_dock
    run_to_end(qtbot, dock)
    g = doc.graph
    first = next(n for n in g.nodes.values() if n.type_id == "linear")
    doc.push(SetParam(first.id, "out_features", 12))
    doc.push(SetTraining(first.id, {"lr_factor": 0.5}))
    run_to_end(qtbot, dock)
    tab = dock.experiments_tab
    dock.tabs.setCurrentWidget(tab)
    assert not tab.diff_button.isEnabled()
    tab.table.selectAll()
    assert tab.diff_button.isEnabled()
    qtbot.mouseClick(tab.diff_button, Qt.MouseButton.LeftButton)
    view = dock.diff_view
    assert view is not None and view.isVisible()
    item = view.scene.node_item(first.id)
    assert item.tag_item.tags == [("lr ×0.5", "training"),
                                  ("changed: out_features, lr_factor", "changed")]
    assert "out_features 8 -&gt; 12" in view.changes.text()
    rows = view.metrics.values()
    assert rows["epochs"] == ("2", "2") and "test accuracy" in rows
    assert tab.metrics.values() == rows  # the Experiments tab shows them side by side too
    assert len(view.curves.getPlotItem().listDataItems()) == 2
    qtbot.wait(50)
    assert not view.grab().isNull()
    view.grab().save(str(tmp_path / "diff.png"))
    view.close()
