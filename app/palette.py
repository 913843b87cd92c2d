"""The layer palette: every registered layer by category, filtered as you type."""

from __future__ import annotations

from dataclasses import replace

from netcanvas.app.icons import category_icon
from netcanvas.app.node_kinds import BLOCKS, node_kinds
from netcanvas.graph_editor import BLOCK_MIME, LAYER_MIME, NodeKind
from netcanvas.graph_editor.style import Style
from PySide6.QtCore import QMimeData, QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QDrag, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

TYPE_ROLE = Qt.UserRole + 1
BLOCK_ROLE = Qt.UserRole + 2  # a block's JSON payload (BLOCK_MIME)


def _drag_card(spec: NodeKind, ratio: float) -> QPixmap:
    """A small card in the category colour that follows the mouse while dragging."""
    style = Style.from_palette(QApplication.palette())
    font = QFont(style.name_font)
    width = QFontMetrics(font).horizontalAdvance(spec.title) + 44
    pix = QPixmap(int(width * ratio), int(30 * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setOpacity(0.9)
    painter.setPen(style.outline)
    painter.setBrush(style.header(spec.hue, spec.quiet))
    painter.drawRoundedRect(QRectF(0.5, 0.5, width - 1, 29), 6, 6)
    category_icon(spec.category).paint(painter, 6, 7, 16, 16)
    painter.setPen(style.text)
    painter.setFont(font)
    painter.drawText(QRectF(28, 0, width - 28, 30), Qt.AlignVCenter, spec.title)
    painter.end()
    return pix


class LayerTreeWidget(QTreeWidget):
    """Layers as draggable leaves under category headers; a drag carries the type_id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragOnly)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAnimated(True)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME, BLOCK_MIME]

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        type_id = item.data(0, TYPE_ROLE) if item is not None else None
        block = item.data(0, BLOCK_ROLE) if item is not None else None
        if not type_id and not block:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        kinds = node_kinds()
        kind = kinds[type_id] if type_id else replace(kinds.block, title=item.text(0))
        drag.setPixmap(_drag_card(kind, self.devicePixelRatioF()))
        drag.setHotSpot(QPoint(12, 12))
        drag.exec(Qt.CopyAction)

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        type_ids = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if type_ids:
            data.setData(LAYER_MIME, type_ids[0].encode("utf-8"))
            data.setText(type_ids[0])
        blocks = [i.data(0, BLOCK_ROLE) for i in items if i.data(0, BLOCK_ROLE)]
        if blocks and not type_ids:
            data.setData(BLOCK_MIME, blocks[0].encode("utf-8"))
        return data


class PalettePanel(QWidget):
    layer_activated = Signal(str)  # type_id: double-click or Enter adds it to the canvas
    block_activated = Signal(str)  # a block's BLOCK_MIME payload, likewise

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search layers…", clearButtonEnabled=True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first_visible)
        self.tree = LayerTreeWidget()
        self.tree.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._populate()

    def _populate(self) -> None:
        bold = QFont(self.tree.font())
        bold.setBold(True)
        categories: dict[str, list[NodeKind]] = {}
        for kind in node_kinds().values():
            categories.setdefault(kind.category, []).append(kind)
        for category, specs in categories.items():
            header = QTreeWidgetItem(self.tree, [category])
            header.setFont(0, bold)
            header.setIcon(0, category_icon(category))
            header.setFlags(Qt.ItemIsEnabled)
            for spec in specs:
                item = QTreeWidgetItem(header, [spec.title])
                item.setData(0, TYPE_ROLE, spec.type_id)
                item.setIcon(0, category_icon(category))
                item.setToolTip(0, f"<b>{spec.title}</b> <i>({spec.type_id})</i><br>{spec.doc}")
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.tree.expandAll()

    def set_blocks(self, entries: list[tuple[str, str, str]]) -> None:
        """The Blocks section: (title, tooltip, BLOCK_MIME payload) per block, the
        course's library then the user's own."""
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).text(0) == BLOCKS:
                self.tree.takeTopLevelItem(i)
                break
        if not entries:
            return
        bold = QFont(self.tree.font())
        bold.setBold(True)
        header = QTreeWidgetItem(self.tree, [BLOCKS])
        header.setFont(0, bold)
        header.setIcon(0, category_icon(BLOCKS))
        header.setFlags(Qt.ItemIsEnabled)
        for title, tip, payload in entries:
            item = QTreeWidgetItem(header, [title])
            item.setData(0, BLOCK_ROLE, payload)
            item.setIcon(0, category_icon(BLOCKS))
            item.setToolTip(0, tip)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        header.setExpanded(True)
        self.filter(self.search.text())

    def block_item(self, title: str) -> QTreeWidgetItem:
        return next(i for i in self._leaves() if i.data(0, BLOCK_ROLE) and i.text(0) == title)

    def restyle(self) -> None:
        """Redraw the category icons for the current (light or dark) palette."""
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            icon = category_icon(header.text(0))
            header.setIcon(0, icon)
            for j in range(header.childCount()):
                header.child(j).setIcon(0, icon)

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            shown = 0
            for j in range(header.childCount()):
                item = header.child(j)
                hit = (node_kinds()[item.data(0, TYPE_ROLE)].matches(words)
                       if item.data(0, TYPE_ROLE) else
                       all(w in f"{item.text(0)} block {item.toolTip(0)}".lower() for w in words))
                item.setHidden(not hit)
                shown += hit
            header.setHidden(shown == 0)
            if shown:
                header.setExpanded(True)

    def visible_type_ids(self) -> list[str]:
        return [item.data(0, TYPE_ROLE) for item in self._leaves() if not item.isHidden()
                and not item.parent().isHidden() and item.data(0, TYPE_ROLE)]

    def item_for(self, type_id: str) -> QTreeWidgetItem:
        return next(i for i in self._leaves() if i.data(0, TYPE_ROLE) == type_id)

    def _leaves(self):
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            for j in range(header.childCount()):
                yield header.child(j)

    def _activated(self, item: QTreeWidgetItem) -> None:
        type_id, block = item.data(0, TYPE_ROLE), item.data(0, BLOCK_ROLE)
        if type_id:
            self.layer_activated.emit(type_id)
        elif block:
            self.block_activated.emit(block)

    def _activate_first_visible(self) -> None:
        visible = self.visible_type_ids()
        if visible:
            self.layer_activated.emit(visible[0])
