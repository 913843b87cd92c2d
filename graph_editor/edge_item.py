"""Edges: smooth cubic curves from an output port to an input port, labelled with the
tensor shape they carry (batch implied). Also the live wire that follows the mouse."""

from __future__ import annotations

from netcanvas.backend.graph import Edge
from netcanvas.graph_editor.hover_item import HoverItem
from netcanvas.graph_editor.node_item import FADE_LOD, NEAR_LOD
from netcanvas.graph_editor.overlay import reading_colours
from netcanvas.graph_editor.routing import CardIndex, curve, route
from netcanvas.graph_editor.style import Style, format_shape, mix, text_size
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

LABEL_RESERVE = 120.0  # width kept free for a shape label in the item's bounds


class EdgeItem(HoverItem):
    def __init__(self, edge: Edge, src_port, dst_port, style: Style,
                 cards: CardIndex | None = None) -> None:
        super().__init__()
        self.edge = edge
        self.src_port = src_port
        self.dst_port = dst_port
        self.cards = cards
        self.theme = style
        self.label = ""
        self._label_rect = QRectF()
        self.reading: tuple[str, str] | None = None  # (value, gradient) text: overlay.py
        self.tint = None  # a QColor from the overlay, or None
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setZValue(-1)
        self.update_path()

    def set_shape(self, shape) -> None:
        """Relabel. The bounds reserve a label-sized box above the midpoint, so relabelling
        (every re-analysis) is a repaint, not a geometry change re-indexing many items."""
        label = "" if shape is None else format_shape(tuple(shape))
        if label == self.label:
            return
        self.label = label
        self._label_rect = self._label_box()
        if self._bounds.contains(self._label_rect):
            self.update()
        else:
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(self._label_rect)

    def set_style(self, style: Style) -> None:
        self.theme = style
        self.update()

    def set_reading(self, reading: tuple[str, str] | None, tint=None) -> None:
        """Overlay text (value above the wire, gradient below) and wire colour; None clears."""
        if (reading, tint) != (self.reading, self.tint):
            self.reading, self.tint = reading, tint
            self.update()

    def update_path(self) -> None:
        """Follow the ports (after a node moved), steering clear of cards in the way."""
        p0, p1 = self.src_port.anchor(), self.dst_port.anchor()
        ends = (self.src_port.node_id, self.dst_port.node_id)
        path = curve(p0, p1) if self.cards is None else route(p0, p1, self.cards, ends)
        self.prepareGeometryChange()
        self.path = path
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        self._hit = stroker.createStroke(path)
        self._mid = path.pointAtPercent(0.5)
        self._label_rect = self._label_box()
        reserve = QRectF(self._mid.x() - LABEL_RESERVE / 2, self._mid.y() - 24,
                         LABEL_RESERVE, 48)
        self._bounds = self._hit.boundingRect().united(reserve).united(self._label_rect)

    def _label_box(self) -> QRectF:
        """Where the label goes: above the wire's midpoint, else below it, else nowhere
        (a wire too short to hold it between its two cards; the cards show the shape)."""
        if not self.label:
            return QRectF()
        w, h = text_size(self.label, self.theme.edge_font)
        ends = [self._card(p.node_item) for p in (self.src_port, self.dst_port)]
        for top in (self._mid.y() - h - 4, self._mid.y() + 3):
            box = QRectF(self._mid.x() - w / 2 - 3, top, w + 6, h + 1)
            # The pill's padding may tuck under a card edge; the text itself may not.
            if not any(box.adjusted(3, 0, -3, 0).intersects(card) for card in ends):
                return box
        return QRectF()

    def _card(self, node_item) -> QRectF:
        rect = self.cards.rect(node_item.node_id) if self.cards is not None else None
        return rect if rect is not None else node_item.mapRectToScene(node_item.card_rect())

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hit

    def paint(self, painter, option, widget=None) -> None:
        s = self.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        selected = self.isSelected()
        colour = s.selection if selected else mix(s.edge, s.selection, 0.6) if self.hovered \
            else self.tint or s.edge
        pen = QPen(colour, 3.0 if selected else 2.4 if self.hovered or self.tint else 1.8)
        if lod < 0.6:
            pen.setWidthF(pen.widthF() * 0.6 / lod)  # stays visible zoomed out
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path)
        if self.reading is not None and lod >= NEAR_LOD:
            self._paint_reading(painter)
        elif not self._label_rect.isEmpty() and lod >= NEAR_LOD:  # readable: 6+ px
            painter.setOpacity(min(1.0, 0.35 + (lod - NEAR_LOD) / FADE_LOD))
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.canvas)
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setPen(s.selection if selected else s.muted)
            painter.setFont(s.edge_font)
            painter.drawText(self._label_rect, Qt.AlignCenter, self.label)
            painter.setOpacity(1.0)


    def _paint_reading(self, painter) -> None:
        s = self.theme
        painter.setFont(s.edge_font)
        for text, colour, top in zip(self.reading, reading_colours(s), (-17.0, 3.0)):
            w, h = text_size(text, s.edge_font)
            box = QRectF(self._mid.x() - w / 2 - 3, self._mid.y() + top, w + 6, h + 1)
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.canvas)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(colour)
            painter.drawText(box, Qt.AlignCenter, text)


class WireItem(QGraphicsItem):
    """The live wire drawn while the user drags from a port."""

    def __init__(self, anchor: QPointF, from_output: bool, style: Style) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.theme = style
        self.valid = False
        self.path = QPainterPath()
        self.setZValue(10)
        self.follow(anchor)

    def follow(self, pos: QPointF, valid: bool = False) -> None:
        self.prepareGeometryChange()
        self.valid = valid
        a, b = (self.anchor, pos) if self.from_output else (pos, self.anchor)
        self.path = curve(a, b)

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect().adjusted(-4, -4, 4, 4)

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        pen = QPen(self.theme.ok_port if self.valid else self.theme.selection, 2.2)
        pen.setCosmetic(True)
        if not self.valid:
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.drawPath(self.path)
