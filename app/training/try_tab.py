"""Try it: give the shown run your own input and watch its class probabilities, then see why
(app/training/why_view.py). Images: draw at the model's input resolution, load an image file
or pick a test sample. Feature vectors: edit the values, or click the decision-boundary plot
(2 features) to place a point. The model and its arithmetic are the backend's
(backend/insight/predict.py); this tab only shows its answers."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from netcanvas.app.training.attention_view import AttentionView
from netcanvas.app.training.colours import class_tint, colour, palette_colours, style_plot
from netcanvas.app.training.draw_canvas import DrawCanvas
from netcanvas.app.training.why_view import WhyPanel
from netcanvas.app.workers import Latest
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

MAX_BARS = 10
BOUNDARY_GRID = 120
NO_RUN = "Train a classifier to try it on your own input."
TASK_PICTURES = {"mask": "the predicted mask tinted red", "boxes": "the predicted box in red",
                 "flow": "frame 1, the predicted flow, the true flow (hue = direction)",
                 "image": "input beside output"}


class ProbabilityBars(QWidget):
    """One bar per class (the ten most probable when there are more), the winner in bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(2)
        self.names: list[QLabel] = []
        self.bars: list[QProgressBar] = []
        for row in range(MAX_BARS):
            name, bar = QLabel(), QProgressBar(minimum=0, maximum=1000, textVisible=True)
            bar.setFixedHeight(18)
            self.grid.addWidget(name, row, 0)
            self.grid.addWidget(bar, row, 1)
            self.names.append(name)
            self.bars.append(bar)
        self.grid.setColumnStretch(1, 1)
        self.grid.setRowStretch(MAX_BARS, 1)
        self.shown: list[tuple[str, float]] = []  # (class, probability) as drawn

    def set_probabilities(self, probs: np.ndarray | None, names: list[str]) -> None:
        if probs is None:
            order = []
        elif len(probs) <= MAX_BARS:
            order = list(range(len(probs)))  # class order: bars stay put while drawing
        else:
            order = list(np.argsort(-probs)[:MAX_BARS])
        best = int(np.argmax(probs)) if probs is not None else -1
        self.shown = [(names[i], float(probs[i])) for i in order]
        for row, (name, bar) in enumerate(zip(self.names, self.bars)):
            visible = row < len(order)
            name.setVisible(visible)
            bar.setVisible(visible)
            if not visible:
                continue
            i = order[row]
            name.setText(f"<b>{names[i]}</b>" if i == best else names[i])
            bar.setValue(round(float(probs[i]) * 1000))
            bar.setFormat(f"{probs[i]:.1%}")


class VectorEditor(QWidget):
    """Spin boxes for a feature vector's raw values, and for 2 features the model's decision
    boundary over the input plane: a click there places the point."""

    def __init__(self, on_changed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_changed = on_changed
        self.form = QFormLayout()
        self.spins: list[QDoubleSpinBox] = []
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMinimumSize(220, 200)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=5, pen=None)
        self.marker = pg.ScatterPlotItem(size=16, symbol="x", pen=pg.mkPen("k", width=1),
                                         brush=pg.mkBrush("w"))
        self.plot.addItem(self.points)
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form)
        layout.addWidget(self.plot, 1)

    def setup(self, size: int, names: list[str], decimals: int = 3) -> None:
        """`decimals` 0 for whole values (token ids): they step by 1."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.spins = []
        for i in range(size):
            spin = QDoubleSpinBox(minimum=-1e6, maximum=1e6, decimals=decimals,
                                  singleStep=0.1 if decimals else 1.0)
            spin.valueChanged.connect(self._edited)
            self.form.addRow(names[i], spin)
            self.spins.append(spin)

    def values(self) -> np.ndarray:
        return np.array([s.value() for s in self.spins], dtype=np.float32)

    def set_values(self, values: np.ndarray) -> None:
        for spin, value in zip(self.spins, np.asarray(values).reshape(-1)):
            spin.blockSignals(True)
            spin.setValue(float(value))
            spin.blockSignals(False)
        self._edited()

    def _edited(self) -> None:
        if len(self.spins) == 2:
            self.marker.setData([self.spins[0].value()], [self.spins[1].value()])
        self.on_changed(self.values())

    def show_plane(self, predictor, x: np.ndarray | None, y: np.ndarray | None) -> None:
        """The decision boundary over the test samples' extent (raw units), the samples
        tinted by class."""
        from netcanvas.backend.insight.predict import plane_probabilities

        self.plot.setVisible(len(self.spins) == 2)
        if len(self.spins) != 2:
            return
        lo, hi = (x.min(0), x.max(0)) if x is not None and len(x) else (np.full(2, -3.0),
                                                                         np.full(2, 3.0))
        margin = (hi - lo) * 0.1 + 1e-3
        x0, y0 = map(float, lo - margin)
        x1, y1 = map(float, hi + margin)
        bg, _fg = palette_colours(self)
        probs = plane_probabilities(predictor, (x0, x1, y0, y1), BOUNDARY_GRID)
        self.image.setImage(class_tint(probs, bg), autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if x is not None:
            self.points.setData(x[:, 0], x[:, 1],
                                brush=[pg.mkBrush(colour(int(c))) for c in y])
        self.plot.setBackground(bg)
        style_plot(self.plot.getPlotItem(), self, "Click to place a point", "x₁ (raw)",
                   "x₂ (raw)")
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _clicked(self, event) -> None:
        if len(self.spins) != 2 or event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.set_values(np.array([point.x(), point.y()]))


def _task_picture(task, values: np.ndarray, index: int) -> np.ndarray:
    """The picture of a task model's answer to one raw input (on a Worker)."""
    return task.answer(values, index)


