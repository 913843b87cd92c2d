"""Every error of the current analysis and every lint finding; double-click to go to the
node, right-click a row for its quick fixes."""

from __future__ import annotations

from netcanvas.app.icons import theme_icon
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

NODE_ROLE = Qt.UserRole + 1
ICONS = {"error": "dialog-error", "warning": "dialog-warning", "info": "dialog-information"}


class ProblemsPanel(QTreeWidget):
    node_activated = Signal(str)  # node id
    count_changed = Signal(int, int)  # errors, other rows (warnings and lint infos)
    fixes_requested = Signal(str, QPoint)  # node id, global position: offer its quick fixes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["Node", "Problem", "Rule"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setColumnWidth(0, 160)
        self.setColumnWidth(1, 640)
        self.itemActivated.connect(self._activated)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

    def set_analysis(self, analysis, graph, findings=()) -> None:
        self.clear()
        errors = warnings = 0
        rows = [(p.node_id, p.severity, p.message, p.message, "") for p in analysis.problems]
        rows += [(f.node_id, f.severity, f.message, f"{f.message}.\n\nWhy: {f.why}", f.rule)
                 for f in findings]
        for node_id, severity, message, tip, rule in rows:
            node = graph.nodes.get(node_id) if node_id else None
            item = QTreeWidgetItem(self, [node.name if node else "(graph)", message, rule])
            errors += severity == "error"
            warnings += severity != "error"
            item.setIcon(0, theme_icon(ICONS[severity]))
            item.setToolTip(1, tip)
            item.setData(0, NODE_ROLE, node_id)
        if not rows:
            done = QTreeWidgetItem(self, ["", "No problems: every shape checks out."])
            done.setFlags(Qt.ItemIsEnabled)
        self.count_changed.emit(errors, warnings)

    def _activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        node_id = item.data(0, NODE_ROLE) if item is not None else None
        if node_id:
            self.fixes_requested.emit(node_id, self.viewport().mapToGlobal(pos))
