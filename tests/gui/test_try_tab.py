"""Try it and Why (app/training/try_tab.py, why_view.py): drawing on the pixel grid with the
mouse changes the model's input and its probability bars; test samples, image files and the
2-D decision boundary feed it too; the Why maps follow."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from netcanvas.app.training.try_tab import TryTab
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
from insight_support import trained_digits_run
from test_view_support import open_tab


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return trained_digits_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def tab(qtbot, digits):
    return open_tab(qtbot, *digits)


def drag(qtbot, canvas, cells, button=Qt.MouseButton.LeftButton):
    """Press on the first cell, move through the others, release on the last."""
    points = [canvas.cell_centre(r, c) for r, c in cells]
    qtbot.mousePress(canvas, button, pos=points[0])
    for point in points[1:]:  # qtbot.mouseMove carries no buttons: a drag is sent as one
        QApplication.sendEvent(canvas, _move(point, button))
    qtbot.mouseRelease(canvas, button, pos=points[-1])


def _move(point: QPoint, button):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(point), QPointF(point), button,
                       button, Qt.KeyboardModifier.NoModifier)


def test_drawing_changes_the_input_and_the_bars(qtbot, tab):
    canvas = tab.canvas
    qtbot.waitUntil(lambda: tab.probs is not None)
    blank = tab.bars.shown
    assert not tab.input.any() and len(blank) == 10
    drag(qtbot, canvas, [(1, 4), (2, 4), (3, 4), (4, 4), (5, 4), (6, 4)])  # a "1"
    qtbot.waitUntil(lambda: tab.bars.shown != blank and not tab._answers.busy)
    assert tab.input[0, 1:7, 4].min() > 0.9 and tab.input[0, :, 0].max() < 0.05
    assert np.array_equal(tab.input, canvas.values)
    expected = tab.predictor.probabilities(tab.input)[0].numpy()
    assert np.allclose([p for _, p in tab.bars.shown], expected, atol=1e-6)
    assert [bar.value() for bar in tab.bars.bars] == [round(p * 1000) for p in expected]
    drawn = tab.input.copy()
    drag(qtbot, canvas, [(3, 4), (4, 4)], Qt.MouseButton.RightButton)  # erase the middle
    qtbot.waitUntil(lambda: not np.array_equal(tab.input, drawn))
    assert tab.input[0, 3:5, 4].max() < 0.05 and tab.input[0, 1, 4] > 0.9
    tab.clear_button.click()
    qtbot.waitUntil(lambda: not tab.input.any())


def test_the_eraser_tool_erases_with_the_left_button(qtbot, tab):
    drag(qtbot, tab.canvas, [(2, 2), (2, 3)])
    qtbot.waitUntil(lambda: tab.input[0, 2, 2] > 0.9)
    tab.eraser.click()
    drag(qtbot, tab.canvas, [(2, 2), (2, 3)])
    qtbot.waitUntil(lambda: tab.input[0, 2, 2] < 0.05)


def test_test_samples_and_image_files_feed_the_model(qtbot, tab, digits, tmp_path):
    _run, data = digits
    tab.sample.setValue(5)
    tab.sample_button.click()
    x, y = tab.predictor.test_samples(data)
    qtbot.waitUntil(lambda: tab.input is not None and np.allclose(tab.input, x[5].numpy()))
    assert f"true class {int(y[5])}" in tab.note.text()
    pixels = (x[7, 0].numpy() * 255).round().astype(np.uint8)
    Image.fromarray(pixels).convert("RGB").save(tmp_path / "mine.png")  # made grey again
    tab.load_image(str(tmp_path / "mine.png"))
    qtbot.waitUntil(lambda: np.abs(tab.input - x[7].numpy()).max() < 1 / 255)
    (tmp_path / "bad.png").write_text("no image")
    tab.load_image(str(tmp_path / "bad.png"))
    assert "cannot read image" in tab.note.text()


def test_why_maps_follow_the_input_for_the_chosen_class(qtbot, tab, digits):
    _run, data = digits
    x, _ = tab.predictor.test_samples(data)
    tab.canvas.set_values(x[0].numpy())
    qtbot.waitUntil(lambda: tab.why.explained is not None
                    and np.array_equal(tab.why.explained, x[0].numpy()))
    predicted = int(tab.probs.argmax())
    assert {r.target for r in tab.why.results.values()} == {predicted}
    assert all(not p.pixmap().isNull() for p in tab.why.pictures.values())
    other = (predicted + 1) % 10
    tab.why.target.setCurrentIndex(other + 1)
    qtbot.waitUntil(lambda: {r.target for r in tab.why.results.values()} == {other})
    assert f"<b>{other}</b>" in tab.why.caption.text()


def test_which_methods_explain_a_model_is_found_once_per_model(qtbot, tab, digits,
                                                              monkeypatch):
    from netcanvas.backend.insight import attribution

    found = []
    monkeypatch.setattr(attribution, "methods_for",
                        lambda predictor: found.append(predictor) or tuple(attribution.METHODS))
    _run, data = digits
    x, _ = tab.predictor.test_samples(data)
    tab.why.set_predictor(tab.predictor)  # a model shown afresh: not yet known
    for i in range(3):
        tab.canvas.set_values(x[i].numpy())
        qtbot.waitUntil(lambda i=i: tab.why.explained is not None
                        and np.array_equal(tab.why.explained, x[i].numpy()))
    assert found == [tab.predictor]
    assert set(tab.why.results) == set(attribution.METHODS)


def test_no_run_leaves_nothing_to_try(qtbot):
    widget = TryTab()
    qtbot.addWidget(widget)
    assert "Train a classifier" in widget.source.text()
    assert not widget.canvas.isEnabled() and not widget.bars.isEnabled()


def test_a_click_on_the_decision_boundary_places_a_moons_point(qtbot, tmp_path):
    from insight_support import MOONS, trained_run

    run, data = trained_run(tmp_path, MOONS, epochs=3)
    data.extra["feature_names"] = ["width", "height"]  # as a CSV dataset names its columns
    tab = open_tab(qtbot, run, data)
    editor = tab.vector
    assert tab.editor.currentWidget() is editor and len(editor.spins) == 2
    assert editor.plot.isVisible() and editor.image.image is not None
    assert not tab.brush.isVisible()
    x, _ = tab.predictor.test_samples(data)
    qtbot.waitUntil(lambda: tab.probs is not None)
    assert np.allclose(tab.input, x[0].numpy(), atol=1e-3)  # the first test sample to start
    view = editor.plot.getPlotItem().vb
    target = (float(x[:, 0].min()), float(x[:, 1].max()))
    scene = view.mapViewToScene(pg.Point(*target))
    pos = editor.plot.mapFromScene(scene)
    qtbot.mouseClick(editor.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: abs(tab.input[0] - target[0]) < 0.05)
    assert abs(tab.input[1] - target[1]) < 0.05
    expected = tab.predictor.probabilities(tab.input)[0].numpy()
    qtbot.waitUntil(lambda: np.allclose([p for _, p in tab.bars.shown], expected, atol=1e-6))
    editor.spins[0].setValue(1.5)  # typing a value moves the point too
    qtbot.waitUntil(lambda: tab.input[0] == pytest.approx(1.5))
    assert list(editor.marker.getData()[0]) == [pytest.approx(1.5)]
    qtbot.waitUntil(lambda: bool(tab.why.results))
    qtbot.waitUntil(lambda: tab.why.explained is not None and tab.why.explained[0] == 1.5)
    assert "<b>width</b>" in tab.why.table.text() and "occlusion" in tab.why.table.text()
    assert editor.form.labelForField(editor.spins[1]).text() == "height"
    qtbot.wait(300)
    tab.grab().save(str(tmp_path / "moons.png"))


def test_the_training_dock_offers_the_shown_run_beside_evaluation(qtbot, digits):
    from netcanvas.app.training.dock import TrainingDock

    run, _data = digits
    dock = TrainingDock()
    qtbot.addWidget(dock)
    tabs = [dock.tabs.tabText(i) for i in range(dock.tabs.count())]
    assert tabs.index("Try it") == tabs.index("Evaluation") + 1
    dock.show_run(run)
    assert dock.try_tab.predictor is not None and dock.try_tab.predictor.label == run.label
    assert run.label in dock.try_tab.source.text()
    dock.show_run(None)
    assert dock.try_tab.predictor is None and not dock.try_tab.canvas.isEnabled()
    dock.shutdown()
