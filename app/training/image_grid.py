"""A grid of small sample images with captions (dataset preview, misclassified test images)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget


def to_display(x, mean=None, std=None) -> np.ndarray:
    """(N, C, H, W) or (N, H, W) tensors/arrays -> uint8 (N, H, W, C) for drawing.

    Undo the dataset normalisation, then stretch to the batch's range so faint images show."""
    x = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if mean is not None and std is not None:
        m = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
        s = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
        x = x * s + m
    lo, hi = float(x.min()), float(x.max())
    x = (x - lo) / (hi - lo if hi > lo else 1.0)
    return np.ascontiguousarray((x.transpose(0, 2, 3, 1) * 255).clip(0, 255).astype(np.uint8))


def qimage(image: np.ndarray) -> QImage:
    """One uint8 (H, W, C) image (C = 1 grey, else RGB from the first three), as a QImage
    that owns its pixels."""
    h, w, c = image.shape
    if c == 1:
        grey = np.ascontiguousarray(image[..., 0])
        return QImage(grey.tobytes(), w, h, w, QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(image[..., :3])
    return QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def pixmap(image: np.ndarray, size: int) -> QPixmap:
    """One uint8 (H, W, C) image, scaled without blurring (8x8 digits stay crisp)."""
    return QPixmap.fromImage(qimage(image)).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


class ImageGridWidget(QScrollArea):
    """Images in rows of `columns`, each with a caption under it."""

    def __init__(self, columns: int = 8, size: int = 56, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns, self.size = columns, size
        self.setWidgetResizable(True)
        self._set_content(QWidget())

    def _set_content(self, content: QWidget) -> None:
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(content)

    def set_images(self, images: np.ndarray, captions: list[str],
                   tooltips: list[str] | None = None) -> None:
        content = QWidget()
        grid = QGridLayout(content)
        grid.setSpacing(6)
        for i, (image, caption) in enumerate(zip(images, captions)):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
            picture = QLabel()
            picture.setPixmap(pixmap(image, self.size))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text = QLabel(caption)
            text.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text.setWordWrap(True)
            box.addWidget(picture)
            box.addWidget(text)
            if tooltips:
                cell.setToolTip(tooltips[i])
            grid.addWidget(cell, i // self.columns, i % self.columns)
        grid.setRowStretch(grid.rowCount(), 1)
        grid.setColumnStretch(self.columns, 1)
        self._set_content(content)
