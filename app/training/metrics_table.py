"""Runs' final metrics side by side (test metrics, the last epoch's validation and training
ones, epochs): the Experiments tab's selected runs and the run diff view."""

from __future__ import annotations

from netcanvas.backend.graph.diff import metrics_table
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem


class MetricsTable(QTableWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(0, 1, parent)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.show_runs([])

    def show_runs(self, runs) -> None:
        rows = metrics_table(runs) if runs else []
        self.setColumnCount(1 + len(runs))
        self.setHorizontalHeaderLabels(["metric", *(f"run {r.number}" for r in runs)])
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)

    def values(self) -> dict[str, tuple[str, ...]]:
        """metric -> the runs' values as shown (for tests)."""
        return {self.item(r, 0).text(): tuple(self.item(r, c).text()
                                              for c in range(1, self.columnCount()))
                for r in range(self.rowCount())}
