"""The Data tab: choose a dataset, set its options, load it off the GUI thread and preview it.

The rows are generated from the declarations in backend/settings.py (the dataset fields and
each dataset's own options); every edit is a SetSetting offered to the document, so it is one
undo step and a value outside its declaration is refused with the reason.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from netcanvas.app import param_editors as sw
from netcanvas.app.settings import last_folder, remember_folder
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.app.training.image_grid import ImageGridWidget, to_display
from netcanvas.app.workers import Worker, error_line
from netcanvas.backend.catalogue import DATASETS
from netcanvas.backend.graph import Compound, SetSetting
from netcanvas.backend.project import DatasetConfig, Project, config_key
from netcanvas.backend.settings import DATASET, DATASET_OPTIONS, option_defaults
from netcanvas.backend.shapes import format_shape
from netcanvas.graph_editor import EditDocument
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

KIND_TITLES = {"builtin": "Built-in", "download": "Download", "user": "Your data"}
PREVIEW_COUNT = 32
AUGMENTED_COUNT = 16


def _drawn_targets(ds) -> bool:
    """Whether the preview draws the samples' targets on them (masks, boxes, flow, images)."""
    return any(t.kind not in ("class", "vector") for t in ds.targets)


class DataTab(QWidget):
    """Shows the document's DatasetConfig and offers each user edit to the document;
    `changed()` after every change (an edit, its undo or redo). Given a bare config, it edits
    that config through a document of its own."""

    changed = Signal()
    dataset_loaded = Signal(object)

    def __init__(self, config: DatasetConfig | None = None, parent: QWidget | None = None,
                 document: EditDocument | None = None) -> None:
        super().__init__(parent)
        self.dataset = None
        self.loaded_key: str | None = None
        self._thread: Worker | None = None
        self.document: EditDocument | None = None

        self.catalogue = DATASETS  # plain data: the list is complete at once, no torch import
        self.combo = QComboBox()
        self.combo.currentIndexChanged.connect(self._dataset_chosen)
        self.doc = QLabel(wordWrap=True)
        self.path = QLineEdit(placeholderText="folder or file")
        self.path.editingFinished.connect(lambda: self._offer("path", self.path.text().strip()
                                                              or None))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.path_row = QWidget()
        row = QHBoxLayout(self.path_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)

        form = QFormLayout()
        form.addRow("Dataset", self.combo)
        form.addRow("", self.doc)
        form.addRow("Path", self.path_row)  # the dataset's own options go below this row
        self.fields: dict[str, QWidget] = {}  # the other declared fields
        for param in DATASET[2:]:
            widget = sw.make_widget(param)
            sw.changed(widget, lambda *_a, n=param.name: self._offer(n, sw.value(self.fields[n])))
            self.fields[param.name] = widget
            if param.kind == "bool":
                widget.setText(sw.label(param))
            form.addRow("" if param.kind == "bool" else sw.label(param), widget)
        self.crop, self.flip = self.fields["augment_crop_padding"], self.fields["augment_flip"]
        self.augment_rows = [w for n, w in self.fields.items() if n.startswith("augment_")]
        self.option_widgets: dict[str, QWidget] = {}
        self.message = sw.RefusalLabel()
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
        self.augmented = ImageGridWidget(columns=8, size=48)  # one sample, augmented
        self.augmented_title = QLabel()
        self.samples = QWidget()  # the samples above, one of them augmented below
        stack = QVBoxLayout(self.samples)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.addWidget(self.grid, 2)
        stack.addWidget(self.augmented_title)
        stack.addWidget(self.augmented, 1)
        self.scatter: pg.PlotWidget | None = None  # made for the first 2-D data shown
        self.preview = QStackedWidget()
        self.preview.addWidget(QLabel("Load the dataset to see samples."))
        self.preview.addWidget(self.samples)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(self.message)
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
        self.set_document(document or EditDocument(Project(dataset=config or DatasetConfig()),
                                                   self))

    def _fill_list(self) -> None:
        self.combo.blockSignals(True)
        for kind, title in KIND_TITLES.items():
            if self.combo.count():
                self.combo.insertSeparator(self.combo.count())
            for info in self.catalogue.values():
                if info.kind == kind:
                    self.combo.addItem(f"{info.title}  ({title.lower()})", info.name)
        self.combo.blockSignals(False)

    # ---- config <-> widgets ---------------------------------------------------------
    @property
    def config(self) -> DatasetConfig:
        return self.document.project.dataset

    def set_document(self, document: EditDocument) -> None:
        """Show and edit another document's dataset (after open/new)."""
        if self.document is not None:
            self.document.project.setting_changed.disconnect(self._setting_changed)
        self.document = document
        document.project.setting_changed.connect(self._setting_changed)
        self.message.say("")
        self._show_config()
        self._auto_load_soon()
        self._refresh_preview()

    def _show_config(self) -> None:
        self._build_options()
        self._show_values()

    def _show_values(self) -> None:
        config = self.config
        sw.show(self.combo, config.name)
        self.path.setText(config.path or "")
        for name, widget in self.fields.items():
            sw.show(widget, getattr(config, name))
        for name, widget in self.option_widgets.items():
            sw.show(widget, config.options.get(name, widget.param.default))

    def _build_options(self) -> None:
        for widget in self.option_widgets.values():
            self.form.removeRow(widget)
        self.option_widgets.clear()
        info = self.catalogue.get(self.config.name)
        self.doc.setText(info.doc if info else "")
        self.form.setRowVisible(self.path_row, bool(info and info.kind == "user"))
        self.load_button.setText("Download and load" if info and info.kind == "download"
                                 else "Load")
        for param in DATASET_OPTIONS.get(self.config.name, ()) if info else ():
            widget = sw.make_widget(param)
            sw.changed(widget, self._option_edited)
            self.option_widgets[param.name] = widget
            row = self.form.getWidgetPosition(self.path_row)[0] + len(self.option_widgets)
            self.form.insertRow(row, sw.label(param), widget)

    def _dataset_chosen(self) -> None:
        name = self.combo.currentData()
        if name is not None and name != self.config.name:  # a new dataset starts from its own default options
            self._push(Compound([SetSetting("dataset", "options", {}),
                                 SetSetting("dataset", "name", name)], text="Choose dataset"))

    def _option_edited(self, *_args) -> None:
        defaults = option_defaults(self.config.name)
        options = {name: sw.value(w) for name, w in self.option_widgets.items()}
        options = {k: v for k, v in options.items() if v != defaults.get(k)}
        self._offer("options", options)

    def _offer(self, name: str, value) -> None:
        if getattr(self.config, name) != value:  # e.g. a line edit losing focus unchanged
            self._push(SetSetting("dataset", name, value))

    def _push(self, edit) -> None:
        reason = self.document.offer(edit)
        if reason:
            self._show_values()
        self.message.say(reason or "")

    def _setting_changed(self, section: str, name: str, value) -> None:
        if section != "dataset":
            return
        if name == "name":
            self._show_config()
        else:
            self._show_values()
        self.changed.emit()
        self._auto_load_soon()
        self._refresh_preview()  # the loaded data only if it is this data: no stale picture
        if name.startswith("augment_"):
            self._show_augmented()  # at once, before the reload

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
            self._offer("path", path)

    # ---- loading ------------------------------------------------------------------
    def _auto_load_soon(self) -> bool:
        """Reload shortly if this data needs no download; whether it will."""
        info = self.catalogue.get(self.config.name)
        if info and (info.kind == "builtin" or (info.kind == "user" and self.config.path)):
            self._reload_timer.start()
            return True
        return False

    def _auto_load(self) -> None:
        loading = self._thread is not None and config_key(self._thread.config)
        if config_key(self.config) in (self.loaded_key, loading):
            return  # this very data is loaded already, or is loading
        if self.isVisible() or self.dataset is not None:
            self.load()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.dataset is None and self._thread is None:
            self._auto_load_soon()

    def load(self) -> None:
        """Load (downloading if needed) the configured dataset in a thread."""
        if self._thread is not None:
            self._thread.cancel()
        config = dataclasses.replace(self.config, options=dict(self.config.options))
        thread = Worker("netcanvas.backend.data.preview:load_for_preview", config,
                        progress=lambda *p: thread.send(p), cancel=lambda: thread.cancelled,
                        parent=self, disposable=True)
        thread.config = config
        # Bound methods, not lambdas: Qt drops what a finished load queued for this tab
        # when the tab is deleted first (a lambda would run on the deleted widgets).
        thread.yielded.connect(self._progress)
        thread.returned.connect(self._loaded)
        thread.errored.connect(self._failed)
        thread.finished.connect(thread.deleteLater)
        self._thread = thread
        self.progress.setRange(0, 0)
        self.progress.setFormat("loading…")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        thread.start()

    def cancel_load(self) -> None:
        if self._thread is not None:
            self._thread.cancel()

    def _progress(self, sent: tuple[int, int, str]) -> None:
        done, total, message = sent
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

    def _failed(self, exc: Exception) -> None:
        from netcanvas.backend.data import DatasetError

        if self._finish(self.sender()):  # a loader bug must not take the app down: it is named
            self.summary.setText(f"<b>Could not load the data:</b> {error_line(exc, DatasetError)}")

    def _loaded(self, dataset) -> None:
        thread = self.sender()
        if not self._finish(thread):
            return
        self.dataset = dataset
        self.loaded_key = config_key(thread.config)
        for widget in self.augment_rows:
            self.form.setRowVisible(widget, dataset.is_image)
        self._show(dataset)
        self.dataset_loaded.emit(dataset)

    def shutdown(self) -> None:
        if self._thread is not None:
            self._thread.cancel()
            if not self._thread.abandoned:
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
        inputs = f"each {format_shape(ds.sample_shape)}" if len(ds.inputs) == 1 else \
            _named_inputs(ds)
        classes = (f"{ds.num_classes} classes: {', '.join(ds.class_names[:12])}"
                   + ("…" if len(ds.class_names) > 12 else "")) if ds.num_classes else \
            f"regression, target shape {ds.target_shape or '(scalar)'}"
        rate = ds.extra.get("pipeline_samples_per_sec")
        speed = f"; input pipeline {rate:,.0f} samples/s" if rate else ""
        self.summary.setText(f"<b>{ds.name}</b>: train {len(ds.train)} · validation "
                             f"{len(ds.val)} · test {len(ds.test)} samples; {inputs}; "
                             f"{classes}{speed}")
        pictures = None
        if _drawn_targets(ds):
            from netcanvas.backend.training.task_views import preview
            pictures = preview(ds, PREVIEW_COUNT)
            self.summary.setText(f"<b>{ds.name}</b>: train {len(ds.train)} · validation "
                                 f"{len(ds.val)} · test {len(ds.test)} samples; "
                                 + _named_inputs(ds)
                                 + "; targets " + ", ".join(
                                     f"{t.name} ({t.kind} {format_shape(t.shape)})"
                                     for t in ds.targets))
        if pictures is not None:
            self.grid.set_images(*pictures)
            self.preview.setCurrentWidget(self.samples)
            self._show_augmented()
        elif ds.is_image:
            from netcanvas.backend.data.preview import first_samples

            x, y = first_samples(ds.train, PREVIEW_COUNT)
            images = to_display(x, ds.mean, ds.std)
            captions = [ds.class_names[i] if ds.class_names else str(i) for i in y.tolist()]
            self.grid.set_images(images, captions)
            self.preview.setCurrentWidget(self.samples)
            self._show_augmented()
        elif len(ds.sample_shape) == 1 and ds.sample_shape[0] <= 2:
            self._scatter(ds)
            self.preview.setCurrentWidget(self.scatter)
        else:
            self.preview.setCurrentIndex(0)
            self.preview.currentWidget().setText("No picture for this kind of data.")

    def _show_augmented(self) -> None:
        """The first training image as the current augmentation settings change it."""
        ds = self.dataset
        if ds is None or not ds.is_image:
            return
        if _drawn_targets(ds):  # the samples carry their targets: no augmented copies here
            self.augmented.setVisible(False)
            self.augmented_title.setText("")
            return
        from netcanvas.backend.data.preview import augmented_copies

        copies = augmented_copies(ds, self.config, AUGMENTED_COUNT)
        self.augmented.setVisible(copies is not None)
        self.augmented_title.setText(
            "Augmented (training batches only): one sample, 16 draws" if copies is not None
            else "No augmentation: training sees the samples as above.")
        if copies is not None:
            self.augmented.set_images(to_display(copies, ds.mean, ds.std), [""] * len(copies))

    def _scatter(self, ds) -> None:
        if self.scatter is None:  # not on the path to the window's first frame
            self.scatter = pg.PlotWidget()
            self.preview.addWidget(self.scatter)
        plot = self.scatter.getPlotItem()
        plot.clear()
        bg, _fg = palette_colours(self)
        self.scatter.setBackground(bg)
        x = ds.train.x.numpy()
        y = ds.train.y.numpy()
        if ds.task == "classification" and x.shape[1] == 2:
            style_plot(plot, self, "Training samples", "x₁", "x₂")
            # one legend, kept: a second addLegend orphans the first (its Python side is
            # collected while Qt still holds the item, which crashes the window's deletion)
            legend = plot.legend or plot.addLegend(offset=(5, 5))
            legend.clear()
            for k in range(ds.num_classes or int(y.max()) + 1):
                sel = y == k
                plot.addItem(pg.ScatterPlotItem(x[sel, 0], x[sel, 1], size=5, pen=None,
                                                brush=colour(k), name=ds.class_names[k]))
        else:
            style_plot(plot, self, "Training samples", "x", "target")
            plot.addItem(pg.ScatterPlotItem(x[:, 0], np.asarray(y).reshape(len(y), -1)[:, 0],
                                            size=5, pen=None, brush=colour(0)))


def _named_inputs(ds) -> str:
    """Each input of an in-memory dataset with its shape: "inputs tokens 12, mask 12"."""
    return "inputs " + ", ".join(f"{n} {format_shape(tuple(x.shape[1:]))}"
                                 for n, x in zip(ds.inputs, ds.train.xs()))
