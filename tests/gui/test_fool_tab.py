"""The "Fool it" tab driven as a user does: the ε slider re-attacks the sample and the images
and predictions follow; the chart compares a plain and an adversarially trained run; the
adversarial settings show in the Settings form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from netcanvas.app.training import fool_tab
from netcanvas.app.training.fool_tab import FoolTab
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runs import DataInfo, RunStore
from netcanvas.backend.training import Trainer
from PySide6.QtCore import Qt
from test_app_support import *  # fixtures: window, isolated
from test_training_dock import train_example

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def trained_runs(folder, epochs: int = 2):
    """Two runs of the LeNet digits example: plain, then FGSM-trained (a few seconds)."""
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    project.training.epochs, project.training.device = epochs, "cpu"
    dataset = load_dataset(project.dataset)
    store = RunStore("lenet", folder)
    for adversarial in ("none", "fgsm"):
        project.training.adversarial = adversarial
        run = store.new_run(project)
        run.data = DataInfo.of(dataset)
        run.ended(Trainer(run.project, dataset, checkpoint_dir=run.checkpoint_dir).run())
    return store, dataset


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return trained_runs(tmp_path_factory.mktemp("fool"))


def pixels(label) -> np.ndarray:
    image = label.pixmap().toImage()
    return np.array([[image.pixel(x, y) for x in range(0, image.width(), 7)]
                     for y in range(0, image.height(), 7)])


def test_the_eps_slider_updates_the_images_and_predictions(qtbot, runs, monkeypatch,
                                                            tmp_path):
    monkeypatch.setattr(fool_tab, "CHART_EPS", [0.0, 0.15, 0.3])
    store, dataset = runs
    tab = FoolTab()
    qtbot.addWidget(tab)
    tab.resize(1100, 420)
    tab.set_run(store.runs[0], store.runs, dataset)
    assert tab.result is None  # nothing is computed while the tab is hidden
    tab.show()
    qtbot.waitUntil(lambda: tab.result is not None)
    assert "pixels in [0,\u00a01]" in tab.units.text() and "16" in tab.units.text()
    assert "run 1" in tab.source.text() and "(plain)" in tab.source.text()

    qtbot.keyClick(tab.slider, Qt.Key_Home)  # ε = 0: x' = x, same prediction
    qtbot.waitUntil(lambda: "ε = 0<" in tab.captions[2].text())
    clean = tab.result
    assert np.array_equal(clean.x_adv, clean.x)
    assert np.array_equal(pixels(tab.pictures[0]), pixels(tab.pictures[2]))
    assert clean.predicted_adv == clean.predicted

    tab.slider.setFocus()
    for _ in range(6):  # ε = 0.3: the attacked image changes, the confidence falls
        qtbot.keyClick(tab.slider, Qt.Key_PageUp)
    assert tab.eps == pytest.approx(0.3)
    assert tab.eps_label.text() == "0.300"
    qtbot.waitUntil(lambda: "ε = 0.3<" in tab.captions[2].text())
    attacked = tab.result
    assert np.abs(attacked.x_adv - attacked.x).max() == pytest.approx(0.3, abs=1e-5)
    assert not np.array_equal(pixels(tab.pictures[0]), pixels(tab.pictures[2]))
    assert attacked.probs_adv[clean.predicted] < clean.probs[clean.predicted]
    names = [str(i) for i in range(10)]
    assert f"predicted <b>{names[attacked.predicted_adv]}</b>" in tab.captions[2].text()

    # PGD toward a target class: the caption says how its probability moved
    tab.method.setCurrentIndex(tab.method.findData("pgd"))
    tab.target.setCurrentIndex(tab.target.findData(7 if clean.predicted != 7 else 1))
    qtbot.waitUntil(lambda: "target" in tab.captions[2].text())
    assert "PGD" in tab.captions[1].text()

    # The chart: FGSM and PGD for this run and the one compared (the FGSM-trained run)
    assert tab.compare.currentData() == fool_tab.key(store.runs[1])
    qtbot.waitUntil(lambda: len(tab.curves) == 2, timeout=60000)
    for curves in tab.curves.values():
        for accuracy in curves.values():
            assert len(accuracy) == 3 and accuracy[-1] < accuracy[0]
    names = [item.name() for item in tab.plot.listDataItems()]
    assert names == ["run 1 (plain) FGSM", "run 1 (plain) PGD",
                     "run 2 (FGSM-trained, ε 0.1) FGSM", "run 2 (FGSM-trained, ε 0.1) PGD"]
    assert len(tab.legend.items) == 4
    # below the curves, not over them, once the plot's layout has run (a posted event)
    qtbot.waitUntil(lambda: tab.legend.sceneBoundingRect().top()
                    >= tab.plot.vb.sceneBoundingRect().bottom() - 1, timeout=10_000)
    tab.grab().save("/tmp/fool_tab_legend.png")

    # Another project's run 1 is another run: nothing cached for it is reused
    other, _dataset = trained_runs(tmp_path, epochs=1)
    tab.set_run(other.runs[0], other.runs[:1], dataset)
    assert tab.prepared == {} and tab.curves == {} and tab.compare.currentData() is None
    qtbot.waitUntil(lambda: tab.result is not None)
    assert tab.prepared[fool_tab.key(other.runs[0])][0].label == other.runs[0].label
    tab.shutdown()


@pytest.mark.slow
def test_the_dock_attacks_the_run_it_shows(qtbot, window):
    dock = window.training_dock
    assert dock.tabs.tabText(dock.tabs.indexOf(dock.fool_tab)) == "Fool it"
    _project, result = train_example(qtbot, window, "lenet_digits", epochs=1)
    assert result is not None and result.failed is None
    tab = dock.fool_tab
    assert tab.run is dock.shown and tab.result is None  # waits until shown
    dock.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.result is not None, timeout=30000)
    assert tab.compare.currentData() is None  # the project's only run
    qtbot.waitUntil(lambda: fool_tab.key(dock.shown) in tab.curves, timeout=60000)


def test_no_run_says_so_and_disables_the_controls(qtbot):
    tab = FoolTab()
    qtbot.addWidget(tab)
    tab.set_run(None)
    tab.show()
    assert "Train a classifier" in tab.status.text()
    assert not tab.slider.isEnabled()


def test_the_settings_form_shows_the_adversarial_settings(qtbot):
    from netcanvas.app.document import Document
    from netcanvas.app.training.settings_form import SettingsForm
    from netcanvas.backend.project import Project

    document = Document(Project())
    form = SettingsForm(document)
    qtbot.addWidget(form)
    assert form.row_visible("adversarial") and not form.row_visible("adversarial_eps")
    combo = form.widgets["adversarial"]
    combo.setCurrentIndex(combo.findData("pgd"))
    assert document.project.training.adversarial == "pgd"
    assert form.row_visible("adversarial_eps") and form.row_visible("adversarial_ratio")
