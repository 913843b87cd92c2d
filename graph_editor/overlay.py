"""What the canvas shows on top of the graph while looking inside a network: text on
wires (a value and a gradient, in two colours), a colour per wire with its legend, and a
note with a sparkline under each card. It takes plain numbers and strings; computing them
is the backend's job (backend/insight/)."""

from __future__ import annotations

import itertools

from netcanvas.graph_editor.style import Style
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsOpacityEffect, QWidget
from shiboken6 import isValid

NOTE_H = 14.0
SPARK_H = 14.0
RAMP = ((0.0, QColor(60, 110, 220)), (0.5, QColor(40, 170, 90)), (1.0, QColor(220, 60, 50)))


def reading_colours(style: Style) -> tuple[QColor, QColor]:
    """(value, gradient) text colours: green and red, as the course draws its circuit."""
    if style.dark:
        return QColor(110, 210, 130), QColor(255, 120, 110)
    return QColor(20, 130, 50), QColor(200, 35, 30)


def ramp(t: float) -> QColor:
    """Blue (0) through green (0.5) to red (1): a wire's statistic on the legend's scale."""
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in itertools.pairwise(RAMP):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*(round(a + (b - a) * f) for a, b in zip(c0.getRgb()[:3],
                                                                    c1.getRgb()[:3])))
    return RAMP[-1][1]


class NoteItem(QGraphicsItem):
    """A line of text and an optional sparkline under a card (a child of its NodeItem)."""

    def __init__(self, parent, style: Style) -> None:
        super().__init__(parent)
        self.theme = style
        self.text = ""
        self.spark: list[float] = []
        self.setPos(0, parent.height + 3)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set(self, text: str, spark: list[float] | None = None) -> None:
        self.text, self.spark = text, list(spark or [])
        self.update()

    def boundingRect(self) -> QRectF:
        width = self.parentItem().width
        return QRectF(-20, 0, width + 40, NOTE_H + SPARK_H + 2)

    def paint(self, painter, option, widget=None) -> None:
        s = self.theme
        width = self.parentItem().width
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        y = 0.0
        if len(self.spark) > 1:
            low, high = min(self.spark), max(self.spark)
            span = (high - low) or 1.0
            path = QPainterPath()
            for i, v in enumerate(self.spark):
                p = QPointF(width * i / (len(self.spark) - 1),
                            SPARK_H - 1 - (SPARK_H - 2) * (v - low) / span)
                path.lineTo(p) if i else path.moveTo(p)
            painter.setPen(QPen(s.selection, 1.4))
            painter.drawPath(path)
            y = SPARK_H + 1
        if self.text:
            painter.setFont(s.small_font)
            painter.setPen(s.text)
            painter.drawText(QRectF(-20, y, width + 40, NOTE_H), Qt.AlignCenter, self.text)


class LegendWidget(QWidget):
    """A colour bar with its title and end labels in the view's bottom-right corner. It fades
    while the pointer is over it, so a card under it can be seen and clicked (clicks pass
    through it)."""

    FADED = 0.15

    def __init__(self, view, style: Style, title: str, low: str, mid: str, high: str) -> None:
        super().__init__(view)
        self.theme = style
        self.labels = (title, low, mid, high)
        self.setFixedSize(250, 46)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.opacity = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(self.opacity)
        self._place()
        view.installEventFilter(self)
        view.viewport().setMouseTracking(True)  # moves without a button held reach us too
        view.viewport().installEventFilter(self)

    def _place(self) -> None:
        view = self.parentWidget()
        self.move(max(0, view.width() - self.width() - 24),
                  max(0, view.height() - self.height() - 24))

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize and obj is self.parentWidget():
            self._place()
        elif kind == QEvent.Type.MouseMove:
            under = self.geometry().contains(obj.mapTo(self.parentWidget(),
                                                       event.position().toPoint()))
            self.opacity.setOpacity(self.FADED if under else 1.0)
        elif kind == QEvent.Type.Leave:
            self.opacity.setOpacity(1.0)
        return False

    def paintEvent(self, event) -> None:
        s = self.theme
        title, low, mid, high = self.labels
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(s.outline, 1))
        painter.setBrush(s.card)
        painter.drawRoundedRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1), 5, 5)
        painter.setFont(s.small_font)
        painter.setPen(s.text)
        inner = self.width() - 16
        painter.drawText(QRectF(8, 2, inner, 14), Qt.AlignLeft | Qt.AlignVCenter, title)
        gradient = QLinearGradient(8, 0, 8 + inner, 0)
        for t, c in RAMP:
            gradient.setColorAt(t, c)
        painter.setPen(Qt.NoPen)
        painter.setBrush(gradient)
        painter.drawRect(QRectF(8, 18, inner, 7))
        painter.setPen(s.muted)
        for text, align in ((low, Qt.AlignLeft), (mid, Qt.AlignHCenter), (high, Qt.AlignRight)):
            painter.drawText(QRectF(8, 28, inner, 14), align | Qt.AlignVCenter, text)
        painter.end()


class CanvasOverlay:
    """Owns the overlay of one GraphScene; `clear()` returns the canvas to plain editing."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.notes: dict[str, NoteItem] = {}
        self.legend: LegendWidget | None = None

    def show_wires(self, readings: dict[tuple[str, str], tuple[str, str]] | None = None,
                   colours: dict[tuple[str, str], float] | None = None) -> None:
        """Per source (node id, port): (value text, gradient text) and/or a 0..1 colour."""
        readings, colours = readings or {}, colours or {}
        self.scene.set_wire_readings({
            key: (readings.get(key), None if colours.get(key) is None else ramp(colours[key]))
            for key in readings.keys() | colours.keys()})

    def show_notes(self, notes: dict[str, str], sparks: dict[str, list[float]] | None = None
                   ) -> None:
        sparks = sparks or {}
        for node_id in list(self.notes):
            if node_id not in notes or self.scene.node_item(node_id) is None:
                self._drop_note(node_id)
        for node_id, text in notes.items():
            parent = self.scene.node_item(node_id)
            if parent is None:
                continue
            note = self.notes.get(node_id)
            if note is None:
                note = self.notes[node_id] = NoteItem(parent, self.scene.theme)
            note.set(text, sparks.get(node_id))

    def show_legend(self, title: str, low: str, mid: str, high: str) -> None:
        self._drop_legend()
        views = self.scene.views()
        if views:
            self.legend = LegendWidget(views[0], self.scene.theme, title, low, mid, high)
            self.legend.show()

    def clear(self) -> None:
        self.show_wires()
        for node_id in list(self.notes):
            self._drop_note(node_id)
        self._drop_legend()

    def _drop_note(self, node_id: str) -> None:
        note = self.notes.pop(node_id)
        if isValid(note) and note.scene() is not None:  # gone with its card: nothing to do
            note.scene().removeItem(note)

    def _drop_legend(self) -> None:
        if self.legend is not None:
            self.legend.deleteLater()
        self.legend = None
