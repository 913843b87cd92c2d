"""Every error of the current analysis and every lint finding; double-click to go to the
node, right-click a row for its quick fixes."""

from __future__ import annotations

from netcanvas.app.icons import theme_icon
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

NODE_ROLE = Qt.UserRole + 1
ICONS = {"error": "dialog-error", "warning": "dialog-warning", "info": "dialog-information"}


class _Wrapped(QStyledItemDelegate):
    """Rows as tall as their text wrapped at its column's width (a tree view asks its
    delegate for a row's height without saying how wide the column is)."""

    def sizeHint(self, option, index):
        width = self.parent().header().sectionSize(index.column())
        option.rect = QRect(0, 0, width, max(option.rect.height(), 1))
        return super().sizeHint(option, index)


class ProblemsPanel(QTreeWidget):
    node_activated = Signal(str)  # node id
    count_changed = Signal(int, int)  # errors, other rows (warnings and lint infos)
    fixes_requested = Signal(str, QPoint)  # node id, global position: offer its quick fixes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["Node", "Problem", "Rule"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        # A problem is read whole: its column takes the width left and its rows wrap (the
        # rows grow as tall as their text), where a cut row read "remov…".
        self.setWordWrap(True)
        self.setItemDelegate(_Wrapped(self))
        self.setTextElideMode(Qt.ElideNone)
        header = self.header()
        header.setStretchLastSection(False)
        self.setColumnWidth(0, 160)  # a long name is cut here, but whole in its problem
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(self._rewrap)
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
            item.setToolTip(0, item.text(0))
            item.setToolTip(1, tip)
            item.setToolTip(2, tip)
            item.setData(0, NODE_ROLE, node_id)
        if not rows:
            done = QTreeWidgetItem(self, ["", "No problems: every shape checks out."])
            done.setFlags(Qt.ItemIsEnabled)
        self.count_changed.emit(errors, warnings)

    def _rewrap(self, column: int, _old: int, _new: int) -> None:
        if column == 1:  # the rows' heights follow the problem column's new width
            self.scheduleDelayedItemsLayout()

    def _activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        node_id = item.data(0, NODE_ROLE) if item is not None else None
        if node_id:
            self.fixes_requested.emit(node_id, self.viewport().mapToGlobal(pos))
