"""Icons drawn in code so they follow the palette (light or dark) and stay sharp on HiDPI."""

from __future__ import annotations

from functools import cache
from importlib import resources

from netcanvas.app.node_kinds import category_colour
from netcanvas.graph_editor.style import Style
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle


def app_icon() -> QIcon:
    return QIcon(str(resources.files("netcanvas.resources") / "icons" / "netcanvas.svg"))


def _glyph(category: str) -> QPainterPath:
    """A tiny pictogram per category on a 16x16 grid."""
    p = QPainterPath()
    if category == "Input/Output":
        p.moveTo(3, 8), p.lineTo(12, 8), p.moveTo(9, 5), p.lineTo(12, 8), p.lineTo(9, 11)
    elif category == "Dense":
        for y1 in (4, 8, 12):
            for y2 in (5, 11):
                p.moveTo(4, y1), p.lineTo(12, y2)
    elif category == "Convolution":
        for i in (4, 8, 12):
            p.moveTo(3, i), p.lineTo(13, i), p.moveTo(i, 3), p.lineTo(i, 13)
    elif category == "Pooling":
        p.addRect(QRectF(3, 3, 4, 4)), p.addRect(QRectF(3, 9, 4, 4))
        p.addRect(QRectF(9, 3, 4, 4)), p.addRect(QRectF(9, 9, 4, 4))
    elif category == "Normalization":
        p.moveTo(2, 13)
        p.cubicTo(6, 13, 6, 3, 8, 3)
        p.cubicTo(10, 3, 10, 13, 14, 13)
    elif category == "Activation":
        p.moveTo(2, 11), p.lineTo(8, 11), p.lineTo(13, 4)
    elif category == "Regularization":
        for x, y in ((4, 4), (12, 4), (8, 8), (4, 12), (12, 12)):
            p.addEllipse(QPointF(x, y), 1.6, 1.6)
    elif category == "Reshape":
        p.addRect(QRectF(3, 3, 6, 6)), p.moveTo(3, 13), p.lineTo(13, 13)
    elif category == "Merge":
        p.moveTo(3, 4), p.cubicTo(7, 4, 7, 8, 10, 8)
        p.moveTo(3, 12), p.cubicTo(7, 12, 7, 8, 10, 8), p.lineTo(13, 8)
    elif category == "Blocks":  # stacked bricks: a piece made of pieces
        p.addRect(QRectF(3, 3, 10, 4)), p.addRect(QRectF(3, 9, 4, 4)), p.addRect(QRectF(9, 9, 4, 4))
    else:
        p.addEllipse(QPointF(8, 8), 4, 4)
    return p


@cache
def _category_icon(category: str, dark: bool) -> QIcon:
    style = Style.from_palette(QApplication.palette())
    icon = QIcon()
    for size in (16, 20, 24, 32):
        for ratio in (1.0, 2.0):
            pix = QPixmap(int(size * ratio), int(size * ratio))
            pix.setDevicePixelRatio(ratio)
            pix.fill(Qt.transparent)
            painter = QPainter(pix)
            painter.setRenderHint(QPainter.Antialiasing)
            painter.scale(size / 16, size / 16)
            header = style.header(*category_colour(category))
            painter.setPen(QPen(header.darker(130), 0.8))
            painter.setBrush(header)
            painter.drawRoundedRect(QRectF(0.5, 0.5, 15, 15), 3.5, 3.5)
            painter.setPen(QPen(style.text, 1.4, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(_glyph(category))
            painter.end()
            icon.addPixmap(pix)
    return icon


def category_icon(category: str) -> QIcon:
    dark = QApplication.palette().color(QPalette.Window).lightnessF() < 0.5
    return _category_icon(category, dark)


# Freedesktop theme names with a QStyle fallback, for platforms without an icon theme.
_STANDARD = {
    "document-new": QStyle.SP_FileIcon,
    "document-open": QStyle.SP_DialogOpenButton,
    "document-save": QStyle.SP_DialogSaveButton,
    "document-save-as": QStyle.SP_DialogSaveButton,
    "edit-undo": QStyle.SP_ArrowBack,
    "edit-redo": QStyle.SP_ArrowForward,
    "edit-delete": QStyle.SP_TrashIcon,
    "dialog-error": QStyle.SP_MessageBoxCritical,
    "dialog-warning": QStyle.SP_MessageBoxWarning,
    "dialog-information": QStyle.SP_MessageBoxInformation,
}


def _toolbar_glyph(name: str) -> QPainterPath:
    """Glyphs on a 16x16 grid for actions no QStyle icon fits."""
    p = QPainterPath()
    if name == "zoom-fit-best":  # four corners around a card
        for x, y, dx, dy in ((2, 2, 1, 1), (14, 2, -1, 1), (2, 14, 1, -1), (14, 14, -1, -1)):
            p.moveTo(x, y + 4 * dy), p.lineTo(x, y), p.lineTo(x + 4 * dx, y)
        p.addRect(QRectF(5.5, 6.5, 5, 3))
    elif name == "view-grid":  # three cards wired left to right
        p.addRect(QRectF(1.5, 6, 3.5, 4)), p.addRect(QRectF(11, 2, 3.5, 4))
        p.addRect(QRectF(11, 10, 3.5, 4))
        p.moveTo(5, 8), p.cubicTo(8, 8, 8, 4, 11, 4), p.moveTo(5, 8), p.cubicTo(8, 8, 8, 12, 11, 12)
    elif name == "text-x-script":  # </>
        p.moveTo(5, 4), p.lineTo(1.5, 8), p.lineTo(5, 12)
        p.moveTo(11, 4), p.lineTo(14.5, 8), p.lineTo(11, 12), p.moveTo(9.5, 3), p.lineTo(6.5, 13)
    return p


def _painted_icon(name: str) -> QIcon:
    color = QApplication.palette().color(QPalette.WindowText)
    icon = QIcon()
    for size in (16, 24, 32):
        pix = QPixmap(size * 2, size * 2)
        pix.setDevicePixelRatio(2.0)
        pix.fill(Qt.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.scale(size / 16, size / 16)
        painter.setPen(QPen(color, 1.3, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        painter.drawPath(_toolbar_glyph(name))
        painter.end()
        icon.addPixmap(pix)
    return icon


def theme_icon(name: str) -> QIcon:
    icon = QIcon.fromTheme(name)
    if icon.isNull():
        if name in _STANDARD:
            icon = QApplication.style().standardIcon(_STANDARD[name])
        elif not _toolbar_glyph(name).isEmpty():
            icon = _painted_icon(name)
    return icon


def status_color(kind: str) -> QColor:
    """Green/red readable on both light and dark windows."""
    dark = QApplication.palette().color(QPalette.Window).lightnessF() < 0.5
    return {
        "ok": QColor(90, 200, 120) if dark else QColor(20, 130, 60),
        "error": QColor(240, 95, 85) if dark else QColor(190, 35, 30),
        "warning": QColor(235, 180, 60) if dark else QColor(170, 110, 0),
    }[kind]
