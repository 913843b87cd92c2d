"""A port: a small disc on a card's edge that starts and ends wires."""

from __future__ import annotations

from netcanvas.graph_editor.hover_item import HoverItem
from netcanvas.graph_editor.style import PORT_R, format_shape
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainterPath, QPen

HIT_R = 10.0  # generous hit area: ports are small targets


class PortItem(HoverItem):
    """Child of a NodeItem. Pressing it starts a wire; the scene owns the wiring logic."""

    def __init__(self, node_item, port, is_output: bool) -> None:
        super().__init__(node_item)
        self.node_item = node_item
        self.name = port.name
        self.is_output = is_output
        self.many = port.many
        self.dtype = port.dtype  # only ports of one dtype connect (activations, indices)
        self.highlight = False  # set while a compatible wire is being dragged
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.setCursor(Qt.CrossCursor)
        self.setZValue(1)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def anchor(self) -> QPointF:
        """Scene position where wires attach."""
        return self.scenePos()

    def boundingRect(self) -> QRectF:
        return QRectF(-HIT_R, -HIT_R, 2 * HIT_R, 2 * HIT_R)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def tooltip_text(self) -> str:
        """What the port carries: its declared doc and, for an output, the shape."""
        spec = self.node_item.spec
        port = (spec.output_port if self.is_output else spec.input_port)(self.name)
        lines = [f"{'output' if self.is_output else 'input'} '{self.name}' of "
                 f"{self.node_item.name}" + (f": {port.doc}" if port and port.doc else "")]
        info = self.node_item.info
        shape = info.output_shapes.get(self.name) if info and self.is_output else None
        if shape is not None:
            lines.append("shape " + format_shape(tuple(shape)))
        return "\n".join(lines)

    def set_highlight(self, on: bool) -> None:
        if on != self.highlight:
            self.highlight = on
            self.update()

    def paint(self, painter, option, widget=None) -> None:
        style = self.node_item.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.3:
            return
        r = PORT_R * (1.5 if self.highlight else 1.3 if self.hovered else 1.0)
        kind = self.node_item.kind
        fill = style.ok_port if self.highlight else style.port(kind.hue, kind.quiet)
        painter.setPen(QPen(style.card, 1.5))
        painter.setBrush(QBrush(fill))
        painter.drawEllipse(QPointF(0, 0), r, r)

    # The press is forwarded to the scene, which draws the live wire and decides on release.
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.scene() is not None:
            self.scene().wiring.begin(self, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event) -> None:
        self.scene().wiring.move(event.scenePos())

    def mouseReleaseEvent(self, event) -> None:
        self.scene().wiring.finish(event.scenePos(), event.screenPos())
