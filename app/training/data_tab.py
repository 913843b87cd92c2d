"""The Data tab: choose a dataset, set its options, load it off the GUI thread and preview it."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyqtgraph as pg
from netcanvas.backend.catalogue import DATASETS
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.shapes import format_shape
from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..settings import last_folder, remember_folder
from .colours import colour, palette_colours, style_plot
from .image_grid import ImageGridWidget, to_display

KIND_TITLES = {"builtin": "Built-in", "download": "Download", "user": "Your data"}
PREVIEW_COUNT = 32


def config_key(config: DatasetConfig) -> str:
    """Equal keys mean the same data: a loaded dataset is reused for training."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)


class DatasetLoadThread(QThread):
    progress = Signal(int, int, str)
    loaded = Signal(object)  # Dataset
    failed = Signal(str)

    def __init__(self, config: DatasetConfig, parent=None) -> None:
        super().__init__(parent)
        self.config = dataclasses.replace(config, options=dict(config.options))
        self.cancelled = False

    def run(self) -> None:
        from netcanvas.backend.data import DatasetError, load_dataset

        try:
            dataset = load_dataset(self.config, progress=self.progress.emit,
                                   cancel=lambda: self.cancelled)
        except DatasetError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - a loader bug must not take the app down
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.loaded.emit(dataset)


