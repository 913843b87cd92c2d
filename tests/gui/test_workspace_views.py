"""The main window's workspace (backend/workspace.py) follows the training dock, and the
Circuit reads the project, the run, the dataset and the sample from it, not from widgets."""

from __future__ import annotations

from types import SimpleNamespace

from netcanvas.backend.data import load_dataset
from netcanvas.backend.project import config_key
from netcanvas.backend.training.events import EpochEnded, Started, Steps
from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end


def test_the_workspace_follows_the_dock_and_feeds_the_circuit(qtbot, window):
    ws, dock = window.workspace, window.training_dock
    jobs, events = [], []
    ws.subscribe("job", jobs.append)
    ws.subscribe("event", lambda ev: events.append(type(ev).__name__))
    document = open_project(window, mlp_project(epochs=1))
    assert ws.project is document.project and ws.runs is dock.store and ws.shown is None
    result = run_to_end(qtbot, dock)
    assert result is not None and result.failed is None
    assert len(jobs) == 2 and jobs[0] is not None and jobs[1] is None and not ws.running
    assert {"Started", "Steps", "EpochEnded"} <= set(events)  # the run's events, published
    assert events.index("Started") < events.index("Steps") < events.index("EpochEnded")
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


class FakeJob:
    """What the views read of a training job: its label, its project and dataset."""

    def __init__(self, label: str, project) -> None:
        self.label, self.project, self.dataset = label, project, None


def test_the_tabs_follow_the_workspace_without_the_dock_calling_them(qtbot, window,
                                                                       monkeypatch):
    """Changing the shown run, the job or the dataset on the workspace updates the dock's
    tabs, the exports, the doctor's badges and the document: the dock is not asked."""
    ws, dock = window.workspace, window.training_dock
    open_project(window, mlp_project(epochs=1))
    assert run_to_end(qtbot, dock).failed is None
    run = ws.shown
    assert run is not None and run.usable

    def not_the_dock(*args, **kwargs):
        raise AssertionError("the dock was asked to show a run")

    monkeypatch.setattr(dock, "show_run", not_the_dock)
    ws.update(shown=None)
    assert dock.eval_tab.metrics.text() == "Train a model to evaluate it on the test split."
    assert dock.try_tab.predictor is None and dock.fool_tab.run is None
    assert dock.look_tab.cam.run is None and dock.exports.run is None
    ws.update(shown=run)
    assert run.label in dock.eval_tab.source.text()
    assert dock.try_tab.predictor is not None and run.label in dock.try_tab.source.text()
    assert dock.fool_tab.run is run and run.label in dock.fool_tab.source.text()
    assert dock.look_tab.cam.run is run and dock.look_tab.embedding.run is run
    assert dock.exports.run is run

    window.doctor_watch.shown = ["a finding of the last run"]
    ws.update(job=FakeJob("run 7", ws.project))  # a job starts: Evaluation waits for it
    assert dock.eval_tab.source.text() == "run 7 is training…"
    assert dock.eval_tab.metrics.text() == "Train a model to evaluate it on the test split."
    assert window.doctor_watch.shown == []  # the last run's findings went
    ws.update(job=None)  # let go of (a closing project): nothing is loaded meanwhile
    assert dock.eval_tab.source.text() == "run 7 is training…"
    ws.update(job=None, shown=run, renewed=("shown",))  # it ended, the shown run stayed
    assert run.label in dock.eval_tab.source.text()

    data = load_dataset(ws.project.dataset)
    window.document.set_data_facts(None)  # (the Data tab may have loaded it already)
    ws.update(dataset=data, dataset_key=config_key(ws.project.dataset))
    assert window.document.data_facts is not None
    assert dock.try_tab.dataset_for(ws.project) is data


def test_the_run_tabs_plots_follow_the_workspaces_events_without_the_dock(qtbot, window,
                                                                          monkeypatch):
    """The live run's events reach the Run tab's plots (the per-Output curves too) and the
    training doctor through the workspace; the dock only starts the run's curves."""
    ws, dock = window.workspace, window.training_dock
    open_project(window, mlp_project(epochs=1))

    def not_the_dock(*args, **kwargs):
        raise AssertionError("the dock was asked to handle an event")

    monkeypatch.setattr(dock, "_on_event", not_the_dock)
    monkeypatch.setattr(dock, "_on_events", not_the_dock)
    job = FakeJob("run 7", ws.project)
    job.dataset = SimpleNamespace(task="regression", num_classes=None)
    ws.update(job=job)
    tab, plots = dock.run_tab, dock.run_tab.plots
    tab.run_started(job.label)
    ws.publish("event", Started(device="cpu", epochs=2, steps_per_epoch=2, num_params=99))
    assert "99 parameters" in tab.info.text() and plots.task == "regression"
    assert window.doctor_watch.doctor is not None  # the doctor follows the same events
    ws.publish("event", Steps(steps=[1, 2], losses=[1.0, 0.8], lrs=[0.1, 0.1], epoch=1,
                              samples_per_sec=10.0, progress=0.5))
    ws.publish("event", EpochEnded(epoch=1, seconds=1.0, metrics={
        "train_loss": 0.9, "val_loss": 1.0, "train_a_loss": 0.4, "train_b_loss": 0.5,
        "val_b_box_iou": 0.3, "lr": 0.1}))
    plots.flush(force=True)
    run = plots.current
    assert run.label == "run 7" and run.steps == 2
    assert run.buffers["val_loss"].size == 1 and run.buffers["train_b_loss"].y[0] == 0.5
    assert {k: label.textItem.toPlainText() for k, label in run.labels.items()} == {
        "train_a_loss": "a", "train_b_loss": "b", "train_loss": "total",
        "val_b_box_iou": "b box IoU"}
    ws.update(job=None)