def _answer(predictor, values: np.ndarray, attention: bool) -> tuple[np.ndarray, list]:
    """The class probabilities of one raw input and, when `attention`, its attention maps
    (on a Worker)."""
    from netcanvas.backend.insight import attention as maps

    probs = predictor.probabilities(values)[0].numpy()
    return probs, maps.attention_maps(predictor, values) if attention else []


class TryTab(QWidget):
    def __init__(self, dataset_for=None, parent: QWidget | None = None) -> None:
        """`dataset_for(project)` answers an already loaded dataset of the project, or None
        (then the backend loads it when test samples are needed)."""
        super().__init__(parent)
        self.dataset_for = dataset_for or (lambda project: None)
        self.predictor = None
        self.input: np.ndarray | None = None
        self.probs: np.ndarray | None = None
        self._samples: tuple[np.ndarray, np.ndarray] | None = None
        self._dataset = None  # the test samples' dataset, once loaded

        self.source = QLabel(NO_RUN, wordWrap=True)
        self.note = QLabel(wordWrap=True)
        self.brush = QToolButton(text="Brush", checkable=True, checked=True)
        self.eraser = QToolButton(text="Eraser", checkable=True)
        tools = QButtonGroup(self)
        for button in (self.brush, self.eraser):
            tools.addButton(button)
        self.eraser.toggled.connect(lambda on: setattr(self.canvas, "erasing", on))
        self.clear_button = QPushButton("Clear")
        self.load_button = QPushButton("Load image…")
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.sample_button = QPushButton("Use test sample")
        self.sample.setToolTip("Index of a sample of the test split")
        self.clear_button.clicked.connect(self.clear)
        self.load_button.clicked.connect(self.load_image)
        self.sample_button.clicked.connect(lambda: self.use_sample(self.sample.value()))
        self.tools = QHBoxLayout()
        for w in (self.brush, self.eraser, self.clear_button):
            self.tools.addWidget(w)
        self.tools.addStretch(1)
        sources = QHBoxLayout()
        for w in (self.load_button, self.sample, self.sample_button):
            sources.addWidget(w)
        sources.addStretch(1)

        self.canvas = DrawCanvas()
        self.canvas.changed.connect(lambda: self.set_input(self.canvas.values))
        self.vector = VectorEditor(self.set_input)
        self.editor = QStackedWidget()
        self.editor.addWidget(self.canvas)
        self.editor.addWidget(self.vector)
        self.bars = ProbabilityBars()
        self.answer = QLabel(wordWrap=True)
        self.task = None  # a TaskTry when the run learns masks, boxes, flow or images
        self.task_index = 0  # the test sample that gives the other inputs
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, visible=False)
        self.why = WhyPanel()
        self.attention = AttentionView()

        left = QVBoxLayout()
        left.addLayout(self.tools)
        left.addLayout(sources)
        left.addWidget(self.editor, 1)
        middle = QVBoxLayout()
        middle.addWidget(self.answer)
        middle.addWidget(self.bars, 1)
        middle.addWidget(self.picture, 1)
        middle.addWidget(self.attention)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(middle, 2)
        columns.addWidget(self.why, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(self.note)
        layout.addLayout(columns, 1)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one answer per burst
        self._timer.timeout.connect(self._predict)
        self._answers = Latest(self, self._answered)  # a big model's forward is off the GUI
        self._pictures = Latest(self, self._pictured)  # the same for a task's picture
        self.set_run(None)

    # ---- the run ---------------------------------------------------------------------
    def follow(self, workspace) -> None:
        """Try the workspace's shown run (the one it holds now, then each next one), with
        its dataset when that is loaded."""
        self.dataset_for = workspace.dataset_for
        workspace.subscribe("shown", self.set_run)
        self.set_run(workspace.shown)

    def set_run(self, run) -> None:
        """Try the run's best weights (None: nothing to try)."""
        self.predictor, self.input, self.probs, self._samples = None, None, None, None
        self._dataset = None
        self.task, self.task_index = None, 0
        self.note.clear()
        if run is not None:
            from netcanvas.backend.insight.predict import PredictError, from_run  # torch

            try:
                predictor = from_run(run, checked=False)  # a task model may have 2 inputs
                self.task = self._task_try(predictor)
                if self.task is None:
                    predictor = from_run(run, several=True)  # a test sample feeds the rest
                if self.task is None and not predictor.classifies:
                    raise PredictError(f"{run.label} is a regression: Try it shows the class "
                                       "probabilities of a classifier")
                self.predictor = predictor
            except PredictError as exc:
                self.note.setText(str(exc))
        if self.predictor is not None and self.task is None and self._several():
            self._test_samples()  # sample 0 feeds the other inputs
        self.source.setText(NO_RUN if self.predictor is None else
                            f"<b>{self.predictor.label}</b> · " + self._how())
        for w in (self.editor, self.bars, self.why, self.brush, self.eraser,
                  self.clear_button, self.load_button, self.sample, self.sample_button):
            w.setEnabled(self.predictor is not None)
        self.why.set_predictor(self.predictor if self.task is None else None)
        self.attention.set_predictor(self.predictor if self.task is None else None)
        self.bars.set_probabilities(None, [])
        self.answer.clear()
        for w in (self.bars, self.why):
            w.setVisible(self.task is None)
        self.picture.setVisible(self.task is not None)
        self.picture.clear()
        if self.predictor is None:
            return
        if self.task is not None:
            self.sample.setMaximum(max(len(self.task) - 1, 0))
            self.editor.setCurrentWidget(self.canvas)
            self.use_sample(0)
            return
        shape = self.predictor.sample_shape
        image = self.predictor.is_image
        self.sample.setMaximum(999_999)  # the test split's size is known once it is loaded
        for w in (self.brush, self.eraser, self.clear_button, self.load_button):
            w.setVisible(image)
        if image:
            self.editor.setCurrentWidget(self.canvas)
            self.canvas.set_values(np.zeros(shape, dtype=np.float32))
        else:
            self.editor.setCurrentWidget(self.vector)
            loaded = self.dataset_for(self.predictor.project)  # a CSV's column names
            size = int(np.prod(shape))
            names = list(loaded.extra.get("feature_names", [])) if loaded else []
            names = names if len(names) == size else [f"x{i + 1}" for i in range(size)]
            samples = self._test_samples()
            x, y = samples if samples is not None else (None, None)
            if x is not None:
                x = x.reshape(len(x), -1)
            whole = x is not None and bool(np.all(x == np.round(x)))  # token ids, counts
            self.vector.setup(size, names, decimals=0 if whole else 3)
            self.why.feature_names = names
            self.vector.show_plane(self.predictor, x, y)
            self.vector.set_values(x[0] if x is not None else np.zeros(int(np.prod(shape))))

    def _task_try(self, predictor):
        """A TaskTry when the run's dataset has pictured targets, else None."""
        from netcanvas.backend.catalogue import DATASETS
        from netcanvas.backend.data import DatasetError, load_dataset
        from netcanvas.backend.insight.predict import PredictError
        from netcanvas.backend.training.task_views import TaskTry, pictured

        project = predictor.project
        dataset = self.dataset_for(project)
        spec = DATASETS.get(project.dataset.name)
        if dataset is None and spec is not None and any(
                t.kind not in ("class", "vector") for t in spec.targets):
            try:
                dataset = load_dataset(project.dataset)
            except DatasetError as exc:
                raise PredictError(str(exc)) from None
        if dataset is None or pictured(dataset) is None:
            return None
        try:
            return TaskTry(predictor.model, dataset)
        except (ValueError, DatasetError) as exc:
            raise PredictError(str(exc)) from None

    def _several(self) -> bool:
        return len(self.predictor.input_names) > 1

    def _how(self) -> str:
        shape = "×".join(map(str, self.predictor.sample_shape))
        if self.predictor.is_image:
            channels, h, w = self.predictor.sample_shape
            shape = f"{h}×{w}" + (" grey" if channels == 1 else f" ×{channels} channels")
            how = (f"draw a {shape} input (left button draws, right erases), load an image "
                   "file (converted, resized and scaled to [0, 1] as the dataset's images "
                   "are) or use a test sample")
        else:
            how = f"edit the {shape} raw values or pick a test sample"
        return how + self._others_note()

    def _kept(self) -> list[str]:
        """The Inputs after the first that the picked test sample feeds as they are."""
        names = self.predictor.input_names
        return [n for k, n in enumerate(names[1:]) if k not in self.predictor.masks]

    def _others_note(self) -> str:
        """How the Inputs after the first are fed: "" for a model with one."""
        if not self._several():
            return ""
        names = self.predictor.input_names
        derived = [names[1 + k] for k in self.predictor.masks]
        kept = self._kept()
        parts = [f"{n} follows {names[0]} (padding where it is {self.predictor.pad:g})"
                 for n in derived]
        if kept:
            parts.append(", ".join(kept) + " from the picked test sample")
        return f" for input {names[0]}; " + "; ".join(parts)

    def _test_samples(self) -> tuple[np.ndarray, np.ndarray] | None:
        from netcanvas.backend.insight.predict import PredictError

        if self._samples is None:
            from netcanvas.backend.insight.predict import load_data

            try:
                dataset = self.dataset_for(self.predictor.project)
                self._dataset = dataset or load_data(self.predictor.project)
                x, y = self.predictor.test_samples(self._dataset)
                if self._several():
                    self.predictor.use_sample(self._dataset, 0)
            except PredictError as exc:
                self.note.setText(f"No test samples: {exc}")
                return None
            self._samples = (x.numpy(), y.numpy())
            self.sample.setMaximum(max(len(x) - 1, 0))
        return self._samples

    # ---- inputs ----------------------------------------------------------------------
    def clear(self) -> None:
        self.canvas.clear()

    def load_image(self, path: str | None = None) -> None:
        from netcanvas.backend.data.images import EXTENSIONS
        from netcanvas.backend.insight.predict import PredictError, read_image_sample

        if path is None:
            patterns = " ".join(f"*{e}" for e in sorted(EXTENSIONS))
            path, _ = QFileDialog.getOpenFileName(self, "Image to try", "",
                                                  f"Images ({patterns})")
            if not path:
                return
        try:
            values = read_image_sample(self.predictor, path).numpy()
        except PredictError as exc:
            self.note.setText(str(exc))
            return
        self.note.setText(f"Loaded {path}.")
        self.canvas.set_values(values)

    def use_sample(self, index: int) -> None:
        if self.task is not None:
            index = min(max(index, 0), len(self.task) - 1)
            self.sample.setValue(index)
            self.task_index = index
            self.note.setText(f"Test sample {index}" + (
                " (its other inputs are used as they are)." if len(self.task.dataset.inputs) > 1
                else "."))
            self.canvas.set_values(self.task.raw_sample(index))
            return
        samples = self._test_samples()
        if samples is None:
            return
        x, y = samples
        index = min(max(index, 0), len(x) - 1)
        self.sample.setValue(index)
        if self._several():
            self.predictor.use_sample(self._dataset, index)
        self.note.setText(f"Test sample {index}: true class "
                          f"{self.predictor.class_names[int(y[index])]}"
                          + (f" (its {', '.join(self._kept())} too)."
                             if self._several() and self._kept() else "."))
        if self.predictor.is_image:
            self.canvas.set_values(x[index])
        else:
            self.vector.set_values(x[index])

    def set_input(self, values: np.ndarray) -> None:
        """A new raw input: the bars follow at once, the Why maps once it settles."""
        self.input = np.array(values, dtype=np.float32).reshape(self.predictor.sample_shape)
        self._timer.start()

    def _predict(self) -> None:
        if self.predictor is None or self.input is None:
            return
        if self.task is not None:
            self._pictures.request(_task_picture, self.task, self.input, self.task_index,
                                   context=self.task)
            return
        self._answers.request(_answer, self.predictor, self.input,
                              self.attention.predictor is not None,
                              context=(self.predictor, self.input))

    def _pictured(self, task, picture: np.ndarray) -> None:
        from netcanvas.app.training.image_grid import pixmap

        if task is not self.task:  # a run shown before
            return
        self.picture.setPixmap(pixmap(picture, 300))
        self.answer.setText(f"The model's {task.target.name}: {TASK_PICTURES[task.target.kind]}")

    def _answered(self, asked: tuple, answer: tuple) -> None:
        predictor, values = asked
        if predictor is not self.predictor:  # a run shown before
            return
        self.probs, maps = answer
        names = self.predictor.class_names
        best = int(self.probs.argmax())
        self.answer.setText(f"Prediction: <b>{names[best]}</b> ({self.probs[best]:.1%})")
        self.bars.set_probabilities(self.probs, names)
        self.why.set_input(values)
        self.attention.show(values, maps)
