"""The data tab's augmentation preview: one training sample augmented 16 times, redrawn as
an augmentation setting changes, and the input pipeline's samples/s in the summary; a
streamed image folder previews without loading the folder."""

from pathlib import Path

import numpy as np
import pytest
from netcanvas.app.training.data_tab import AUGMENTED_COUNT, DataTab
from netcanvas.backend.project import DatasetConfig
from PIL import Image

LOAD_TIMEOUT_MS = 60_000
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def tab(qtbot):
    made = []

    def make(config):
        widget = DataTab(config)
        qtbot.addWidget(widget)
        widget.resize(1100, 640)
        widget.show()
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.shutdown()


def pictures(grid):
    from PySide6.QtWidgets import QLabel

    return [label.pixmap().toImage() for label in grid.widget().findChildren(QLabel)
            if not label.pixmap().isNull()]


def test_the_preview_shows_one_sample_augmented_and_follows_the_settings(qtbot, tab):
    config = DatasetConfig(name="digits")
    data = tab(config)
    with qtbot.waitSignal(data.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        pass  # a shown tab loads a built-in dataset by itself
    assert "samples/s" in data.summary.text()
    assert data.augmented.isHidden() and "No augmentation" in data.augmented_title.text()
    data.fields["augment_rotation"].setValue(40.0)  # a user edit: SetSetting on the document
    assert config.augment_rotation == 40.0
    assert not data.augmented.isHidden()
    rotated = pictures(data.augmented)
    assert len(rotated) == AUGMENTED_COUNT and len({img.cacheKey() for img in rotated}) > 1
    assert len({bytes(img.constBits()) for img in rotated}) > 1  # different draws
    data.fields["augment_erasing"].setValue(1.0)
    erased = pictures(data.augmented)
    assert [bytes(i.constBits()) for i in erased] != [bytes(i.constBits()) for i in rotated]
    with qtbot.waitSignal(data.dataset_loaded, timeout=LOAD_TIMEOUT_MS):
        pass  # the settings' reload
    DOCS.mkdir(exist_ok=True)
    assert data.grab().save(str(DOCS / "augmentation_preview.png"))


def test_a_streamed_folder_previews_its_samples_and_pipeline_speed(qtbot, tab, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path / "cache"))
    for k in range(2):
        (tmp_path / "data" / f"c{k}").mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((10, 10, 3), 40 + 100 * k, np.uint8)).save(
                tmp_path / "data" / f"c{k}" / f"{i}.png")
    config = DatasetConfig(name="folder", path=str(tmp_path / "data"),
                           options={"stream": True, "workers": 0}, augment_flip=True)
    data = tab(config)
    shown = []
    real = data._progress
    data._progress = lambda sent: shown.append(sent) or real(sent)
    with qtbot.waitSignal(data.dataset_loaded, timeout=LOAD_TIMEOUT_MS) as loaded:
        pass  # a shown tab loads the user's data with a path by itself
    assert shown == [(1, 2, "indexing c0: 6 images"), (2, 2, "indexing c1: 6 images")]
    assert loaded.args[0].extra["streamed"] and "samples/s" in data.summary.text()
    assert len(pictures(data.grid)) == len(loaded.args[0].train) and len(pictures(data.augmented)) == AUGMENTED_COUNT
