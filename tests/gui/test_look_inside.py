"""Look inside, second step, in the real window: receptive fields on hover and in the
Summary dock; the training doctor's findings on the canvas (amber badge), in Problems and
as an undoable quick fix, during a real run of the deep_sigmoid lesson."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from netcanvas.app.document import Document
from netcanvas.app.summary_table import COLUMNS
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated
from test_view_support import OffGuiThread

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
DOCS = Path(__file__).resolve().parents[2] / "docs"
# NETCANVAS_SCREENSHOTS=1 redraws the screenshots under docs/ (else they go to a temp dir)
SHOTS = DOCS if os.environ.get("NETCANVAS_SCREENSHOTS") else Path(tempfile.mkdtemp())
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
    window.summary_dock.grab().save(str(SHOTS / "receptive_field_summary.png"))


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
    window.grab().save(str(SHOTS / "doctor_vanishing_gradient.png"))
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


def show_look_inside(window, page):
    dock = window.training_dock
    dock.show()
    dock.raise_()
    dock.tabs.setCurrentWidget(dock.look_tab)
    dock.look_tab.pages.setCurrentWidget(page)
    QApplication.processEvents()


def test_outputs_before_training_once_per_edit_off_the_gui_thread(window, qtbot, monkeypatch):
    from netcanvas.backend.insight import previews as backend
    graph = open_example(window, "lenet_digits")
    page = window.training_dock.look_tab.outputs
    gate = OffGuiThread(monkeypatch, backend, "previews", "the outputs computed")
    with qtbot.waitSignal(page.computed, timeout=60_000):
        show_look_inside(window, page)
        qtbot.waitUntil(gate.started, timeout=10_000)
        gate.release()
    assert gate.ran_off_the_gui_thread()
    assert page.computations == 1 and len(page.previews) == len(graph.nodes)
    conv1 = graph.by_name("conv1")
    assert page.previews[conv1.id].kind == "image"
    window.scene.select_nodes([conv1.id])  # shown from the cache: nothing computed
    assert page.focus_caption.text().startswith("<b>conv1</b> (Conv2d): output 16×8×8, values ")
    assert not page.focus_picture.pixmap().isNull() and page.computations == 1
    window.resizeDocks([window.training_dock], [560], Qt.Vertical)
    QApplication.processEvents()
    window.grab().save(str(SHOTS / "node_outputs_before_training.png"))
    window.document.push_move = None
    from netcanvas.backend.graph import MoveNodes, SetParam
    window.document.push(MoveNodes({conv1.id: (5.0, 5.0)}))  # moving changes no output
    qtbot.waitUntil(lambda: not page._timer.isActive())  # the page looked at the edit
    assert page.computations == 1
    with qtbot.waitSignal(page.computed, timeout=60_000):
        window.document.push(SetParam(conv1.id, "out_channels", 4))
    assert page.computations == 2
    assert page.previews[conv1.id].shape == (4, 8, 8)


def test_grad_cam_smoothgrad_class_maps_and_embeddings_of_a_run(window, qtbot):
    open_example(window, "lenet_digits", epochs=2)
    dock = window.training_dock
    with qtbot.waitSignal(dock.run_ended, timeout=RUN_TIMEOUT_MS):
        dock.train_action.trigger()
    look = dock.look_tab
    cam = look.cam
    show_look_inside(window, cam)
    qtbot.waitUntil(lambda: cam.prepared is not None, timeout=60_000)
    window.scene.select_nodes([window.document.graph.by_name("relu1").id])
    assert cam.node.currentText() == "relu1"

    def captions():
        return {w.text() for w in cam.maps.widget().findChildren(type(cam.note))}
    qtbot.waitUntil(lambda: "Grad-CAM of relu1" in captions(), timeout=60_000)
    assert {"input", "SmoothGrad · saliency", "SmoothGrad · IG"} <= captions()
    with qtbot.waitSignal(cam.shown, timeout=60_000):
        cam.classes.click()
    assert len(cam.class_maps.widget().findChildren(type(cam.note))) == 20  # 10 pictures
    window.grab().save(str(SHOTS / "grad_cam_smoothgrad.png"))
    page = look.embedding
    show_look_inside(window, page)
    qtbot.waitUntil(lambda: page.prepared is not None, timeout=60_000)
    page.node.setCurrentText("fc1")
    with qtbot.waitSignal(page.shown, timeout=60_000):
        qtbot.mouseClick(page.project_button, Qt.LeftButton)
    assert page.embedding.points.shape[1] == 2 and page.embedding.node == "fc1"
    page.show_point(0)
    assert page.picked.text().startswith(f"test sample {int(page.embedding.indices[0])}")
    assert not page.picture.pixmap().isNull()
    window.grab().save(str(SHOTS / "embeddings_pca.png"))


def test_click_a_cell_to_outline_its_receptive_field(window, qtbot):
    from netcanvas.backend.receptive import input_box
    graph = open_example(window, "lenet_digits")
    page = window.training_dock.look_tab.field
    with qtbot.waitSignal(page.shown, timeout=60_000):
        show_look_inside(window, page)
    window.scene.select_nodes([graph.by_name("conv2").id])
    assert page.node.currentText() == "conv2"
    qtbot.waitUntil(lambda: page.result is not None and page.result.node == "conv2"
                    and page.worker is None, timeout=60_000)
    pm = page.map.pixmap()
    x0, y0 = (page.map.width() - pm.width()) / 2, (page.map.height() - pm.height()) / 2
    at = QPoint(int(x0 + pm.width() * 0.1), int(y0 + pm.height() * 0.9))  # cell (3, 0)
    with qtbot.waitSignal(page.shown, timeout=60_000):
        qtbot.mouseClick(page.map, Qt.LeftButton, pos=at)
    assert page.result.cell == (3, 0)
    assert page.result.box == input_box(window.document.project, graph.by_name("conv2").id,
                                        (0, 3, 0)) == ((3, 7), (0, 4))
    rows, cols = page.result.heat.nonzero()
    assert 3 <= rows.min() and rows.max() <= 7 and cols.max() <= 4
    assert "rows 3–7 and columns 0–4" in page.note.text()
    window.resizeDocks([window.training_dock], [480], Qt.Vertical)
    QApplication.processEvents()
    window.grab().save(str(SHOTS / "receptive_field_lens.png"))


def hover_card(window, node_id: str) -> str:
    """A tooltip request over the card, as the mouse resting on it sends; the tooltip text."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    view = window.view
    pos = view.mapFromScene(window.scene.node_item(node_id).sceneBoundingRect().center())
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.ToolTip, pos,
                                                       view.viewport().mapToGlobal(pos)))
    return QToolTip.text()


