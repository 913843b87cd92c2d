"""Every error and warning of the current analysis; double-click to go to the node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from .icons import theme_icon

NODE_ROLE = Qt.UserRole + 1


class ProblemsPanel(QTreeWidget):
    node_activated = Signal(str)  # node id
    count_changed = Signal(int, int)  # errors, warnings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Node", "Problem"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setColumnWidth(0, 160)
        self.itemActivated.connect(self._activated)

    def set_analysis(self, analysis, graph) -> None:
        self.clear()
        errors = warnings = 0
        for problem in analysis.problems:
            node = graph.nodes.get(problem.node_id) if problem.node_id else None
            item = QTreeWidgetItem(self, [node.name if node else "(graph)", problem.message])
            is_error = problem.severity == "error"
            errors += is_error
            warnings += not is_error
            item.setIcon(0, theme_icon("dialog-error" if is_error else "dialog-warning"))
            item.setToolTip(1, problem.message)
            item.setData(0, NODE_ROLE, problem.node_id)
        if not analysis.problems:
            done = QTreeWidgetItem(self, ["", "No problems: every shape checks out."])
            done.setFlags(Qt.ItemIsEnabled)
        self.count_changed.emit(errors, warnings)

    def _activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
