"""Evaluation's Feature maps page: pick a test sample and a node to see its output channels
as images, and the first convolution's filters (backend/insight/features.py)."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import ImageGridWidget, to_display
from netcanvas.app.training.layouts import STRETCH, column, row
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

MAX_CHANNELS = 64


class FeatureMapsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = None
        self.dataset = None
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.node = QComboBox()
        self.sample.valueChanged.connect(self.refresh)
        self.node.currentIndexChanged.connect(self.refresh)
        self.note = QLabel("Train a model to see what its layers compute for a test sample.",
                           wordWrap=True)
        self.maps = ImageGridWidget(columns=8, size=56)
        self.filters_note = QLabel(wordWrap=True)
        self.filters = ImageGridWidget(columns=16, size=40)
        column(row(QLabel("Test sample"), self.sample, QLabel("Node"), self.node, STRETCH),
               self.note, (self.maps, 3), self.filters_note, (self.filters, 1), on=self)

    def set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.sample.setMaximum(max(len(dataset.test) - 1, 0) if dataset is not None else 0)

    def set_model(self, model) -> None:
        self.model = model
        self.node.blockSignals(True)
        self.node.clear()
        found = None
        if model is not None:
            from netcanvas.backend.insight.features import first_conv_filters, node_names

            self.node.addItems(node_names(model))
            found = first_conv_filters(model)
        self.node.blockSignals(False)
        if found is None:
            self.filters_note.setText("No Conv2d: no filters to show.")
            self.filters.set_images([], [])
        else:
            name, kernels = found
            self.filters_note.setText(f"Filters of '{name}', the first convolution "
                                      f"({len(kernels)} kernels, {kernels.shape[1]}×"
                                      f"{kernels.shape[2]}).")
            images = to_display(kernels.transpose(0, 3, 1, 2))
            self.filters.set_images(images, [str(i) for i in range(len(images))])
        self.refresh()

    def refresh(self) -> None:
        if self.model is None or self.dataset is None or not self.node.currentText():
            return
        from netcanvas.backend.insight.circuit import split_sample
        from netcanvas.backend.insight.features import feature_maps

        node, index = self.node.currentText(), self.sample.value()
        try:
            sample, target = split_sample(self.dataset.test, index, self.model.input_shapes)
            maps = feature_maps(self.model, sample, node)
        except Exception as exc:  # noqa: BLE001 - data that does not fit this model
            self.note.setText(f"Cannot show '{node}': {exc}")
            self.maps.set_images([], [])
            return
        label = target.reshape(-1)[0].item() if target.numel() else ""
        shown = maps[:MAX_CHANNELS]
        self.note.setText(f"'{node}' for test sample {index} (label {label:g}): "
                          f"{len(maps)} channel(s) of {maps.shape[1]}×{maps.shape[2]}"
                          + (f", the first {MAX_CHANNELS} shown" if len(maps) > MAX_CHANNELS
                             else "") + "; one brightness scale for all.")
        self.maps.set_images(to_display(np.asarray(shown)[:, None]),
                             [str(i) for i in range(len(shown))])
