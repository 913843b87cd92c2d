"""Try it's attention maps (app/training/attention_view.py): a trained tiny ViT shows each
head's class-token attention over the digit's patches, per chosen layer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from netcanvas.app.training.try_tab import TryTab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))
from insight_support import trained_run
from test_view_support import OffGuiThread, open_tab

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture(scope="module")
def vit(tmp_path_factory):
    # one epoch is enough for what the tests check; the picture for docs/ shows six
    epochs = 6 if os.environ.get("NETCANVAS_SCREENSHOTS") else 1
    return trained_run(tmp_path_factory.mktemp("vit"), EXAMPLES / "vit_digits.netcanvas", epochs)


def grey(label) -> np.ndarray:
    image = label.pixmap().toImage()
    return np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 6)]
                     for y in range(0, image.height(), 6)])


def test_each_head_of_the_chosen_layer_is_drawn_over_the_patches(qtbot, vit, tmp_path):
    run, data = vit
    tab = open_tab(qtbot, run, data, size=(1100, 640))
    view = tab.attention
    assert view.isVisible() and view.grid is not None
    assert (view.grid.rows, view.grid.cols, view.grid.first) == (4, 4, 1)
    tab.use_sample(0)
    qtbot.waitUntil(lambda: len(view.maps) == 2)
    assert [view.layer.itemText(i) for i in range(view.layer.count())] == [
        "encoder.0.attn", "encoder.1.attn"]
    shown = [p for p in view.pictures if p.isVisible()]
    assert len(shown) == 4 and all(not p.pixmap().isNull() for p in shown)
    assert "4×4 patches" in view.caption.text()
    first = grey(shown[0])
    assert (first[..., 0] != first[..., 2]).any()  # orange over the grey digit
    view.layer.setCurrentIndex(1)
    assert not np.array_equal(grey(view.pictures[0]), first)
    tab.grab().save(str(tmp_path / "attention.png"))
    if os.environ.get("NETCANVAS_SCREENSHOTS"):  # refresh the picture in docs/
        tab.grab().save(os.environ["NETCANVAS_SCREENSHOTS"] + "/try_it_attention.png")


def test_models_without_attention_hide_the_view(qtbot, tmp_path):
    tab = TryTab()
    qtbot.addWidget(tab)
    tab.set_run(None)
    assert not tab.attention.isVisible() and tab.attention.predictor is None


def test_the_maps_are_computed_off_the_gui_thread(qtbot, vit, monkeypatch):
    from netcanvas.backend.insight import attention as backend

    run, data = vit
    gate = OffGuiThread(monkeypatch, backend, "attention_maps", "the maps computed")
    tab = open_tab(qtbot, run, data)
    tab.use_sample(1)
    qtbot.waitUntil(gate.started, timeout=10_000)
    gate.release()
    qtbot.waitUntil(lambda: len(tab.attention.maps) == 2, timeout=10_000)
    assert gate.ran_off_the_gui_thread()
    assert tab.probs is not None and tab.attention.pictures[0].isVisible()
