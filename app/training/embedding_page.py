"""Look inside › Embeddings: a node's outputs for the test set projected to 2-D (PCA or
t-SNE, backend/insight/embedding.py, on a Worker), one dot per sample coloured by class;
click a dot to see that sample. Step through the nodes to watch the classes separate."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.app.training.image_grid import pixmap, to_display
from netcanvas.app.training.look_support import RunPage, one_at_a_time, own_samples
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

PICTURE = 96


def prepare(run, dataset=None):
    """(predictor, raw test samples, labels, node names) of a run (on a Worker)."""
    from netcanvas.backend.insight.features import node_names

    predictor, x, y = own_samples(run, dataset)
    return predictor, x, y, node_names(predictor.model)


class EmbeddingPage(RunPage):
    shown = Signal()  # a projection is drawn
    NO_RUN = "Train a model to see how it arranges the test set."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(prepare, parent)
        from netcanvas.backend.insight.attribution_methods import EMBEDDINGS as METHODS

        self.embedding = None
        self.node = QComboBox()
        self.method = QComboBox()
        for key, title in METHODS.items():
            self.method.addItem(title, key)
        self.project_button = QPushButton("Project")
        self.project_button.clicked.connect(self.project)
        self.note = QLabel(self.NO_RUN, wordWrap=True)
        self.plot = pg.PlotWidget()
        self.scatter = pg.ScatterPlotItem(size=6, pen=None)
        self.scatter.sigClicked.connect(self._clicked)
        self.plot.addItem(self.scatter)
        self.picture = QLabel()
        self.picture.setFixedSize(PICTURE, PICTURE)
        self.picked = QLabel(wordWrap=True)
        row = QHBoxLayout()
        for w in (QLabel("Node"), self.node, self.method, self.project_button):
            row.addWidget(w)
        row.addStretch(1)
        column = QWidget()
        column.setFixedWidth(PICTURE + 24)
        side = QVBoxLayout(column)
        side.addWidget(self.picture)
        side.addWidget(self.picked)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addWidget(column)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)
        self._enable(False)
        self._work = one_at_a_time(self, self.note, after=self._ready)

    def _ready(self) -> None:
        """A computation ended, done or not: another projection may start."""
        self.project_button.setEnabled(self.prepared is not None)

    def _enable(self, on: bool) -> None:
        for w in (self.node, self.method, self.project_button):
            w.setEnabled(on)

    def cleared(self) -> None:
        self.embedding = None
        self.scatter.clear()
        self._enable(False)

    def prepared_run(self, result) -> None:
        names = result[3]
        self.node.clear()
        self.node.addItems(names)
        self.node.setCurrentIndex(max(len(names) - 2, 0))  # the last hidden layer
        self._enable(True)
        self.note.setText("Pick a node and project its outputs for the test set.")

    def project(self) -> None:
        if self.prepared is None:
            return
        from netcanvas.backend.insight.embedding import embed

        predictor, x, y, _ = self.prepared
        node, method = self.node.currentText(), self.method.currentData()
        self.note.setText(f"Projecting {node}'s outputs ({self.method.currentText()})…")
        self.project_button.setEnabled(False)  # one projection at a time: hooks on one model
        self.ask(embed, predictor, node, x, y, method, then=self._embedded)

    def _embedded(self, embedding) -> None:
        self.embedding = embedding
        predictor = self.prepared[0]
        bg, _fg = palette_colours(self)
        self.plot.setBackground(bg)
        style_plot(self.plot.getPlotItem(), self, f"{embedding.node} · "
                   f"{self.method.itemText(self.method.findData(embedding.method))}", "", "")
        brushes = [pg.mkBrush(colour(int(k))) for k in embedding.labels]
        self.scatter.clear()
        self.scatter.addPoints(x=embedding.points[:, 0], y=embedding.points[:, 1],
                               brush=brushes, data=np.arange(len(embedding.points)))
        kept = (f"; the two axes keep {embedding.explained:.0%} of the variance"
                if embedding.explained is not None else "")
        self.note.setText(f"{len(embedding.points)} test samples, coloured by class "
                          f"({', '.join(predictor.class_names)}){kept}. Click a dot.")
        self.shown.emit()

    def show_point(self, i: int) -> None:
        """Show test sample number i of the projection (what a click on its dot does)."""
        predictor, x, y, _ = self.prepared
        index = int(self.embedding.indices[i])
        sample = x[index].numpy()
        if predictor.is_image:
            self.picture.setPixmap(pixmap(to_display(sample[None])[0], PICTURE))
        label = predictor.class_names[int(y[index])]
        self.picked.setText(f"test sample {index}\nclass {label}")

    def _clicked(self, _item, points, *_args) -> None:
        if len(points):
            self.show_point(int(points[0].data()))
