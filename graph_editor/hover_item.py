"""The hover highlight shared by cards, ports and wires."""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


class HoverItem(QGraphicsItem):
    """Repaints with `hovered` set while the mouse is over it: what can be clicked shows it."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.hovered = False
        self.setAcceptHoverEvents(True)

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.update()
