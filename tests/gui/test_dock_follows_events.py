"""The dock's Layers and Look inside tabs are built when first shown, taking the document, the
shown run and the canvas selection of that moment; the Evaluation and Layers tabs and the
canvas's live statistics follow the running job's events through the workspace (on the job's
dataset), not through the dock."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.worker import BoundaryUpdated, ClosedForm
from netcanvas.backend.data import load_dataset
from netcanvas.backend.training.events import Evaluated, LayerStats, Started
from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end
from test_workspace_views import FakeJob


def test_layers_and_look_inside_are_built_on_first_show_with_the_current_state(qtbot,
                                                                               window):
    dock = window.training_dock
    assert dock.tabs.built("Layers") is None and dock.tabs.built("Look inside") is None
    assert dock.data_tab.scatter is None  # the Data tab's plot: made for the first 2-D data
    document = open_project(window, mlp_project(epochs=1))
    assert run_to_end(qtbot, dock).failed is None  # the run builds Layers: it follows events
    assert dock.tabs.built("Layers").history, "the run's statistics reached the tab"
    assert dock.tabs.built("Look inside") is None
    fc = next(n for n in document.graph.nodes.values() if n.type_id == "linear")
    window.scene.node_item(fc.id).setSelected(True)  # selected before the tab exists
    dock.tabs.setCurrentIndex(dock.tabs.count() - 1)  # the user opens Look inside
    dock.raise_()
    look = dock.tabs.built("Look inside")
    assert look is not None and look.isVisible()
    assert look.outputs.document is document and look.field.document is document
    assert look.cam.run is dock.shown is not None and look.embedding.run is dock.shown
    assert look.outputs.focus == fc.id, "the canvas selection made before it was built"


def test_evaluation_and_layers_follow_the_workspaces_events_without_the_dock(qtbot, window,
                                                                              monkeypatch):
    ws, dock = window.workspace, window.training_dock
    open_project(window, mlp_project(dataset="moons", epochs=1))

    def not_the_dock(*args, **kwargs):
        raise AssertionError("the dock was asked to handle an event")

    monkeypatch.setattr(dock, "_on_event", not_the_dock)
    monkeypatch.setattr(dock, "_on_events", not_the_dock)
    job = FakeJob("run 7", ws.project)
    job.dataset = load_dataset(ws.project.dataset)  # the running job's: 2-D points, 2 classes
    evaluation, layers = dock.eval_tab, dock.layers_tab
    ws.update(job=job)
    assert evaluation.source.text() == "run 7 is training…"
    ws.publish("event", Started(device="cpu", epochs=1, steps_per_epoch=2, num_params=99))
    views = evaluation.views
    assert views.isTabVisible(views.indexOf(evaluation.boundary_plot))  # a 2-D plane
    assert not views.isTabVisible(views.indexOf(evaluation.scatter))  # not a regression
    ws.publish("event", BoundaryUpdated(probs=np.full((4, 4, 2), 0.5, np.float32),
                                        extent=(-1.0, 1.0, -1.0, 1.0)))
    assert evaluation.has_boundary and evaluation.boundary_points is not None, \
        "the job's training points are drawn under the boundary"
    ws.publish("event", Evaluated(split="test", metrics={"accuracy": 0.875},
                                  confusion=[[3, 1], [0, 4]], per_class_accuracy=[0.75, 1.0]))
    assert "0.875" in evaluation.metrics.text()
    ws.publish("event", ClosedForm(rows=[("w", 1.0, 1.5, 0.5)]))
    assert "closed form" in evaluation.closed_form_table.text()

    fc = next(n for n in ws.project.graph.nodes.values() if n.type_id == "linear")
    ws.publish("event", LayerStats(step=5, epoch=1, layers={
        fc.name: {"mean": 0.1, "std": 0.5, "zeros": 0.0, "grad_norm": 0.25, "update_ratio": 1e-3}}))
    assert layers.history[fc.name]["grad_norm"] == [0.25] and layers.steps[fc.name] == [5]
    (curve,) = layers.plot.getPlotItem().listDataItems()
    assert curve.opts["symbol"] == "o", "one sample shows as a dot, not an invisible line"
    assert "‖∇‖" in window.insight.overlay.notes[fc.id].text  # the canvas's statistics too
    ws.update(job=None)


def test_one_sampled_step_is_one_whole_tick_on_the_layers_chart(qtbot):
    from netcanvas.app.training.layers_tab import LayersTab

    layers = LayersTab()
    qtbot.addWidget(layers)
    axis = layers.plot.getPlotItem().getAxis("bottom")
    stats = {"mean": 0.1, "std": 0.5, "zeros": 0.0, "grad_norm": 0.25, "update_ratio": 1e-3}
    layers.add(LayerStats(step=5, epoch=1, layers={"fc": stats}))
    assert axis._tickLevels == [[(5, "5")]], "not 4.6 … 5.4 around a single step"
    layers.add(LayerStats(step=25, epoch=1, layers={"fc": stats}))
    assert axis._tickLevels is None, "two steps apart: pyqtgraph's own ticks again"