def test_hovering_a_card_shows_its_output_from_the_cache(window, qtbot, monkeypatch):
    import threading

    from netcanvas.backend.insight import previews as backend
    graph = open_example(window, "lenet_digits")
    page = window.training_dock.look_tab.outputs
    assert not page.isVisible()
    real, threads = backend.previews, []

    def watched(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(backend, "previews", watched)
    conv1, fc1 = graph.by_name("conv1").id, graph.by_name("fc1").id
    with qtbot.waitSignal(page.computed, timeout=60_000):
        text = hover_card(window, conv1)  # not cached yet: the page's Worker computes it
        assert "conv1 — Conv2d" in text and "computing this node's output" in text
    assert threads == [threads[0]] and threads[0] is not threading.main_thread()
    text = hover_card(window, conv1)
    assert '<img src="data:image/png;base64,' in text
    assert f"output on a random sample: {page.previews[conv1].describe()}" in text
    assert "receptive field 3, jump 1, offset -1" in text  # the lines above stay
    shot = next(w for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QTipLabel" and w.isVisible())
    shot.grab().save(str(SHOTS / "node_output_hover.png"))
    assert page.previews[fc1].kind == "vector" and "<img" in hover_card(window, fc1)
    assert page.computations == 1 and len(threads) == 1  # hovers read the cache
    from netcanvas.backend.graph import SetParam
    window.document.push(SetParam(conv1, "out_channels", 4))  # an edit: stale until recomputed
    with qtbot.waitSignal(page.computed, timeout=60_000):
        assert "computing" in hover_card(window, conv1)
    assert page.computations == 2 and page.previews[conv1].shape == (4, 8, 8)


def test_a_hover_during_a_computation_is_answered_when_it_ends(window, qtbot, monkeypatch):
    """The page is hidden: a hover that arrives while an older computation still runs (a
    busy machine) must start the next one when that one ends, not be dropped."""
    import threading

    from netcanvas.backend.graph import SetParam
    from netcanvas.backend.insight import previews as backend
    graph = open_example(window, "lenet_digits")
    page = window.training_dock.look_tab.outputs
    real, release = backend.previews, threading.Event()

    def held(*args, **kwargs):
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(backend, "previews", held)
    conv1 = graph.by_name("conv1").id
    hover_card(window, conv1)  # the first computation starts and is held
    assert page.worker is not None and not page.isVisible()
    window.document.push(SetParam(conv1, "out_channels", 4))
    hover_card(window, conv1)  # asked for the edited graph while the first one runs
    release.set()
    qtbot.waitUntil(lambda: page.computations == 2 and page.worker is None
                    and conv1 in page.previews and page.previews[conv1].shape == (4, 8, 8))


@pytest.mark.slow
def test_the_lens_uses_the_shown_runs_weights_and_the_try_it_drawing(window, qtbot,
                                                                      tmp_path):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
    import numpy as np
    from insight_support import trained_digits_run
    from netcanvas.app.training.field_page import DRAWING
    graph = open_example(window, "lenet_digits")
    run, data = trained_digits_run(tmp_path, epochs=1)
    dock = window.training_dock
    page = dock.look_tab.field
    with qtbot.waitSignal(page.shown, timeout=60_000):
        show_look_inside(window, page)
    assert "random weights" in page.note.text()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    with qtbot.waitSignal(page.shown, timeout=60_000):
        dock.show_run(run)  # the lens follows the shown run
    assert page.run is run and f"with the weights of {run.label}" in page.note.text()
    dock.try_tab.use_sample(7)  # what the Try it canvas now holds
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    with qtbot.waitSignal(page.shown, timeout=60_000):
        page.source.setCurrentText(DRAWING)
    assert page.used == "the Try it drawing" and " on the Try it drawing " in page.note.text()
    assert graph.by_name(page.result.node) is not None
    np.testing.assert_allclose(page.result.image, data.test.x[7].numpy(), atol=1e-5)
