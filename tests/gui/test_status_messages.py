"""Messages go when their cause does: a run's failure naming a node, a stale data preview."""

from __future__ import annotations

from netcanvas.app import files
from netcanvas.backend.graph import RemoveItems
from test_training_dock import mlp_project, open_project, run_broken_to_end, window  # noqa: F401

LOAD_TIMEOUT_MS = 60_000


def test_a_failure_message_about_a_node_goes_when_the_node_does(qtbot, window):
    project = mlp_project(epochs=1)
    project.graph.add("dropout", name="drop1")  # wired to nothing
    doc = open_project(window, project)
    result = run_broken_to_end(qtbot, window.training_dock)
    assert result is not None and result.failed.node == "drop1"
    bar = window.statusBar()
    assert "Dropout 'drop1' needs an input" in bar.currentMessage()
    doc.push(RemoveItems([doc.graph.by_name("drop1").id]))
    assert bar.currentMessage() == ""


def test_a_message_about_another_node_stays_until_its_own_cause_goes(qtbot, window,
                                                                    monkeypatch):
    monkeypatch.setattr(files, "ask_save_changes", lambda *args: "discard")
    doc = open_project(window, mlp_project(epochs=1))
    first, second = [n for n in doc.graph.nodes.values() if n.type_id == "linear"]
    window.status.show_message("Training failed: NaN at " + first.name, first.id)
    doc.push(RemoveItems([second.id]))
    assert first.name in window.statusBar().currentMessage()  # not its cause
    window.actions.new.trigger()
    assert window.statusBar().currentMessage() == ""  # another document


def test_choosing_other_data_drops_the_old_preview_at_once(qtbot, window):
    open_project(window, mlp_project())
    data = window.training_dock.data_tab
    window.training_dock.show()
    window.training_dock.raise_()
    window.training_dock.tabs.setCurrentWidget(data)
    if data.loaded_key is None:
        with qtbot.waitSignal(data.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
            data.load()
    assert data.preview.currentWidget() is data.scatter and "moons" in data.summary.text()
    data.combo.setCurrentIndex(data.combo.findData("csv"))
    assert data.config.name == "csv"
    assert data.preview.currentIndex() == 0 and "Load" in data.preview.currentWidget().text()
    assert data.summary.text() == ""
    data.document.undo_stack.undo()  # back to the data that is loaded
    assert data.preview.currentWidget() is data.scatter  # the loaded data is this data again
