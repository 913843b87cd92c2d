"""The Evaluation tab: test metrics, confusion matrix, per-class accuracy, the test images the
model gets wrong, predicted-vs-true for regression, the live decision boundary for 2-D data,
and the export buttons for the trained model."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from netcanvas.app.training.colours import class_tint, colour, palette_colours, style_plot
from netcanvas.app.training.features_view import FeatureMapsPanel
from netcanvas.app.training.image_grid import ImageGridWidget, to_display
from netcanvas.app.training.layouts import column
from netcanvas.app.training.worker import BoundaryUpdated, ClosedForm, Predictions
from netcanvas.backend.training.events import Evaluated, Started
from netcanvas.backend.training.task_samples import TaskSamples
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QToolButton, QVBoxLayout, QWidget

MISTAKES_SHOWN = 48
MAX_LABELLED_CLASSES = 20  # above this the matrix has no per-cell counts
NO_RUN = "Train a model to evaluate it on the test split."


class EvalTab(QWidget):
    def __init__(self, export_actions=(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        buttons = QHBoxLayout()
        self.export_buttons = []
        for action in export_actions:  # the dock's: enabled while a run has weights
            button = QToolButton()
            button.setDefaultAction(action)
            buttons.addWidget(button)
            self.export_buttons.append(button)
        buttons.addStretch(1)
        self.source = QLabel(wordWrap=True)  # which run the views show
        self.metrics = QLabel(NO_RUN, wordWrap=True)
        self.closed_form_table = QLabel(textFormat=Qt.TextFormat.RichText)
        self.closed_form_table.setToolTip("Least squares on the inputs the model sees (the "
                                          "normalised training split), as `netcanvas train` "
                                          "prints it")

        self.summary = pg.GraphicsLayoutWidget()
        self.confusion_plot = self.summary.addPlot(row=0, col=0)
        self.per_class_plot = self.summary.addPlot(row=0, col=1)
        for plot in (self.confusion_plot, self.per_class_plot):
            plot.setMenuEnabled(False)
        self.mistakes = ImageGridWidget(columns=8, size=56)
        self.mistakes_note = QLabel(wordWrap=True)
        self.mistakes_page = mistakes_page = QWidget()
        box = QVBoxLayout(mistakes_page)
        box.addWidget(self.mistakes_note)
        box.addWidget(self.mistakes, 1)
        self.scatter = pg.PlotWidget()
        self.boundary_plot = pg.PlotWidget()
        self.boundary_image = pg.ImageItem(axisOrder="row-major")
        self.boundary_plot.addItem(self.boundary_image)
        self.boundary_points: pg.ScatterPlotItem | None = None

        self.task_grid = ImageGridWidget(columns=4, size=150)  # typed targets: worst first
        self.task_note = QLabel(wordWrap=True)
        self.task_page = QWidget()
        box = QVBoxLayout(self.task_page)
        box.addWidget(self.task_note)
        box.addWidget(self.task_grid, 1)

        self.views = QTabWidget()
        self.views.addTab(self.summary, "Confusion matrix")
        self.views.addTab(mistakes_page, "Mistakes")
        self.views.addTab(self.scatter, "Predicted vs true")
        self.views.addTab(self.boundary_plot, "Decision boundary")
        self.views.addTab(self.task_page, "Predictions")
        self.features = FeatureMapsPanel()
        self.views.addTab(self.features, "Feature maps")
        column(buttons, self.source, self.metrics, self.closed_form_table, (self.views, 1), on=self)
        self._style()
        self.run_started()

    def _style(self) -> None:
        bg, _fg = palette_colours(self)
        for widget in (self.summary, self.scatter, self.boundary_plot):
            widget.setBackground(bg)
        style_plot(self.confusion_plot, self, "Confusion matrix (test)", "predicted", "true")
        style_plot(self.per_class_plot, self, "Accuracy per class (test)", "class", "accuracy")
        style_plot(self.scatter.getPlotItem(), self, "Predicted vs true (test)", "true",
                   "predicted")
        style_plot(self.boundary_plot.getPlotItem(), self, "Decision boundary (live)",
                   "x₁ (normalised)", "x₂ (normalised)")

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._style()
        super().changeEvent(event)

    # ---- lifecycle --------------------------------------------------------------------
    def run_started(self) -> None:
        self.closed_form_table.hide()
        self.confusion_plot.clear()
        self.per_class_plot.clear()
        self.scatter.getPlotItem().clear()
        self.mistakes.set_images([], [])
        self.mistakes_note.setText("Shown when the run finishes.")
        self.task_grid.set_images([], [])
        self.task_note.setText("Shown when the run finishes: prediction beside truth, the "
                               "worst test samples first.")
        self.boundary_image.clear()
        if self.boundary_points is not None:
            self.boundary_plot.removeItem(self.boundary_points)
            self.boundary_points = None
        self.has_boundary = False

    def prepare(self, dataset) -> None:
        """Offer only the views that fit the data: classes, a regression, a 2-D plane."""
        typed = any(t.kind not in ("class", "vector") for t in dataset.targets)
        classes = dataset.task == "classification" and not typed
        plane = classes and tuple(dataset.sample_shape) == (2,)
        for page, shown in ((self.summary, classes), (self.mistakes_page, classes),
                            (self.scatter, not classes and not typed),
                            (self.boundary_plot, plane), (self.task_page, typed)):
            self.views.setTabVisible(self.views.indexOf(page), shown)
        self.views.setCurrentWidget(self.task_page if typed else self.boundary_plot if plane
                                    else self.summary if classes else self.scatter)
        self.features.set_dataset(dataset)

    def follow(self, workspace) -> None:
        """Show the workspace's shown run (told again when a run ends); while a job trains,
        say so and show nothing of an older run: the views fill as the live run's events
        come (on the running job's dataset), published by the workspace.
        Shows what the workspace holds now at once (a tab built late misses nothing)."""
        def on_data(show):  # show(event, the running job's dataset)
            return lambda ev: workspace.job is not None and show(ev, workspace.job.dataset)

        workspace.on_events({Started: on_data(lambda ev, ds: self.prepare(ds)),
                             Evaluated: on_data(self.evaluated),
                             BoundaryUpdated: on_data(self.boundary),
                             Predictions: on_data(self.predictions),
                             ClosedForm: on_data(lambda ev, _ds: self.closed_form(ev.rows)),
                             TaskSamples: on_data(self.task_samples)})
        workspace.subscribe("shown", self.set_run)
        workspace.subscribe("job", lambda job: job is not None and self._training(job.label))
        if workspace.job is not None:
            self._training(workspace.job.label)
        else:
            self.set_run(workspace.shown)

    def _training(self, label: str) -> None:
        self.set_run(None)
        self.source.setText(f"{label} is training…")

    def set_run(self, run) -> None:
        """Say which run the views show: 'run 2, epoch 19, val acc 0.95 · stopped at epoch
        19/60'; None clears every view (another project, or no usable run)."""
        self.features.set_model(run.model() if run is not None and run.usable else None)
        if run is None:
            self.run_started()
            self.source.setText("")
            self.metrics.setText(NO_RUN)
            return
        self.source.setText(f"<b>{run.label}</b> · {run.state}")
        if run.test_metrics:
            self._metrics_text(run.test_metrics)
        elif self.metrics.text() == NO_RUN:
            self.metrics.setText("Not evaluated on the test split.")

    # ---- payloads ---------------------------------------------------------------------
    def _metrics_text(self, metrics: dict) -> None:
        parts = [f"<b>{k.replace('_', ' ')}</b> {v:.4g}" for k, v in metrics.items()
                 if v is not None]
        self.metrics.setText(f"Test split: {' · '.join(parts)}")

    def evaluated(self, ev, dataset) -> None:
        self._metrics_text(ev.metrics)
        if ev.confusion:
            names = dataset.class_names if dataset is not None else []
            self._confusion(np.asarray(ev.confusion, dtype=np.int64), names)
            self._per_class(ev.per_class_accuracy or [], names)
            if not self.has_boundary:
                self.views.setCurrentWidget(self.summary)

    def _confusion(self, matrix: np.ndarray, names: list[str]) -> None:
        plot = self.confusion_plot
        plot.clear()
        k = matrix.shape[0]
        rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        image = pg.ImageItem(rows.astype(np.float32), axisOrder="row-major")
        image.setColorMap(pg.colormap.get("viridis"))
        image.setLevels((0.0, 1.0))
        image.setRect(QRectF(-0.5, -0.5, k, k))
        plot.addItem(image)
        if k <= MAX_LABELLED_CLASSES:
            for t in range(k):
                for p in range(k):
                    dark = rows[t, p] > 0.5
                    text = pg.TextItem(str(matrix[t, p]), anchor=(0.5, 0.5),
                                       color="#000000" if dark else "#ffffff")
                    text.setPos(p, t)
                    plot.addItem(text)
        ticks = [[(i, names[i] if i < len(names) else str(i)) for i in range(k)]]
        plot.getAxis("bottom").setTicks(ticks)
        plot.getAxis("left").setTicks(ticks)
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.setRange(xRange=(-0.5, k - 0.5), yRange=(-0.5, k - 0.5), padding=0.02)

    def _per_class(self, accuracy: list[float], names: list[str]) -> None:
        plot = self.per_class_plot
        plot.clear()
        x = np.arange(len(accuracy))
        plot.addItem(pg.BarGraphItem(x=x, height=accuracy, width=0.7, brush=colour(0)))
        plot.getAxis("bottom").setTicks(
            [[(i, names[i] if i < len(names) else str(i)) for i in x]])
        plot.setYRange(0.0, 1.0)

    def predictions(self, ev, dataset) -> None:
        if dataset is None:
            return
        y = dataset.test.y.numpy()
        if dataset.task == "classification":
            self._mistakes(ev.outputs, y, dataset)
        else:
            self._regression(ev.outputs.reshape(len(y), -1)[:, 0], y.reshape(len(y), -1)[:, 0])

    def _mistakes(self, probs: np.ndarray, y: np.ndarray, dataset) -> None:
        predicted = probs.argmax(axis=1)
        wrong = np.flatnonzero(predicted != y)
        confidence = probs[wrong, predicted[wrong]]
        order = wrong[np.argsort(-confidence)]
        names = dataset.class_names or [str(i) for i in range(probs.shape[1])]
        self.mistakes_note.setText(
            f"{len(wrong)} of {len(y)} test samples misclassified"
            + (", most confident first (true → predicted, confidence)." if len(wrong) else "."))
        if not dataset.is_image or not len(order):
            self.mistakes.set_images([], [])
            return
        shown = order[:MISTAKES_SHOWN]
        images = to_display(dataset.test.x.numpy()[shown], dataset.mean, dataset.std)
        captions = [f"{names[y[i]]} → {names[predicted[i]]}\n{probs[i, predicted[i]]:.0%}"
                    for i in shown]
        self.mistakes.set_images(images, captions)

    def task_samples(self, ev, _dataset=None) -> None:
        """Segmentation, localisation, flow, image to image: the worst test samples."""
        self.task_note.setText(ev.note)
        self.task_grid.set_images(ev.images, ev.captions)
        self.views.setCurrentWidget(self.task_page)

    def closed_form(self, rows: list[tuple]) -> None:
        """Linear regression: the learned w, b beside the optimum w* = (XᵀX)⁻¹XᵀY."""
        cells = "".join(f"<tr><td><b>{name}</b></td><td align=right>{trained:.6f}</td>"
                        f"<td align=right>{best:.6f}</td><td align=right>{diff:.2e}</td></tr>"
                        for name, trained, best, diff in rows)
        self.closed_form_table.setText(
            "Learned weights beside the least-squares optimum w* = (XᵀX)⁻¹XᵀY:"
            "<table cellspacing=0 cellpadding=3><tr><th></th><th>learned</th>"
            f"<th>closed form</th><th>difference</th></tr>{cells}</table>")
        self.closed_form_table.show()

    def _regression(self, predicted: np.ndarray, true: np.ndarray) -> None:
        plot = self.scatter.getPlotItem()
        plot.clear()
        lo, hi = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
        _bg, fg = palette_colours(self)
        plot.plot([lo, hi], [lo, hi], pen=pg.mkPen(fg, style=Qt.PenStyle.DashLine))
        plot.addItem(pg.ScatterPlotItem(true, predicted, size=5, pen=None, brush=colour(0)))
        self.mistakes_note.setText("Regression: see Predicted vs true.")
        self.views.setCurrentWidget(self.scatter)

    def boundary(self, ev, dataset) -> None:
        """Tint each grid point with its predicted class, stronger where the model is sure."""
        bg, _fg = palette_colours(self)
        self.boundary_image.setImage(class_tint(ev.probs, bg), autoLevels=False, levels=(0, 255))
        x0, x1, y0, y1 = ev.extent
        self.boundary_image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if self.boundary_points is None and dataset is not None:
            x, y = dataset.train.x.numpy(), dataset.train.y.numpy()
            brushes = [pg.mkBrush(colour(int(c))) for c in y]
            self.boundary_points = pg.ScatterPlotItem(x[:, 0], x[:, 1], size=5, brush=brushes,
                                                      pen=pg.mkPen(bg, width=0.5))
            self.boundary_plot.addItem(self.boundary_points)
        if not self.has_boundary:
            self.has_boundary = True
            self.views.setCurrentWidget(self.boundary_plot)
