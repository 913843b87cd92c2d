"""The training dock in the real main window: real training on tiny data, driven by its worker's
signals. No timing asserts: waits are generous upper bounds."""

import itertools

import pytest
from netcanvas.app.document import Document
from netcanvas.app.files import examples
from netcanvas.app.main_window import MainWindow
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project, project_to_dict
from PySide6.QtCore import QPointF

RUN_TIMEOUT_MS = 120_000


def mlp_project(dataset="moons", epochs=3, hidden=16, loss="cross_entropy") -> Project:
    project = Project()
    g = project.graph
    shape, out = ((1,), 1) if dataset == "linear" else ((2,), 2)
    chain = [g.add("input", shape=shape)]
    if hidden:
        chain += [g.add("linear", out_features=hidden), g.add("relu")]
    chain += [g.add("linear", out_features=out), g.add("output", loss=loss)]
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        g.connect(a, b)
        g.move(b.id, (200.0 * (i + 1), 0.0))
    project.dataset.name = dataset
    project.dataset.options = {"n_samples": 400}
    project.training.epochs = epochs
    project.training.batch_size = 16
    return project


@pytest.fixture
def window(qtbot):
    win = MainWindow()  # closed here, not by qtbot: it must be saved first (no prompt)
    win.files.quiet = True
    win.show()
    yield win
    dock = win.training_dock
    if dock.thread is not None:
        dock.stop()
        qtbot.waitUntil(lambda: dock.thread is None, timeout=RUN_TIMEOUT_MS)
    win.document.mark_saved("/tmp/unused.netcanvas")
    win.close()
    win.deleteLater()


def open_project(win, project) -> Document:
    doc = Document(project)
    win.set_document(doc)
    return doc


def window_in_a_slow_step(qtbot, monkeypatch):
    """A shown main window training a small MLP whose steps are each held until the test
    sets `release` (a minute at most: a fixed sleep could end first on a loaded machine),
    returned once the first step has begun, with nothing unsaved and "Stop it" as the answer
    to the close's prompt. Returns (window, an Event set when that step ends, release)."""
    import threading

    from netcanvas.app.training import dock as dock_module
    from netcanvas.backend.training import loop

    started, finished, release = threading.Event(), threading.Event(), threading.Event()
    real_step = loop.Loop._step

    def slow_step(self, *args):
        started.set()
        release.wait(60)
        finished.set()
        return real_step(self, *args)

    monkeypatch.setattr(loop.Loop, "_step", slow_step)
    monkeypatch.setattr(dock_module, "ask_stop_run", lambda parent, label: True)  # "Stop it"
    win = MainWindow()
    win.files.quiet = True
    win.show()
    open_project(win, mlp_project(epochs=1))
    win.training_dock.train_action.trigger()
    qtbot.waitUntil(started.is_set, timeout=RUN_TIMEOUT_MS)
    win.document.mark_saved("/tmp/unused.netcanvas")  # no unsaved-changes prompt
    return win, finished, release


def run_to_end(qtbot, dock):
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock.train_action.trigger()
    return blocker.args[0]


def run_broken_to_end(qtbot, dock):
    """Train a graph with errors anyway (Train refuses it, see test_train_prompts.py): how a
    run that fails at a node is shown."""
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock._launch(dock.store.new_run(dock.document.project), resume=False)
    return blocker.args[0]


def train_example(qtbot, win, stem: str, epochs: int):
    """Open the bundled example `stem` with `epochs` and train it to the end: (project, result)."""
    project = load_project(next(p for p in examples() if p.stem == stem))
    project.training.epochs = epochs
    open_project(win, project)
    return project, run_to_end(qtbot, win.training_dock)


def test_plots_grow_while_training_and_stop_ends_the_run(qtbot, window):
    open_project(window, mlp_project(epochs=10_000))
    dock = window.training_dock
    plots = dock.run_tab.plots
    dock.train_action.trigger()
    assert dock.running and not dock.train_action.isEnabled()
    qtbot.waitUntil(lambda: plots.current.steps > 0, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(plots.redrawn):
        pass
    raw = plots.current.items["raw"]  # the curve's data (what it draws is downsampled)
    first = len(raw.xData)
    assert first > 0
    qtbot.waitUntil(lambda: len(raw.xData) > first, timeout=RUN_TIMEOUT_MS)
    assert plots.current.buffers["ema"].size == plots.current.steps

    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS) as blocker:
        dock.stop_action.trigger()
    result = blocker.args[0]
    assert result.cancelled and result.failed is None
    assert not dock.running and dock.train_action.isEnabled()
    assert "stopped" in dock.run_tab.progress.format()


