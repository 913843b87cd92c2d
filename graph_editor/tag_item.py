"""Small labelled pills above a card: the node's own training state ("frozen", "lr ×0.1")
and a mark the app puts on it (edit and continue: "keeps weights", "partly kept",
"re-initialised"; a run diff: "added", "changed"). Plain strings in, drawn by role."""

from __future__ import annotations

from netcanvas.graph_editor.style import Style, text_size
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

PILL_H = 14.0
GAP = 4.0
# role -> (light, dark) fill
ROLES = {"training": (QColor(70, 110, 200), QColor(95, 140, 230)),
         "kept": (QColor(30, 140, 70), QColor(70, 185, 110)),
         "added": (QColor(30, 140, 70), QColor(70, 185, 110)),
         "partly": (QColor(200, 130, 20), QColor(225, 160, 50)),
         "changed": (QColor(200, 130, 20), QColor(225, 160, 50)),
         "new": (QColor(205, 70, 40), QColor(235, 105, 80))}


class TagItem(QGraphicsItem):
    """The pills of one card (a child of its NodeItem), left to right above its top edge."""

    def __init__(self, parent, style: Style) -> None:
        super().__init__(parent)
        self.theme = style
        self.tags: list[tuple[str, str]] = []  # (text, role)
        self.setPos(0, -PILL_H - 3)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set(self, tags: list[tuple[str, str]]) -> None:
        if tags != self.tags:
            self.prepareGeometryChange()
            self.tags = list(tags)
            self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.parentItem().width + 60, PILL_H + 1)

    def paint(self, painter, option, widget=None) -> None:
        if not self.tags:
            return
        s = self.theme
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setFont(s.small_font)
        x = 0.0
        for text, role in self.tags:
            w = text_size(text, s.small_font)[0] + 10
            fill = ROLES.get(role, ROLES["training"])[1 if s.dark else 0]
            painter.setPen(QPen(fill.darker(120), 0))
            painter.setBrush(fill)
            rect = QRectF(x, 0, w, PILL_H)
            painter.drawRoundedRect(rect, PILL_H / 2, PILL_H / 2)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect, Qt.AlignCenter, text)
            x += w + GAP
