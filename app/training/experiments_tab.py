"""The Experiments tab: every run of the open project in a sortable table (its number, state,
key settings, best validation score, when it was last saved); the selected rows' validation
curves overlaid in a chart, each run in its own colour."""

from __future__ import annotations

import datetime
import math

import pyqtgraph as pg
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.app.training.metrics_table import MetricsTable
from netcanvas.backend.runs import RUN_JSON
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Run", "State", "Optimizer", "LR", "Batch", "Epochs", "Best val", "Saved")
# the validation score a run is judged by: the first of these its history has
SCORES = (("val_accuracy", "accuracy", max), ("val_r2", "R²", max), ("val_loss", "loss", min))


def score_key(run):
    """(history key, display name, better-of) of the run's validation score, or None."""
    first = run.history[0] if run.history else {}
    return next((s for s in SCORES if s[0] in first), None)


def best_score(run) -> float | None:
    key = score_key(run)
    if key is None:
        return None
    values = [h[key[0]] for h in run.history if math.isfinite(h.get(key[0], math.nan))]
    return key[2](values) if values else None


class _Item(QTableWidgetItem):
    """Sorts by the value it was given (numbers as numbers), shows `text`."""

    def __init__(self, text: str, key) -> None:
        super().__init__(text)
        self.setData(Qt.ItemDataRole.UserRole, key)

    def __lt__(self, other) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if mine is None or theirs is None:
            return theirs is not None  # blanks first
        return mine < theirs


def _saved(run) -> tuple[str, float]:
    try:
        stamp = (run.folder / RUN_JSON).stat().st_mtime
    except OSError:
        return "", 0.0
    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M"), stamp


def row_items(run) -> list[_Item]:
    s = run.project.training
    best, key = best_score(run), score_key(run)
    epoch = next((i + 1 for i, h in enumerate(run.history)
                  if key is not None and h.get(key[0]) == best), 0)
    best_text = f"val {key[1]} {best:.4g} (epoch {epoch})" if best is not None else ""
    saved, stamp = _saved(run)
    return [_Item(str(run.number), run.number), _Item(run.state, run.status),
            _Item(s.optimizer, s.optimizer), _Item(f"{s.lr:g}", s.lr),
            _Item(str(s.batch_size), s.batch_size),
            _Item(f"{run.epochs_done}/{s.epochs}", run.epochs_done),
            _Item(best_text, best), _Item(saved, stamp)]


class ExperimentsTab(QWidget):
    diff_requested = Signal(object, object)  # (earlier run, later run)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._draw)
        self.graph = pg.PlotWidget(background=palette_colours(self)[0])
        self.plot = self.graph.getPlotItem()
        style_plot(self.plot, self, "Validation (selected runs)", "epoch", "")
        self.plot.addLegend(offset=(-10, 10))
        self.curves: dict[int, pg.PlotDataItem] = {}  # run number -> its drawn curve
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.graph)
        self.metrics = MetricsTable()  # the selected runs' final metrics side by side
        split.addWidget(self.metrics)
        self.diff_button = QPushButton("Diff the two selected runs…")
        self.diff_button.setToolTip("The later run's graph with what changed marked, both "
                                    "runs' curves and final metrics side by side")
        self.diff_button.clicked.connect(self._diff)
        column = QVBoxLayout(self)
        column.addWidget(self.diff_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(split)

    def set_runs(self, runs) -> None:
        """Show these runs (the open project's); keeps the selection by run number."""
        chosen = {r.number for r in self.selected()}
        self.runs = list(runs)
        table = self.table
        table.blockSignals(True)
        table.setSortingEnabled(False)
        table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            for column, item in enumerate(row_items(run)):
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        table.clearSelection()
        for row in range(table.rowCount()):
            if int(table.item(row, 0).text()) in chosen:
                table.selectRow(row)
        table.blockSignals(False)
        self._draw()

    def selected(self) -> list:
        numbers = {int(self.table.item(i.row(), 0).text())
                   for i in self.table.selectionModel().selectedRows()}
        return [r for r in self.runs if r.number in numbers]

    def _diff(self) -> None:
        runs = sorted(self.selected(), key=lambda r: r.number)
        if len(runs) == 2:
            self.diff_requested.emit(*runs)

    def _draw(self) -> None:
        self.diff_button.setEnabled(len(self.selected()) == 2)
        self.metrics.show_runs(sorted(self.selected(), key=lambda r: r.number))
        self.plot.clear()
        self.curves = {}
        runs = self.selected()
        keys = {k[0]: k[1] for k in map(score_key, runs) if k is not None}
        self.plot.setLabel("left", " / ".join(dict.fromkeys(keys.values())) or "")
        for run in runs:
            key = score_key(run)
            if key is None:
                continue
            ys = [h.get(key[0], math.nan) for h in run.history]
            self.curves[run.number] = self.plot.plot(
                list(range(1, len(ys) + 1)), ys, name=f"run {run.number}",
                pen=pg.mkPen(colour(run.number - 1), width=2), symbol="o", symbolSize=5,
                symbolBrush=colour(run.number - 1))