def test_a_finished_run_fills_epochs_and_evaluation(qtbot, window):
    open_project(window, mlp_project(epochs=3))
    dock = window.training_dock
    result = run_to_end(qtbot, dock)
    assert result.failed is None and not result.cancelled
    run = dock.run_tab.plots.current
    assert run.buffers["train_loss"].size == 3 and run.buffers["val_accuracy"].size == 3
    assert "accuracy" in dock.eval_tab.metrics.text()
    assert all(button.isEnabled() for button in dock.eval_tab.export_buttons)
    assert dock.eval_tab.has_boundary  # moons is 2-D: the live decision boundary was drawn
    assert dock.eval_tab.boundary_image.image is not None
    # a second run overlays the first in its own colour
    run_to_end(qtbot, dock)
    assert len(dock.run_tab.plots.runs) == 2
    assert dock.run_tab.plots.runs[0].colour != dock.run_tab.plots.runs[1].colour


def test_a_regression_run_charts_validation_r2_per_epoch(qtbot, window):
    _, result = train_example(qtbot, window, "linear_regression", epochs=4)
    dock = window.training_dock
    assert result.failed is None
    plots = dock.run_tab.plots
    chart = plots.charts["epoch_score"]
    assert chart.getAxis("left").labelText == "R²"
    curve = plots.current.items["val_r2"]
    assert curve.isVisible()
    assert list(curve.yData) == [h["val_r2"] for h in result.history]
    assert curve.yData[-1] > 0.5  # a line fitted to a line


def test_huge_learning_rate_shows_the_nan_message_and_keeps_the_graph(qtbot, window):
    example = next(p for p in examples() if p.stem == "linear_regression")
    doc = open_project(window, load_project(example))
    dock = window.training_dock
    form = dock.settings_form
    form.widgets["optimizer"].setCurrentIndex(form.widgets["optimizer"].findData("sgd"))
    form.widgets["lr"].setValue(1e6)
    assert doc.project.training.lr == 1e6
    before = project_to_dict(doc.project)
    result = run_to_end(qtbot, dock)
    assert result.failed is not None and result.failed.kind == "nan"
    banner = dock.run_tab.failure_banner
    assert banner.isVisibleTo(dock) and "NaN" in banner.text()
    assert "NaN" in window.statusBar().currentMessage()
    assert project_to_dict(doc.project) == before
    assert dock.train_action.isEnabled()  # the app carries on: train again
    assert run_to_end(qtbot, dock).failed.kind == "nan"


def test_hovering_a_chart_reads_its_values(qtbot, window):
    open_project(window, mlp_project(epochs=2))
    dock = window.training_dock
    run_to_end(qtbot, dock)
    plots = dock.run_tab.plots
    chart = plots.charts["epoch_loss"]
    (_x0, _x1), (y0, y1) = chart.vb.viewRange()
    point = chart.vb.mapViewToScene(QPointF(2.0, (y0 + y1) / 2))
    plots._mouse_moved(point)
    text = plots._crosshairs["epoch_loss"].text.toPlainText()
    assert "train loss" in text and "val loss" in text and "@ epoch 2" in text


def test_a_failure_naming_a_node_selects_it_on_the_canvas(qtbot, window):
    project = mlp_project(epochs=1)
    g = project.graph
    linear = next(n for n in g.nodes.values() if n.type_id == "linear")
    conv = g.add("conv2d", name="conv_bad")  # 2-D convolution on 2-feature vectors
    edge = g.edges_into(linear.id)[0]
    g.remove_edge(edge)
    g.connect(edge.src, conv)
    g.connect(conv, linear)
    doc = open_project(window, project)
    before = project_to_dict(doc.project)
    result = run_broken_to_end(qtbot, window.training_dock)
    assert result.failed is not None and result.failed.node == "conv_bad"
    assert window.scene.selected_node_ids() == [conv.id]
    assert "conv_bad" in window.training_dock.run_tab.failure_banner.text()
    assert project_to_dict(doc.project) == before


def test_editing_the_graph_during_a_run_marks_it_stale(qtbot, window):
    doc = open_project(window, mlp_project(epochs=10_000))
    dock = window.training_dock
    dock.train_action.trigger()
    qtbot.waitUntil(lambda: dock.run_tab.plots.current.steps > 0, timeout=RUN_TIMEOUT_MS)
    assert not dock.run_tab.stale_banner.isVisibleTo(dock)
    doc.graph.add("relu")
    assert dock.run_tab.stale_banner.isVisibleTo(dock)
    dock.stop()


