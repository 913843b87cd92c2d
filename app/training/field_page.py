"""Look inside › Receptive field: click a cell of a node's output map (on a test sample, the
Try it drawing when chosen, or a random one before the data is loaded; the shown run's
trained weights, or seeded random ones before any run) and the input region that can
influence it is outlined on the image, beside the effective receptive field |∂ cell / ∂ input|
as a heat map (backend/insight/effective_field.py, on a Worker)."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import pixmap
from netcanvas.app.training.look_support import pick
from netcanvas.app.training.outputs_page import snapshot
from netcanvas.app.workers import Worker, error_line
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

PICTURE = 192
TEST_SAMPLE, DRAWING = "Test sample", "Try it drawing"
BOX = np.array([255, 170, 0], dtype=np.uint8)  # amber outline


def grey(values: np.ndarray) -> np.ndarray:
    """(H, W) -> uint8 (H, W, 3) stretched to its range."""
    lo, hi = float(values.min()), float(values.max())
    g = ((values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)) * 255
    return np.repeat(g.astype(np.uint8)[..., None], 3, axis=2)


def outlined(image: np.ndarray, box, cell_scale: int = 8) -> np.ndarray:
    """`image` (H, W, 3) enlarged `cell_scale` times with `box` ((r0, r1), (c0, c1)) drawn."""
    big = np.repeat(np.repeat(image, cell_scale, axis=0), cell_scale, axis=1)
    if box is not None:
        (r0, r1), (c0, c1) = box
        top, bottom = r0 * cell_scale, (r1 + 1) * cell_scale - 1
        left, right = c0 * cell_scale, (c1 + 1) * cell_scale - 1
        big[top, left:right + 1] = big[bottom, left:right + 1] = BOX
        big[top:bottom + 1, left] = big[top:bottom + 1, right] = BOX
    return big


class ClickableMap(QLabel):
    clicked = Signal(int, int)  # row, column of the map

    def __init__(self) -> None:
        super().__init__()
        self.cells = (0, 0)
        self.setFixedSize(PICTURE, PICTURE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def mousePressEvent(self, event) -> None:
        h, w = self.cells
        if not h or self.pixmap() is None or self.pixmap().isNull():
            return
        pm = self.pixmap()
        x0, y0 = (self.width() - pm.width()) / 2, (self.height() - pm.height()) / 2
        col = int((event.position().x() - x0) / pm.width() * w)
        row = int((event.position().y() - y0) / pm.height() * h)
        if 0 <= row < h and 0 <= col < w:
            self.clicked.emit(row, col)


class FieldPage(QWidget):
    shown = Signal()

    def __init__(self, dataset_of, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset_of = dataset_of
        self.drawing_of = lambda: None  # () -> the Try it tab's raw input, if any
        self.run = None  # the shown run: its trained weights
        self.document = None
        self.result = None
        self.used = ""  # which sample the shown result is of
        self.worker: Worker | None = None
        self.node = QComboBox()
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.source = QComboBox()
        self.source.addItems([TEST_SAMPLE, DRAWING])
        self.map = ClickableMap()
        self.input = QLabel()
        self.heat = QLabel()
        for label in (self.input, self.heat):
            label.setFixedSize(PICTURE, PICTURE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel("Pick a node, then click a cell of its output.", wordWrap=True)
        self.node.currentIndexChanged.connect(lambda: self.compute(None))
        self.sample.valueChanged.connect(lambda: self.compute(None))
        self.source.currentIndexChanged.connect(lambda: self.compute(None))
        self.map.clicked.connect(lambda r, c: self.compute((r, c)))
        grid = QGridLayout()
        for i, (title, w) in enumerate((("Output (click a cell)", self.map),
                                        ("Input: the theoretical field", self.input),
                                        ("|∂ cell / ∂ input|", self.heat))):
            grid.addWidget(QLabel(title), 0, i)
            grid.addWidget(w, 1, i)
        row = QGridLayout()
        for i, w in enumerate((QLabel("Node"), self.node, self.source, self.sample)):
            row.addWidget(w, 0, i)
        row.setColumnStretch(4, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addLayout(grid)
        layout.addStretch(1)

    def set_document(self, document) -> None:
        self.document = document
        self.refresh_nodes()

    def set_run(self, run) -> None:
        """The run whose trained weights the lens uses (None: seeded random weights)."""
        self.run = run
        self.compute(None)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_nodes()
        self.compute(None)

    def refresh_nodes(self) -> None:
        """The nodes with an image-shaped output, in document order."""
        doc = self.document
        if doc is None:
            return
        analysis = doc.analysis
        names = []
        for node in doc.graph.nodes.values():
            info = analysis.nodes.get(node.id)
            shape = next(iter(info.output_shapes.values()), None) if info else None
            if shape is not None and len(shape) == 3 and node.type_id not in ("input", "output"):
                names.append(node.name)
        if names != [self.node.itemText(i) for i in range(self.node.count())]:
            self.node.blockSignals(True)
            self.node.clear()
            self.node.addItems(names)
            self.node.blockSignals(False)
            self.compute(None)

    def select_node(self, name: str) -> bool:
        return pick(self.node, name)

    def compute(self, cell) -> None:
        doc = self.document
        name = self.node.currentText()
        if doc is None or not name or self.worker is not None or not self.isVisible():
            return
        node = doc.graph.by_name(name)
        dataset = self.dataset_of(doc.project)
        sample = None
        if dataset is not None and len(dataset.test) and dataset.test.x.dim() == 4:
            self.sample.setMaximum(len(dataset.test) - 1)
            sample = dataset.test.x[self.sample.value()]
        drawing = self.drawing_of() if self.source.currentText() == DRAWING and \
            self.run is not None else None  # Try it draws for the shown run only
        self.used = ("the Try it drawing" if drawing is not None
                     else f"test sample {self.sample.value()}" if sample is not None
                     else "a random sample")
        self.worker = Worker("netcanvas.backend.insight.effective_field:run_field",
                             snapshot(doc.project), node.id, cell, sample, self.run,
                             drawing, parent=self)
        self.worker.returned.connect(self._shown)
        self.worker.errored.connect(self._failed)  # bound: dropped if the page goes first
        self.worker.finished.connect(self._ended)
        self.worker.start()

    def _failed(self, exc: Exception) -> None:
        self.note.setText(error_line(exc, ValueError))

    def _ended(self) -> None:
        self.worker.deleteLater()
        self.worker = None

    def _shown(self, found) -> None:
        self.result = found
        h, w = found.output.shape
        self.map.cells = (h, w)
        r, c = found.cell
        marked = outlined(grey(found.output), ((r, r), (c, c)))
        self.map.setPixmap(pixmap(marked, PICTURE))
        image = grey(found.image.mean(axis=0))
        self.input.setPixmap(pixmap(outlined(image, found.box), PICTURE))
        self.heat.setPixmap(pixmap(outlined(grey(found.heat), found.box), PICTURE))
        if found.box is None:
            self.note.setText(f"Cell ({r}, {c}) of {found.node} depends on no input pixel.")
        else:
            (r0, r1), (c0, c1) = found.box
            weights = (f"the weights of {self.run.label}" if self.run is not None
                       else "random weights (train to see trained ones)")
            self.note.setText(f"Cell ({r}, {c}) of {found.node} on {self.used} can see input "
                              f"rows {r0}–{r1} and columns {c0}–{c1} (the amber box); the heat "
                              f"map is how strongly each pixel moves it, with {weights}.")
        self.shown.emit()
