"""The main window's workspace (backend/workspace.py) follows the training dock, and the
Circuit reads the project, the run, the dataset and the sample from it, not from widgets."""

from __future__ import annotations

from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end


def test_the_workspace_follows_the_dock_and_feeds_the_circuit(qtbot, window):
    ws, dock = window.workspace, window.training_dock
    jobs = []
    ws.subscribe("job", jobs.append)
    document = open_project(window, mlp_project(epochs=1))
    assert ws.project is document.project and ws.runs is dock.store and ws.shown is None
    result = run_to_end(qtbot, dock)
    assert result is not None and result.failed is None
    assert len(jobs) == 2 and jobs[0] is not None and jobs[1] is None and not ws.running
    assert ws.shown is dock.shown is not None and ws.trained_run() is ws.shown
    with qtbot.waitSignal(dock.data_tab.dataset_loaded, timeout=10_000):
        dock.data_tab.load()
    assert ws.dataset is dock.data_tab.dataset is not None
    dock.eval_tab.features.sample.setValue(2)
    assert ws.sample == 2
    window.insight.circuit.setChecked(True)
    qtbot.waitUntil(lambda: "test sample 2, trained weights" in
                    window.statusBar().currentMessage(), timeout=10_000)
    window.insight.circuit.setChecked(False)