class DataTab(QWidget):
    """Edits the project's DatasetConfig in place; `changed()` after every user edit."""

    changed = Signal()
    dataset_loaded = Signal(object)

    def __init__(self, config: DatasetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = None
        self.loaded_key: str | None = None
        self._thread: DatasetLoadThread | None = None
        self._loading = False

        self.catalogue = DATASETS  # plain data: the list is complete at once, no torch import
        self.combo = QComboBox()
        self.combo.currentIndexChanged.connect(self._dataset_chosen)
        self.doc = QLabel(wordWrap=True)
        self.path = QLineEdit(placeholderText="folder or file")
        self.path.editingFinished.connect(self._edited)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.path_row = QWidget()
        row = QHBoxLayout(self.path_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)

        self.option_widgets: dict[str, QWidget] = {}
        self.val_fraction = _fraction_box()
        self.test_fraction = _fraction_box()
        self.normalize = QCheckBox("Normalise (training split mean/std)")
        self.crop = QSpinBox(minimum=0, maximum=16, toolTip="Random crop after this much zero "
                             "padding (images only; 0 = off)")
        self.flip = QCheckBox("Random horizontal flip (images only)")
        for w in (self.val_fraction, self.test_fraction, self.crop):
            w.valueChanged.connect(self._edited)
        for w in (self.normalize, self.flip):
            w.toggled.connect(self._edited)

        form = QFormLayout()
        form.addRow("Dataset", self.combo)
        form.addRow("", self.doc)
        form.addRow("Path", self.path_row)  # the dataset's own options go below this row
        form.addRow("Validation fraction", self.val_fraction)
        form.addRow("Test fraction", self.test_fraction)
        form.addRow("", self.normalize)
        form.addRow("Crop padding", self.crop)
        form.addRow("", self.flip)
        self.form = form

        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(self.load)
        self.progress = QProgressBar(visible=False)
        self.cancel_button = QPushButton("Cancel", visible=False)
        self.cancel_button.clicked.connect(self.cancel_load)
        actions = QHBoxLayout()
        actions.addWidget(self.load_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        self.summary = QLabel(wordWrap=True)

        self.grid = ImageGridWidget(columns=8, size=48)
        self.scatter = pg.PlotWidget()
        self.preview = QStackedWidget()
        self.preview.addWidget(QLabel("Load the dataset to see samples."))
        self.preview.addWidget(self.grid)
        self.preview.addWidget(self.scatter)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addLayout(actions)
        column.addWidget(self.summary)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(left)
        scroll.setMinimumWidth(380)
        scroll.setMaximumWidth(480)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(self.preview, 1)

        self._reload_timer = QTimer(self, singleShot=True, interval=300)
        self._reload_timer.timeout.connect(self._auto_load)
        self._fill_list()
        self.set_config(config)

    def _fill_list(self) -> None:
        self._loading = True
        for kind, title in KIND_TITLES.items():
            if self.combo.count():
                self.combo.insertSeparator(self.combo.count())
            for info in self.catalogue.values():
                if info.kind == kind:
                    self.combo.addItem(f"{info.title}  ({title.lower()})", info.name)
        self._loading = False

    # ---- config <-> widgets ---------------------------------------------------------
    def set_config(self, config: DatasetConfig) -> None:
        self.config = config
        self._loading = True
        try:
            if self.combo.findData(config.name) < 0:
                self.combo.addItem(config.name, config.name)
            self.combo.setCurrentIndex(self.combo.findData(config.name))
            self.path.setText(config.path or "")
            self.val_fraction.setValue(config.val_fraction)
            self.test_fraction.setValue(config.test_fraction)
            self.normalize.setChecked(config.normalize)
            self.crop.setValue(config.augment_crop_padding)
            self.flip.setChecked(config.augment_flip)
            self._build_options()
        finally:
            self._loading = False
        self._auto_load_soon()
        self._refresh_preview()

    def _build_options(self) -> None:
        for widget in self.option_widgets.values():
            self.form.removeRow(widget)
        self.option_widgets.clear()
        info = self.catalogue.get(self.config.name)
        self.doc.setText(info.doc if info else "")
        self.form.setRowVisible(self.path_row, bool(info and info.kind == "user"))
        self.load_button.setText("Download and load" if info and info.kind == "download"
                                 else "Load")
        for name, default in (info.options if info else {}).items():
            value = self.config.options.get(name, default)
            widget = _option_widget(default, value)
            _connect(widget, self._edited)
            self.option_widgets[name] = widget
            row = self.form.getWidgetPosition(self.path_row)[0] + len(self.option_widgets)
            self.form.insertRow(row, name.replace("_", " ").capitalize(), widget)

    def _dataset_chosen(self) -> None:
        if self._loading:
            return
        self.config.name = self.combo.currentData()
        self.config.options = {}
        self._loading = True
        self._build_options()
        self._loading = False
        self._edited(force=True)

    def _edited(self, *_args, force: bool = False) -> None:
        if self._loading:
            return
        c = self.config
        before = config_key(c)
        c.path = self.path.text().strip() or None
        c.val_fraction = self.val_fraction.value()
        c.test_fraction = self.test_fraction.value()
        c.normalize = self.normalize.isChecked()
        c.augment_crop_padding = self.crop.value()
        c.augment_flip = self.flip.isChecked()
        info = self.catalogue.get(c.name)
        defaults = info.options if info else {}
        options = {name: _option_value(w, defaults.get(name))
                   for name, w in self.option_widgets.items()}
        kept = {k: v for k, v in c.options.items() if k not in defaults}  # e.g. base_url
        c.options = kept | {k: v for k, v in options.items() if v != defaults.get(k)}
        if config_key(c) == before and not force:
            return  # e.g. a line edit losing focus unchanged
        self.changed.emit()
        reloading = self._auto_load_soon()
        if force or not reloading:  # another dataset, or one not loaded: no stale picture
            self._refresh_preview()

    def _browse(self) -> None:
        start = str(last_folder())
        if self.config.name == "folder":
            path = QFileDialog.getExistingDirectory(self, "Image folder (one subfolder per class)",
                                                    start)
        else:
            pattern = "CSV files (*.csv)" if self.config.name == "csv" else "NumPy (*.npz)"
            path, _ = QFileDialog.getOpenFileName(self, "Dataset file", start, pattern)
        if path:
            remember_folder(path)
            self.path.setText(path)
            self._edited()

    # ---- loading ------------------------------------------------------------------
    def _auto_load_soon(self) -> bool:
        """Reload shortly if this data needs no download; whether it will."""
        info = self.catalogue.get(self.config.name)
        if info and (info.kind == "builtin" or (info.kind == "user" and self.config.path)):
            self._reload_timer.start()
            return True
        return False

    def _auto_load(self) -> None:
        if self.loaded_key == config_key(self.config):
            return  # this very data is loaded already
        if self.isVisible() or self.dataset is not None:
            self.load()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.dataset is None and self._thread is None:
            self._auto_load_soon()

    def load(self) -> None:
        """Load (downloading if needed) the configured dataset in a thread."""
        if self._thread is not None:
            self._thread.cancelled = True
        thread = DatasetLoadThread(self.config, self)
        thread.progress.connect(self._progress)
        thread.loaded.connect(lambda ds, t=thread: self._loaded(t, ds))
        thread.failed.connect(lambda msg, t=thread: self._failed(t, msg))
        thread.finished.connect(thread.deleteLater)
        self._thread = thread
        self.progress.setRange(0, 0)
        self.progress.setFormat("loading…")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        thread.start()

    def cancel_load(self) -> None:
        if self._thread is not None:
            self._thread.cancelled = True

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        self.progress.setFormat(f"{message}  %p%" if total > 0 else message)

    def _finish(self, thread) -> bool:
        if thread is not self._thread:
            return False  # a superseded load
        self._thread = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        return True

    def _failed(self, thread, message: str) -> None:
        if self._finish(thread):
            self.summary.setText(f"<b>Could not load the data:</b> {message}")

    def _loaded(self, thread, dataset) -> None:
        if not self._finish(thread):
            return
        self.dataset = dataset
        self.loaded_key = config_key(thread.config)
        for widget in (self.crop, self.flip):
            self.form.setRowVisible(widget, dataset.is_image)
        self._show(dataset)
        self.dataset_loaded.emit(dataset)

    def shutdown(self) -> None:
        if self._thread is not None:
            self._thread.cancelled = True
            self._thread.wait(2000)

    # ---- preview ------------------------------------------------------------------
    def _refresh_preview(self) -> None:
        """The preview and summary describe the chosen data only, if it is loaded."""
        if self.loaded_key == config_key(self.config):
            if self.preview.currentIndex() == 0:
                self._show(self.dataset)
            return
        self.summary.setText("")
        self.preview.setCurrentIndex(0)
        info = self.catalogue.get(self.config.name)
        self.preview.currentWidget().setText(
            "Choose the file or folder, then Load it to see samples."
            if info and info.kind == "user" and not self.config.path
            else "Load the dataset to see samples.")

    def _show(self, ds) -> None:
        shape = format_shape(ds.sample_shape)
        classes = (f"{ds.num_classes} classes: {', '.join(ds.class_names[:12])}"
                   + ("…" if len(ds.class_names) > 12 else "")) if ds.num_classes else \
            f"regression, target shape {ds.target_shape or '(scalar)'}"
        self.summary.setText(f"<b>{ds.name}</b>: train {len(ds.train)} · validation "
                             f"{len(ds.val)} · test {len(ds.test)} samples; each {shape}; "
                             f"{classes}")
        if ds.is_image:
            x = ds.train.x[:PREVIEW_COUNT]
            images = to_display(x, ds.mean, ds.std)
            labels = ds.train.y[:PREVIEW_COUNT].tolist()
            captions = [ds.class_names[i] if ds.class_names else str(i) for i in labels]
            self.grid.set_images(images, captions)
            self.preview.setCurrentWidget(self.grid)
        elif len(ds.sample_shape) == 1 and ds.sample_shape[0] <= 2:
            self._scatter(ds)
            self.preview.setCurrentWidget(self.scatter)
        else:
            self.preview.setCurrentIndex(0)
            self.preview.currentWidget().setText("No picture for this kind of data.")

    def _scatter(self, ds) -> None:
        plot = self.scatter.getPlotItem()
        plot.clear()
        bg, _fg = palette_colours(self)
        self.scatter.setBackground(bg)
        x = ds.train.x.numpy()
        y = ds.train.y.numpy()
        if ds.task == "classification" and x.shape[1] == 2:
            style_plot(plot, self, "Training samples", "x₁", "x₂")
            plot.addLegend(offset=(5, 5))
            for k in range(ds.num_classes or int(y.max()) + 1):
                sel = y == k
                plot.addItem(pg.ScatterPlotItem(x[sel, 0], x[sel, 1], size=5, pen=None,
                                                brush=colour(k), name=ds.class_names[k]))
        else:
            style_plot(plot, self, "Training samples", "x", "target")
            plot.addItem(pg.ScatterPlotItem(x[:, 0], np.asarray(y).reshape(len(y), -1)[:, 0],
                                            size=5, pen=None, brush=colour(0)))


def _fraction_box() -> QDoubleSpinBox:
    return QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)


def _option_widget(default, value) -> QWidget:
    if isinstance(default, bool):
        w = QCheckBox()
        w.setChecked(bool(value))
    elif isinstance(default, int):
        w = QSpinBox(minimum=0, maximum=10**7)
        w.setValue(int(value))
    elif isinstance(default, float):
        w = QDoubleSpinBox(minimum=0.0, maximum=1e6, decimals=3, singleStep=0.05)
        w.setValue(float(value))
    else:  # strings, and None meaning "automatic"
        w = QLineEdit("" if value is None else str(value), placeholderText="auto")
    return w


def _connect(widget: QWidget, slot) -> None:
    if isinstance(widget, QCheckBox):
        widget.toggled.connect(slot)
    elif isinstance(widget, QLineEdit):
        widget.editingFinished.connect(slot)
    else:
        widget.valueChanged.connect(slot)


def _option_value(widget: QWidget, default):
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QLineEdit):
        text = widget.text().strip()
        if not text:
            return None if default is None else default
        return int(text) if text.isdigit() else text
    return widget.value()
