"""Observations 1-3 of issue 8, in the real main window: exports come from a named run and
write the graph it trained; runs are per project; a stopped run keeps its work and resumes
exactly. Real training on tiny data; waits are generous upper bounds, never timed asserts."""

import importlib.util

import pytest
import torch
from netcanvas.app.training import dock as dock_module
from netcanvas.backend.graph import SetParam
from netcanvas.backend.project_io import save_project
from netcanvas.backend.training import Trainer
from PySide6.QtCore import Qt
from test_training_dock import (  # noqa: F401
    RUN_TIMEOUT_MS,
    mlp_project,
    open_project,
    run_broken_to_end,
    run_to_end,
    window,
)


def _export(qtbot, dock, action, path):
    action.trigger()
    dialog = dock.exports.dialog
    dialog.path.setText(str(path))
    with qtbot.waitSignal(dialog.done_exporting, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10_000)
    assert blocker.args[0] is not None, dialog.result.text()
    return dialog


def _net(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Net()


@pytest.mark.slow
def test_exports_after_an_edit_write_the_run_graph_and_say_so(qtbot, window, tmp_path):
    """Observation 1: train, change a layer, export: the file is the trained graph (its
    weights fit it), the dialog names the run and says the graph changed since; the
    untrained current graph is a separate, named export."""
    doc = open_project(window, mlp_project(epochs=2, hidden=16))
    dock = window.training_dock
    run_to_end(qtbot, dock)
    fc1 = doc.graph.by_name("linear1") or next(
        n for n in doc.graph.nodes.values() if n.type_id == "linear")
    doc.push(SetParam(fc1.id, "out_features", 5))

    dialog = _export(qtbot, dock, dock.export_python_action, tmp_path / "trained.py")
    assert dialog.source.text().startswith("<b>From run 1, epoch ")
    assert "val acc" in dialog.source.text()
    assert dialog.changed.isVisibleTo(dialog) and "changed since run 1" in dialog.changed.text()
    trained = _net(tmp_path / "trained.py")
    assert getattr(trained, fc1.name).out_features == 16  # the graph the weights belong to
    _export(qtbot, dock, dock.save_weights_action, tmp_path / "trained.safetensors")
    from safetensors.torch import load_file
    trained.load_state_dict(load_file(str(tmp_path / "trained.safetensors")))  # they fit

    dialog = _export(qtbot, dock, dock.export_untrained_python_action, tmp_path / "now.py")
    assert "untrained" in dialog.windowTitle() and "untrained" in dialog.source.text()
    assert getattr(_net(tmp_path / "now.py"), fc1.name).out_features == 5


def test_opening_another_project_shows_its_runs_only(qtbot, window, tmp_path):
    """Observation 2: moons' metrics, boundary, plots and exports, and a failed run's banner,
    never show in another project; reopening moons shows its run again."""
    moons = tmp_path / "moons.netcanvas"
    save_project(mlp_project(epochs=2), moons)
    window.files.open_path(moons)
    dock = window.training_dock
    run_to_end(qtbot, dock)
    assert dock.eval_tab.has_boundary and "accuracy" in dock.eval_tab.metrics.text()

    bad = mlp_project(epochs=1)
    conv = bad.graph.add("conv2d", name="conv_bad")
    linear = next(n for n in bad.graph.nodes.values() if n.type_id == "linear")
    edge = bad.graph.edges_into(linear.id)[0]
    bad.graph.remove_edge(edge)
    bad.graph.connect(edge.src, conv)
    bad.graph.connect(conv, linear)
    open_project(window, bad)
    assert run_broken_to_end(qtbot, dock).failed is not None
    assert dock.run_tab.failure_banner.isVisibleTo(dock)

    window.files.open_path(next(p for p in _examples() if p.stem == "linear_regression"),
                           example=True)
    assert not dock.run_tab.failure_banner.isVisibleTo(dock)
    assert dock.run_tab.plots.runs == [] and dock.run_tab.plots.run_list.count() == 0
    steps_axis = dock.run_tab.plots.charts["step_loss"].vb.viewRange()[0]
    assert steps_axis[1] <= 1.0  # no axis keeps the moons run's range either
    assert dock.eval_tab.metrics.text() == "Train a model to evaluate it on the test split."
    assert not dock.eval_tab.has_boundary
    assert dock.eval_tab.boundary_image.image is None
    assert not dock.export_python_action.isEnabled() and dock.exports.run is None
    assert dock.export_untrained_python_action.isEnabled()

    window.files.open_path(moons)
    assert [c.label for c in dock.run_tab.plots.runs] == ["run 1"]
    assert dock.shown is not None and dock.shown.status == "finished"
    assert "run 1, epoch" in dock.eval_tab.source.text()
    assert dock.export_onnx_action.isEnabled()


def _examples():
    from netcanvas.app.files import examples

    return examples()


@pytest.mark.slow
def test_a_stopped_run_keeps_its_epochs_and_resumes_exactly(qtbot, window, tmp_path):
    """Observation 3: Stop after some epochs: evaluation and exports work on the run,
    labelled "stopped at epoch k/30"; Resume finishes it with the same weights as a run
    never interrupted."""
    project = mlp_project(epochs=30)
    project.training.seed = 5
    open_project(window, project)
    dock = window.training_dock
    dock.train_action.trigger()
    qtbot.waitUntil(lambda: dock.run_tab.plots.current.buffers["train_loss"].size >= 2,
                    timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS):
        dock.stop_action.trigger()
    assert "accuracy" in dock.eval_tab.metrics.text() and dock.eval_tab.has_boundary
    assert all(b.isEnabled() for b in dock.eval_tab.export_buttons)
    stopped_at = dock.run_tab.plots.current.buffers["train_loss"].size
    assert 2 <= stopped_at < 30
    assert f"stopped at epoch {stopped_at}/30" in dock.eval_tab.source.text()
    run = dock.shown
    assert run.status == "stopped" and run.epochs_done == stopped_at
    _export(qtbot, dock, dock.export_python_action, tmp_path / "stopped.py")
    assert dock.resume_action.isEnabled()

    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock.resume_action.trigger()
    assert blocker.args[0].failed is None and not blocker.args[0].cancelled
    assert run.status == "finished" and run.epochs_done == 30
    assert not dock.resume_action.isEnabled()

    from netcanvas.backend.runs import RunStore

    straight = RunStore("straight", tmp_path).new_run(project)
    Trainer(straight.project, checkpoint_dir=straight.checkpoint_dir).run()
    straight.history = [{}] * 30  # usable: its checkpoint holds 30 epochs
    a = straight.model("last").module.state_dict()
    b = run.model("last").module.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("agree", [False, True])
def test_closing_a_project_with_a_live_run_asks_first(qtbot, window, monkeypatch, agree):
    asked = []
    monkeypatch.setattr(dock_module, "ask_stop_run",
                        lambda parent, label: asked.append(label) or agree)
    open_project(window, mlp_project(epochs=10_000))
    dock = window.training_dock
    dock.train_action.trigger()
    qtbot.waitUntil(lambda: dock.run_tab.plots.current.steps > 0, timeout=RUN_TIMEOUT_MS)
    assert window.files.new() is agree
    assert asked == ["run 1"]
    assert dock.running is not agree
    if agree:
        assert dock.run_tab.plots.runs == [] and dock.store.runs == []


def test_saving_a_new_project_takes_its_runs_along(qtbot, window, tmp_path, monkeypatch):
    open_project(window, mlp_project(epochs=1))
    dock = window.training_dock
    run_to_end(qtbot, dock)
    assert dock.store.folder.name.startswith("untitled-")
    monkeypatch.setattr("netcanvas.app.files.ask_save_path",
                        lambda parent, suggested: str(tmp_path / "saved.netcanvas"))
    assert window.files.save()
    assert dock.store.folder.name.startswith("saved-") and dock.shown.number == 1
    assert dock.shown.usable  # its checkpoint moved with it
    window.files.new()
    assert dock.store.runs == []
    window.files.open_path(tmp_path / "saved.netcanvas")
    assert [r.number for r in dock.store.runs] == [1] and dock.shown is not None
