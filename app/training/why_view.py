"""Why: attribution maps of the Try-it input for the predicted or a chosen class, side by side
for saliency, Integrated Gradients and occlusion (computed by backend/insight/attribution.py),
overlaid on the input: red where a value raises the class's score, blue where it lowers it."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.image_grid import pixmap
from netcanvas.app.training.layouts import STRETCH, column, row
from netcanvas.app.workers import Latest, error_line
from netcanvas.backend.insight.attribution_methods import METHODS
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

REFRESH_MS = 200  # the maps follow the input once drawing pauses
PICTURE = 128
PREDICTED = "predicted class"
SHORT = {"saliency": "gradient", "integrated_gradients": "IG", "occlusion": "occlusion"}
RAISES = np.array([230, 50, 30], dtype=np.float32)
LOWERS = np.array([30, 110, 240], dtype=np.float32)


def overlay(values: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A (C, H, W) input in [0, 1] (grey unless RGB) with a signed (H, W) map over it: uint8
    (H, W, 3), red for positive, blue for negative, more opaque the larger |map|."""
    rgb = values.transpose(1, 2, 0) if values.shape[0] == 3 else np.repeat(
        values.mean(axis=0)[..., None], 3, axis=2)
    rgb = 25 + rgb * 200
    peak = float(np.abs(heat).max())
    scaled = heat / peak if peak > 0 else heat
    alpha = (np.abs(scaled) * 0.75)[..., None]
    colour = np.where(scaled[..., None] >= 0, RAISES, LOWERS)
    return (rgb * (1 - alpha) + colour * alpha).clip(0, 255).astype(np.uint8)


def _explain(predictor, values: np.ndarray, target: int | None, methods) -> dict:
    """The backend's attribution of `values` by each of `methods`; all of METHODS, before the
    first answer, are narrowed to those the model allows (runs in the worker thread: finding
    which takes a forward and backward pass, once per model)."""
    from netcanvas.backend.insight.attribution import attribute, methods_for

    usable = methods_for(predictor) if methods is METHODS else methods
    return {m: attribute(predictor, values, m, target) for m in usable}


class WhyPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.methods = METHODS
        self.predictor = None
        self.input: np.ndarray | None = None
        self.results: dict[str, object] = {}  # method -> the backend's Attribution
        self.explained: np.ndarray | None = None  # the input the results explain
        self.feature_names: list[str] = []  # vector inputs: one per value
        self.target = QComboBox()
        self.target.setToolTip("The class whose score the maps explain")
        self.target.currentIndexChanged.connect(self._schedule)
        self.pictures: dict[str, QLabel] = {}
        self.maps = QWidget()  # image inputs: one overlay per method
        grid = QGridLayout(self.maps)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, (method, title) in enumerate(METHODS.items()):
            picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
            picture.setMinimumSize(PICTURE, PICTURE)
            grid.addWidget(QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter), 0, col)
            grid.addWidget(picture, 1, col)
            self.pictures[method] = picture
        self.table = QLabel(textFormat=Qt.TextFormat.RichText)  # vector inputs
        self.caption = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignTop)
        # room for four wrapped lines: the side-by-side columns give a wrapped label no
        # height-for-width, so it would otherwise keep the height of its first text
        self.caption.setMinimumHeight(self.caption.fontMetrics().lineSpacing() * 4 + 4)
        column(row(QLabel("<b>Why</b> — explain"), (self.target, 1)), self.maps, self.table,
               self.caption, STRETCH, on=self, margins=False)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._jobs = Latest(self, self._explained, self._not_explained)  # off the GUI thread

    def set_predictor(self, predictor) -> None:
        self.predictor, self.input, self.results, self.explained = predictor, None, {}, None
        self.methods = METHODS  # until the first answer says which the model allows
        self.target.blockSignals(True)
        self.target.clear()
        if predictor is not None:
            self.target.addItems([PREDICTED, *predictor.class_names])
        self.target.blockSignals(False)
        image = predictor is not None and predictor.is_image
        for picture in self.pictures.values():
            picture.clear()
        self.maps.setVisible(image)
        self.table.setVisible(not image)
        self.table.clear()
        self.caption.clear()

    def set_input(self, values: np.ndarray) -> None:
        self.input = values
        self._schedule()

    def _schedule(self) -> None:
        if self.predictor is not None and self.input is not None:
            self._timer.start()

    def refresh(self) -> None:
        """Compute the three maps for the current input and class, off the GUI thread (a
        ResNet-18 at 224×224 takes seconds); a change meanwhile is computed next."""
        if self.predictor is None or self.input is None:
            return
        index = self.target.currentIndex()
        target = None if index <= 0 else index - 1
        job = (self.predictor, self.input, target)
        self._jobs.request(_explain, *job, self.methods, context=job)

    def _explained(self, job: tuple, results: dict) -> None:
        predictor, values, target = job
        if predictor is self.predictor:  # not a run shown before
            self._show(values, target, results)

    def _not_explained(self, job: tuple, exc: Exception) -> None:
        if job[0] is self.predictor:  # e.g. a layer Captum cannot differentiate
            self.results = {}
            line = error_line(exc, (RuntimeError, ValueError)).splitlines()[0]
            self.caption.setText(f"Cannot explain this model: {line}")

    def _show(self, values: np.ndarray, target: int | None, results: dict) -> None:
        self.results, self.explained, self.methods = results, values, tuple(results)
        explained = next(iter(results.values())).target
        name = self.predictor.class_names[explained]
        if self.predictor.is_image:
            for method, result in results.items():
                self.pictures[method].setPixmap(pixmap(overlay(values, result.map()), PICTURE))
        else:
            self._table(values, explained)
        which = "the predicted class" if target is None else "the chosen class"
        how = ("Red: the pixel raises the class's score (its logit), blue: lowers it; each "
               "map is scaled to its own peak. Integrated Gradients and occlusion compare "
               "with a black image." if self.predictor.is_image else
               "Positive: the value raises the class's score (its logit), negative: lowers it. "
               "Integrated Gradients and occlusion compare with the training mean.")
        if "saliency" not in self.methods:
            how = ("No gradient reaches token ids (an Embedding reads them): occlusion alone "
                   "explains them, each id in turn set to 0; positive: the id raises the "
                   "class's score (its logit), negative: lowers it.")
        self.caption.setText(f"Class <b>{name}</b> ({which}). {how}")

    def _table(self, values: np.ndarray, explained: int) -> None:
        size = int(np.prod(self.predictor.sample_shape))
        names = self.feature_names if len(self.feature_names) == size else [
            f"x{i + 1}" for i in range(size)]
        rows = "".join(
            f"<tr><td><b>{name}</b></td><td align=right>{values.reshape(-1)[i]:.3g}</td>"
            + "".join(f"<td align=right>{r.map()[i]:+.3g}</td>" for r in self.results.values())
            + "</tr>" for i, name in enumerate(names))
        heads = "".join(f"<th>{SHORT[method]}</th>" for method in self.methods)
        self.table.setText(f"<table cellspacing=0 cellpadding=3><tr><th></th><th>value</th>"
                           f"{heads}</tr>{rows}</table>")
