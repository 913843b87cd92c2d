"""Try it's attention maps: for the sample being tried, what each head of a chosen attention
layer looked at. A vision transformer's class-token attention is laid over the image's
patches; any other model shows each head's (query step x key step) weights. The numbers
are the backend's (backend/insight/attention.py)."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import pixmap
from netcanvas.app.training.layouts import STRETCH, column, row
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

PICTURE = 72  # pixels per head's picture: four fit beside each other
HEAT = np.array([255, 96, 0], dtype=np.float32)  # the attention colour over the image


def heat_colours(values: np.ndarray) -> np.ndarray:
    """(H, W) weights -> uint8 (H, W, 3): dark blue (none) through red to yellow (the most)."""
    v = values / max(float(values.max()), 1e-12)
    rgb = np.stack([np.clip(2 * v, 0, 1), np.clip(2 * v - 1, 0, 1), 0.35 * (1 - v)], axis=-1)
    return (rgb * 255).astype(np.uint8)


def over_image(image: np.ndarray, attention: np.ndarray, patch: tuple[int, int]) -> np.ndarray:
    """A grey (H, W) image in [0, 1] with one head's per-patch attention (rows, cols) laid
    over it in orange: uint8 (H, W, 3)."""
    cells = np.kron(attention / max(float(attention.max()), 1e-12), np.ones(patch))
    grey = np.repeat(np.clip(image, 0, 1)[..., None], 3, axis=-1) * 255
    alpha = 0.75 * cells[..., None]
    return (grey * (1 - alpha) + HEAT * alpha).astype(np.uint8)


class AttentionView(QWidget):
    """A layer chooser and one picture per head; hidden for models without attention."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.setToolTip("The attention layer whose heads are shown")
        self.layer.currentIndexChanged.connect(self._draw)
        self.caption = QLabel(wordWrap=True)
        self.heads = QGridLayout()
        column(row(QLabel("Attention of"), (self.layer, 1)), self.caption, self.heads, STRETCH,
               on=self, margins=False)
        self.predictor = None
        self.maps: list = []  # AttentionMap per layer, for the input last shown
        self.grid = None  # PatchGrid of a vision transformer
        self.image: np.ndarray | None = None
        self.pictures: list[QLabel] = []

    def set_predictor(self, predictor) -> None:
        self.predictor = self.grid = None
        if predictor is not None:  # torch: imported only once there is a model to look at
            from netcanvas.backend.insight.attention import has_attention, patch_grid

            if has_attention(predictor.model.module):
                self.predictor, self.grid = predictor, patch_grid(predictor)
        self.maps = []
        self.layer.clear()
        self.setVisible(self.predictor is not None)

    def show(self, x: np.ndarray, maps: list) -> None:
        """The AttentionMaps of input `x` (computed on a Worker, with Try it's answer)."""
        if self.predictor is None:
            return
        self.maps = maps
        self.image = x[0] if self.grid is not None else None
        names = [m.layer for m in self.maps]
        if names != [self.layer.itemText(i) for i in range(self.layer.count())]:
            chosen = self.layer.currentText()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            self.layer.setCurrentIndex(max(names.index(chosen) if chosen in names else 0, 0))
            self.layer.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        index = self.layer.currentIndex()
        if not self.maps or index < 0:
            return
        weights = self.maps[index].weights
        if self.grid is not None:
            per_head = self.grid.overlay(weights)
            images = [over_image(self.image, a, self.grid.patch) for a in per_head]
            self.caption.setText("What the class token attends to, per head, over the image's "
                                 f"{self.grid.rows}×{self.grid.cols} patches (orange: most).")
        else:
            images = [heat_colours(w) for w in weights]
            steps, keys = weights.shape[1:]
            self.caption.setText(f"Each head's weights: {steps} query steps (rows) × {keys} "
                                 "key steps (columns); bright: most attention.")
        while len(self.pictures) < len(images):
            label = QLabel()
            self.heads.addWidget(label, len(self.pictures) // 4, len(self.pictures) % 4)
            self.pictures.append(label)
        for i, label in enumerate(self.pictures):
            label.setVisible(i < len(images))
            if i < len(images):
                label.setPixmap(pixmap(images[i], PICTURE))
                label.setToolTip(f"head {i + 1}")