def test_settings_edits_are_stored_in_the_project(qtbot, window):
    doc = open_project(window, mlp_project())
    dock = window.training_dock
    form = dock.settings_form
    form.widgets["optimizer"].setCurrentIndex(form.widgets["optimizer"].findData("sgd"))
    assert form.row_visible("momentum") and form.row_visible("nesterov")
    assert not form.row_visible("betas")
    form.widgets["lr"].setValue(0.05)
    form.widgets["epochs"].setValue(7)
    dock.data_tab.fields["val_fraction"].setValue(0.25)
    assert doc.modified
    saved = project_to_dict(doc.project)
    assert saved["training"]["optimizer"] == "sgd"
    assert saved["training"]["lr"] == pytest.approx(0.05)
    assert saved["training"]["epochs"] == 7
    assert saved["dataset"]["val_fraction"] == pytest.approx(0.25)


def test_a_settings_change_is_one_undo_step_on_the_document_stack(qtbot, window):
    doc = open_project(window, mlp_project())
    doc.mark_saved("/tmp/unused.netcanvas")
    form = window.training_dock.settings_form
    combo = form.widgets["optimizer"]
    combo.setCurrentIndex(combo.findData("sgd"))
    assert doc.project.training.optimizer == "sgd" and doc.modified
    assert window.windowTitle().startswith("unused.netcanvas*")
    assert form.row_visible("momentum")
    window.actions.undo.trigger()  # Ctrl+Z
    assert doc.project.training.optimizer == "adam" and not doc.modified
    assert combo.currentData() == "adam" and not form.row_visible("momentum")
    window.actions.redo.trigger()
    assert doc.project.training.optimizer == "sgd" and combo.currentData() == "sgd"
    # The data form goes through the same door: choosing a dataset is one step.
    data = window.training_dock.data_tab
    qtbot.waitUntil(lambda: bool(data.catalogue), timeout=RUN_TIMEOUT_MS)
    data.combo.setCurrentIndex(data.combo.findData("circles"))
    assert doc.project.dataset.name == "circles" and doc.project.dataset.options == {}
    window.actions.undo.trigger()
    assert doc.project.dataset.name == "moons"
    assert doc.project.dataset.options == {"n_samples": 400}
    assert data.combo.currentData() == "moons"


def test_settings_that_cannot_run_here_are_refused_with_the_reason(qtbot, window):
    doc = open_project(window, mlp_project())
    form = window.training_dock.settings_form
    depth = doc.undo_stack.count()
    form.widgets["device"].setCurrentIndex(form.widgets["device"].findData("cpu"))
    form.widgets["precision"].setCurrentIndex(form.widgets["precision"].findData("bf16"))
    assert doc.project.training.precision == "fp32"
    assert form.widgets["precision"].currentData() == "fp32"
    assert form.message.isVisibleTo(form) and "needs a CUDA GPU" in form.message.text()
    assert doc.undo_stack.count() == depth + 1  # the device change only
    form.widgets["epochs"].setValue(5)
    assert not form.message.isVisibleTo(form)  # the next accepted edit clears the reason
    data = window.training_dock.data_tab
    qtbot.waitUntil(lambda: bool(data.catalogue), timeout=RUN_TIMEOUT_MS)
    assert data.option_widgets["n_samples"].minimum() == 4  # the declared range
    data.combo.setCurrentIndex(data.combo.findData("folder"))
    size = data.option_widgets["size"]
    size.setText("0, 0")
    size.editingFinished.emit()
    assert doc.project.dataset.options == {}
    assert "dataset.options.size: must be at least 1" in data.message.text()
    assert size.text() == ""  # the form shows the document again


def test_closing_the_window_during_a_run_stops_the_worker(qtbot, window, monkeypatch):
    from netcanvas.app.training import dock as dock_module

    monkeypatch.setattr(dock_module, "ask_stop_run", lambda parent, label: True)
    doc = open_project(window, mlp_project(epochs=10_000))
    dock = window.training_dock
    dock.train_action.trigger()
    qtbot.waitUntil(lambda: dock.run_tab.plots.current.steps > 0, timeout=RUN_TIMEOUT_MS)
    thread = dock.thread
    doc.mark_saved("/tmp/unused.netcanvas")
    window.close()
    assert thread.isFinished()  # closing waited for the cancelled worker
