"""Edges: smooth cubic curves from an output port to an input port, labelled with the
tensor shape they carry (batch implied). Also the live wire that follows the mouse."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

from ..backend.graph import Edge
from .style import CARD_WIDTH, Style, format_shape


def curve(p0: QPointF, p1: QPointF) -> QPainterPath:
    """Horizontal-tangent cubic; loops outward when the target lies behind the source."""
    dx = max(40.0, abs(p1.x() - p0.x()) * 0.5)
    path = QPainterPath(p0)
    path.cubicTo(p0 + QPointF(dx, 0), p1 - QPointF(dx, 0), p1)
    return path


def lane_curve(p0: QPointF, p1: QPointF, lane: float) -> QPainterPath:
    """Leave p0, run along the horizontal `lane` past the cards in the way, arrive at p1."""
    bend = max(40.0, min(90.0, abs(p1.x() - p0.x()) / 4))
    a, b = QPointF(p0.x() + bend, lane), QPointF(p1.x() - bend, lane)
    path = QPainterPath(p0)
    path.cubicTo(p0 + QPointF(bend / 2, 0), a - QPointF(bend / 2, 0), a)
    path.lineTo(b)
    path.cubicTo(b + QPointF(bend / 2, 0), p1 - QPointF(bend / 2, 0), p1)
    return path


def is_long(p0: QPointF, p1: QPointF) -> bool:
    """Whether a card could sit between the ends (only then is routing worth a lookup)."""
    return p1.x() - p0.x() > CARD_WIDTH + 40 or p1.x() < p0.x()


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: Edge, src_port, dst_port, style: Style) -> None:
        super().__init__()
        self.edge = edge
        self.src_port = src_port
        self.dst_port = dst_port
        self.theme = style
        self.label = ""
        self._label_rect = QRectF()
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setZValue(-1)
        self.update_path()

    def set_shape(self, shape) -> None:
        label = "" if shape is None else format_shape(shape)
        if label != self.label:
            self.label = label
            self.update_path()

    def set_style(self, style: Style) -> None:
        self.theme = style
        self.update()

    def update_path(self) -> None:
        """Follow the ports (after a node moved) and re-place the label."""
        p0, p1 = self.src_port.anchor(), self.dst_port.anchor()
        path = curve(p0, p1)
        if self.scene() is not None and is_long(p0, p1):
            lane = self._free_lane(p0, p1, path)
            if lane is not None:
                path = lane_curve(p0, p1, lane)
        # Only now: querying the scene index between this call and the new bounds
        # would index the item with stale geometry.
        self.prepareGeometryChange()
        self.path = path
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        self._hit = stroker.createStroke(self.path)
        if self.label:
            fm = QFontMetricsF(self.theme.edge_font)
            w, h = fm.horizontalAdvance(self.label) + 8, fm.height() + 2
            mid = self.path.pointAtPercent(0.5)
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h - 3, w, h)
        else:
            self._label_rect = QRectF()
        self._bounds = self._hit.boundingRect().united(self._label_rect).adjusted(-4, -4, 4, 4)

    def _cards_hit(self, path: QPainterPath, ends) -> list[QRectF]:
        """Scene rects of the cards (other than the two ends) that the path runs through."""
        cards = []
        for item in self.scene().items(path.boundingRect()):
            if hasattr(item, "card_rect") and item not in ends:
                cards.append(item.mapRectToScene(item.card_rect()).adjusted(-6, -6, 6, 6))
        points = [path.pointAtPercent(t / 24) for t in range(1, 24)]
        return [r for r in cards if any(r.contains(p) for p in points)]

    def _free_lane(self, p0: QPointF, p1: QPointF, path: QPainterPath) -> float | None:
        """A y for the wire that clears the cards in the way, nearest to the straight route."""
        ends = (self.src_port.node_item, self.dst_port.node_item)
        hit = self._cards_hit(path, ends)
        if not hit:
            return None
        mid = (p0.y() + p1.y()) / 2
        below, above = max(r.bottom() for r in hit) + 14, min(r.top() for r in hit) - 14
        for _ in range(4):  # a lane may run into other cards: step past them too
            lane = below if abs(below - mid) <= abs(above - mid) else above
            more = self._cards_hit(lane_curve(p0, p1, lane), ends)
            if not more:
                return lane
            if lane == below:
                below = max(r.bottom() for r in more) + 14
            else:
                above = min(r.top() for r in more) - 14
        return below

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hit

    def paint(self, painter, option, widget=None) -> None:
        s = self.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        selected = self.isSelected()
        pen = QPen(s.selection if selected else s.edge, 3.0 if selected else 1.8)
        if lod < 0.6:
            pen.setWidthF(pen.widthF() * 0.6 / lod)  # stays visible zoomed out
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path)
        if self.label and lod >= 0.6:
            painter.setOpacity(min(1.0, (lod - 0.6) / 0.2))
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.canvas)
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setPen(s.selection if selected else s.muted)
            painter.setFont(s.edge_font)
            painter.drawText(self._label_rect, Qt.AlignCenter, self.label)
            painter.setOpacity(1.0)


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
