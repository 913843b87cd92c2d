"""The "Find learning rate…" dialog of the Settings tab: the LR range test
(backend/training/lr_find.py) on a snapshot of the project, run in a thread; smoothed loss
against the learning rate on a log axis, the suggestion marked, and "Use" applies it as one
undoable settings edit through the document."""

from __future__ import annotations

import math

import pyqtgraph as pg
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.app.workers import Worker, error_line
from netcanvas.backend.graph import SetSetting
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def range_test(project, dataset, steps: int, cancelled):
    """The LR range test on `project` (a detached copy): lrs, smoothed losses, suggestion."""
    from netcanvas.backend.training.lr_find import lr_range_test

    f = lr_range_test(project, dataset, device=project.training.device, steps=steps,
                      cancel=cancelled)
    return list(f.lrs), list(f.smoothed), f.suggestion


class LRFindDialog(QDialog):
    """Starts the test when shown; `finished_test` once it ends (found, failed or cancelled)."""

    finished_test = Signal()

    def __init__(self, document, dataset=None, parent: QWidget | None = None, *,
                 steps: int = 100) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find learning rate")
        self.document = document
        self.suggestion: float | None = None
        self.status = QLabel("Training a copy of the model while the learning rate rises…")
        self.status.setWordWrap(True)
        self.graph = pg.PlotWidget(background=palette_colours(self)[0])
        self.plot = self.graph.getPlotItem()
        style_plot(self.plot, self, "", "learning rate", "smoothed loss")
        self.plot.setLogMode(x=True)
        self.curve = self.plot.plot(pen=pg.mkPen(colour(0), width=2))
        self.marker = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen(colour(3), style=Qt.PenStyle.DashLine))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker)
        self.use_button = QPushButton("Use")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.cancel_button)
        column = QVBoxLayout(self)
        column.addWidget(self.status)
        column.addWidget(self.graph, 1)
        column.addLayout(buttons)
        self.resize(520, 380)
        worker = Worker(range_test, document.project.copy(), dataset, steps,
                        lambda: worker.cancelled, parent=self)
        worker.returned.connect(self._found)  # a bound slot: dropped if the dialog goes first
        worker.errored.connect(self._failed)
        worker.finished.connect(self._ended)
        self.thread = worker
        worker.start()

    def cancel(self) -> None:
        """Stop a running test (its partial curve stays); close once it has ended."""
        if self.thread is not None and self.thread.isRunning():
            self.thread.cancel()
            self.status.setText("Stopping…")
        else:
            self.reject()

    def _found(self, found: tuple[list, list, float | None]) -> None:
        lrs, smoothed, suggestion = found
        self.curve.setData(lrs, smoothed)
        self.suggestion = suggestion
        if suggestion is None:
            self.status.setText("The loss never fell over this range: no suggestion. "
                                "Check the data and the model.")
            return
        self.marker.setValue(math.log10(suggestion))
        self.marker.setVisible(True)
        current = self.document.project.training.lr
        self.status.setText(f"Suggested learning rate: {suggestion:.1e} (the smoothed loss's "
                            f"minimum over 10); the project has {current:g}.")
        self.use_button.setText(f"Use {suggestion:.1e}")
        self.use_button.setEnabled(True)

    def _failed(self, exc: Exception) -> None:
        from netcanvas.backend.data import DatasetError

        message = error_line(exc, (DatasetError, ValueError, RuntimeError)).splitlines()[0]
        self.status.setText(f"<b>The test failed:</b> {message}")

    def _ended(self) -> None:
        self.thread = None
        self.cancel_button.setText("Close")
        self.finished_test.emit()

    def use(self) -> None:
        """Apply the suggestion (rounded to two figures) as one undoable edit."""
        value = float(f"{self.suggestion:.2g}")
        reason = self.document.offer(SetSetting("training", "lr", value))
        if reason:
            self.status.setText(reason)
        else:
            self.accept()

    def done(self, result: int) -> None:
        if self.thread is not None:
            self.thread.cancel()
            self.thread.wait(10_000)
        super().done(result)


def install_button(form, dataset_for) -> QPushButton:
    """Put a "Find learning rate…" button beside the settings form's learning rate;
    `dataset_for(project)` gives an already-loaded dataset for the project, or None."""
    layout = form.forms["lr"]
    row, _ = layout.getWidgetPosition(form.widgets["lr"])
    taken = layout.takeRow(row)
    field = QWidget()
    line = QHBoxLayout(field)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(form.widgets["lr"], 1)
    button = QPushButton("Find learning rate…")
    button.setToolTip("The LR range test: train a copy of the model for a few steps while the "
                      "learning rate rises, and suggest a rate.")
    line.addWidget(button)
    layout.insertRow(row, taken.labelItem.widget(), field)

    def open_dialog() -> None:
        project = form.document.project
        dialog = LRFindDialog(form.document, dataset_for(project), form)
        dialog.setModal(True)
        dialog.finished.connect(dialog.deleteLater)
        form.lr_dialog = dialog
        dialog.show()

    button.clicked.connect(open_dialog)
    return button
