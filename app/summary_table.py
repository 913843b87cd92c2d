"""The summary table dock: one row per node (name, type, output shape, parameters, MACs,
activation memory at the project's batch size), sortable; click a row to go to its node;
copy it as Markdown or save it as CSV (backend/doctor/summary.py makes both)."""

from __future__ import annotations

from netcanvas.backend.doctor.summary import HEADERS, summary_rows, to_csv, to_markdown
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = (*HEADERS, "Receptive field")  # the last from app/receptive_lens.py
NODE_ROLE = Qt.UserRole + 1
SORT_ROLE = Qt.UserRole + 2


class _Cell(QTableWidgetItem):
    """Sorts by its SORT_ROLE value: a number, or the text in lower case."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(SORT_ROLE) < other.data(SORT_ROLE)


class SummaryTablePanel(QWidget):
    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = []
        self.document = None
        self.receptive = None  # a ReceptiveFields, for the last column
        self._stale = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        # graph order until the user sorts by a column (Qt would start at name, descending)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.cellClicked.connect(self._clicked)
        self.caption = QLabel(wordWrap=True)  # a long caption must not widen the window
        self.copy_button = QPushButton("Copy as Markdown")
        self.copy_button.clicked.connect(self.copy_markdown)
        self.save_button = QPushButton("Save CSV…")
        self.save_button.clicked.connect(self.save_csv_dialog)
        bar = QHBoxLayout()
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)

    def set_document(self, document) -> None:
        self.document = document
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Re-fill from the document; a hidden table only notes that it is out of date."""
        doc = self.document
        self._stale = not self.isVisible()
        if doc is None or self._stale:
            return
        batch = doc.project.training.batch_size
        self.rows = summary_rows(doc.project, batch, doc.analysis)
        sort_column = self.table.horizontalHeader().sortIndicatorSection()
        order = self.table.horizontalHeader().sortIndicatorOrder()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            numbers = {3: row.parameters, 4: row.macs, 5: row.activation_bytes}
            field = self.receptive.text(row.id) if self.receptive is not None else ""
            for c, text in enumerate((*row.cells(), field)):
                item = _Cell(text)
                item.setData(NODE_ROLE, row.id)
                item.setData(SORT_ROLE, numbers.get(c, text.lower()))
                if c in numbers:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if row.error:
                    item.setToolTip(row.error)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        if sort_column >= 0 and sort_column < len(COLUMNS):
            self.table.sortItems(sort_column, order)
        a = doc.analysis
        self.caption.setText(f"{len(self.rows)} nodes · {a.total_params:,} parameters · "
                             f"{a.total_macs:,} MACs per sample · activation memory at batch "
                             f"{batch}")

    def _clicked(self, row: int, _column: int) -> None:
        node_id = self.table.item(row, 0).data(NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)

    def copy_markdown(self) -> str:
        text = to_markdown(self.rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def save_csv(self, path: str) -> None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(to_csv(self.rows))

    def save_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the summary as CSV", "summary.csv",
                                              "CSV files (*.csv)")
        if path:
            try:
                self.save_csv(path)
            except OSError as exc:
                self.caption.setText(f"Could not save {path}: {exc.strerror}")
