"""A pixel grid at the model's input resolution to draw on with the mouse: a soft round brush
(left button), an eraser (right button, or the eraser tool) and Clear. Values are raw pixels
in [0, 1], one array (C, H, W); bright cells are high values, as the dataset shows them."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import qimage
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


def stamp(shape: tuple[int, int], row: float, col: float, radius: float) -> np.ndarray:
    """A round brush footprint in [0, 1] centred on (row, col): 1 at the centre, falling to
    0 at about two radii."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    d2 = (rows - row) ** 2 + (cols - col) ** 2
    return np.exp(-d2 / (2 * radius ** 2)).astype(np.float32) * (d2 <= (2 * radius) ** 2)


class DrawCanvas(QWidget):
    changed = Signal()  # the values changed (a stroke step, a clear, new values)

    def __init__(self, shape: tuple[int, int, int] = (1, 8, 8),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.zeros(shape, dtype=np.float32)
        self.erasing = False  # the eraser tool (the right button erases either way)
        self._last: tuple[float, float] | None = None
        self._erase_stroke = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the left button; the right button erases")

    @property
    def radius(self) -> float:
        """Brush radius in cells: strokes about as wide as the dataset's (2 cells on 8×8)."""
        return max(0.6, min(self.values.shape[1:]) / 14)

    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def set_values(self, values: np.ndarray) -> None:
        self.values = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0).copy()
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        self.set_values(np.zeros_like(self.values))

    # ---- geometry ---------------------------------------------------------------------
    def _grid_rect(self) -> QRectF:
        _c, h, w = self.values.shape
        cell = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - cell * w) / 2, (self.height() - cell * h) / 2,
                      cell * w, cell * h)

    def cell_at(self, pos) -> tuple[float, float] | None:
        """(row, col) under a widget position, fractional; None outside the grid."""
        rect = self._grid_rect()
        if not rect.contains(pos.x(), pos.y()):
            return None
        w = self.values.shape[-1]
        cell = rect.width() / w
        return (pos.y() - rect.top()) / cell - 0.5, (pos.x() - rect.left()) / cell - 0.5

    def cell_centre(self, row: int, col: int) -> QPoint:
        """The widget position of a cell's centre (tests press the mouse there)."""
        rect = self._grid_rect()
        cell = rect.width() / self.values.shape[2]
        return QPoint(int(rect.left() + (col + 0.5) * cell), int(rect.top() + (row + 0.5) * cell))

    # ---- strokes ----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self._erase_stroke = self.erasing or event.button() == Qt.MouseButton.RightButton
        self._last = None
        self._stroke_to(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            self._stroke_to(event.position())

    def mouseReleaseEvent(self, event) -> None:
        self._last = None

    def _stroke_to(self, pos) -> None:
        here = self.cell_at(pos)
        if here is None:
            self._last = None
            return
        start = self._last or here
        steps = max(1, int(np.ceil(max(abs(here[0] - start[0]), abs(here[1] - start[1])) * 2)))
        footprint = np.zeros(self.values.shape[1:], dtype=np.float32)
        for t in np.linspace(0.0, 1.0, steps + 1):  # no gaps when the mouse moves fast
            row = start[0] + t * (here[0] - start[0])
            col = start[1] + t * (here[1] - start[1])
            footprint = np.maximum(footprint, stamp(footprint.shape, row, col, self.radius))
        self._last = here
        if self._erase_stroke:
            values = self.values * (1.0 - footprint)
        else:
            values = np.maximum(self.values, footprint)
        if not np.array_equal(values, self.values):
            self.values = values
            self.update()
            self.changed.emit()

    # ---- drawing ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self._grid_rect()
        channels, h, w = self.values.shape
        cell = rect.width() / w
        pixels = (self.values * 255).round().astype(np.uint8)
        if channels != 3:
            pixels = pixels.mean(axis=0, keepdims=True).astype(np.uint8)
        # no smoothing: each value stays one crisp cell
        painter.drawImage(rect, qimage(pixels.transpose(1, 2, 0)))
        if cell >= 6:  # the grid, where cells are big enough to see it
            grid = self.palette().color(QPalette.ColorRole.Mid)
            grid.setAlpha(110)
            painter.setPen(QPen(grid, 1))
            for i in range(w + 1):
                x = rect.left() + i * cell
                painter.drawLine(int(x), int(rect.top()), int(x), int(rect.bottom()))
            for i in range(h + 1):
                y = rect.top() + i * cell
                painter.drawLine(int(rect.left()), int(y), int(rect.right()), int(y))
        painter.end()
