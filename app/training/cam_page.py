"""Look inside › Grad-CAM: for the shown run and a test sample, Grad-CAM of a convolutional
node (picked here or by selecting it on the canvas), SmoothGrad over saliency and Integrated
Gradients, and on request the average saliency of each class over the test set
(backend/insight/grad_cam.py, Captum). All computed on Workers."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import ImageGridWidget
from netcanvas.app.training.layouts import STRETCH, column, row
from netcanvas.app.training.look_support import RunPage, one_at_a_time, own_samples
from netcanvas.app.training.why_view import overlay
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSpinBox, QWidget

PER_CLASS = 20


def prepare(run, dataset=None):
    """(predictor, raw test samples, labels, conv nodes) of a run (on a Worker)."""
    from netcanvas.backend.insight.grad_cam import conv_nodes

    predictor, x, y = own_samples(run, dataset)
    return predictor, x, y, conv_nodes(predictor)


def explain(predictor, values: np.ndarray, node: str | None) -> dict:
    """Grad-CAM of `node` (when given) and SmoothGrad of saliency and IG for the predicted
    class: {name: (H, W) map}, and the class (on a Worker)."""
    from netcanvas.backend.insight.grad_cam import grad_cam, smooth

    maps = {}
    target = None
    if node is not None:
        maps[f"Grad-CAM of {node}"], target = grad_cam(predictor, values, node)
    for method, title in (("saliency", "SmoothGrad · saliency"),
                          ("integrated_gradients", "SmoothGrad · IG")):
        values_map, target = smooth(predictor, values, method, target)
        maps[title] = values_map.sum(axis=0)
    return {"maps": maps, "target": target}


class CamPage(RunPage):
    shown = Signal()  # a result is on screen
    NO_RUN = "Train a model to see where it looks."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(prepare, parent)  # prepared: (predictor, x, y, conv nodes)
        self.node = QComboBox()
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.classes = QPushButton("Per-class average maps")
        self.note = QLabel(self.NO_RUN, wordWrap=True)
        self.maps = ImageGridWidget(columns=4, size=140)
        self.class_maps = ImageGridWidget(columns=10, size=64)
        self.node.currentIndexChanged.connect(self.refresh)
        self.sample.valueChanged.connect(self.refresh)
        self.classes.clicked.connect(self.average_maps)
        column(row(QLabel("Grad-CAM of"), self.node, QLabel("Test sample"), self.sample,
                   self.classes, STRETCH),
               self.note, (self.maps, 2), (self.class_maps, 1), on=self)
        self._enable(False)
        self._work = one_at_a_time(self, self.note)

    def _enable(self, on: bool) -> None:
        for w in (self.node, self.sample, self.classes):
            w.setEnabled(on)

    def cleared(self) -> None:
        self._enable(False)
        self.maps.set_images([], [])
        self.class_maps.set_images([], [])
        self.note.setText("Loading the run…")

    def prepared_run(self, result) -> None:
        predictor, x, _y, convs = result
        if not predictor.is_image or not predictor.classifies:
            self.note.setText("Grad-CAM and SmoothGrad here explain image classifiers.")
            return
        self.node.blockSignals(True)
        self.node.clear()
        self.node.addItems(convs)
        self.node.setCurrentIndex(len(convs) - 1)  # the deepest map: the most semantic
        self.node.blockSignals(False)
        self.sample.setMaximum(max(len(x) - 1, 0))
        self._enable(True)
        self.refresh()

    def refresh(self) -> None:
        if self.prepared is None:
            return
        predictor, x, _y, _ = self.prepared
        values = x[self.sample.value()].numpy()
        node = self.node.currentText() or None
        self.note.setText("Computing…")
        self.ask(explain, predictor, values, node,
                 then=lambda result, v=values, n=node: self._explained(v, n, result))

    def _explained(self, values, node, result) -> None:
        if node != (self.node.currentText() or None):
            return  # a later choice is on its way
        predictor = self.prepared[0]
        names = list(result["maps"])
        images = [overlay(values, np.zeros(values.shape[1:]))]
        images += [overlay(values, result["maps"][n]) for n in names]
        label = predictor.class_names[result["target"]]
        self.note.setText(f"Where the model looks for class {label} (its prediction).")
        self.maps.set_images(images, ["input", *names])
        self.shown.emit()

    def average_maps(self) -> None:
        if self.prepared is None:
            return
        from netcanvas.backend.insight.grad_cam import class_average_maps

        predictor, x, y, _ = self.prepared
        self.note.setText("Averaging each class's saliency over the test set…")
        self.ask(class_average_maps, predictor, x, y, PER_CLASS, then=self._averaged)

    def _averaged(self, maps: np.ndarray) -> None:
        predictor = self.prepared[0]
        grey = np.full((1, *maps.shape[1:]), 0.5, dtype=np.float32)
        images = [overlay(grey, m) for m in maps]
        self.class_maps.set_images(images, predictor.class_names)
        self.note.setText(f"Average |saliency| of each class over up to {PER_CLASS} test "
                          "samples of it.")
        self.shown.emit()
