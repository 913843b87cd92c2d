"""Colours, fonts and card metrics, derived from the current QPalette.

Nothing here hard-codes black-on-white: every colour is computed from the palette so the
canvas reads well in light and dark themes alike. Category hues come with each node kind
(the app's theme, app/node_kinds.py); their lightness follows the palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from netcanvas.backend import shapes
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette

GRID = 20  # scene units between minor grid lines; snap-to-grid uses it too
# Sized so cards on a 220 x 130 grid (tools/make_examples.py) leave room for shape labels.
CARD_WIDTH = 152
HEADER_H = 36
ROW_H = 14  # one labelled port row
LINE_H = 14  # one key-parameter line
FOOTER_H = 18
PORT_R = 5.5
SINGLE_PORT_Y = HEADER_H / 2  # single ports sit level with the header, so rows line up


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """Blend from a (t=0) to b (t=1)."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def make_font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    f.setHintingPreference(QFont.PreferNoHinting)  # text scales smoothly with zoom
    return f


@dataclass
class Style:
    dark: bool
    canvas: QColor
    grid: QColor
    card: QColor
    text: QColor
    muted: QColor
    outline: QColor
    selection: QColor
    edge: QColor
    error: QColor
    ok_port: QColor
    name_font: QFont
    type_font: QFont
    small_font: QFont
    edge_font: QFont

    @classmethod
    def from_palette(cls, palette: QPalette) -> Style:
        base = palette.color(QPalette.Base)
        window = palette.color(QPalette.Window)
        text = palette.color(QPalette.Text)
        dark = window.lightnessF() < 0.5
        canvas = mix(window, base, 0.5)
        card = mix(base, text, 0.08 if dark else 0.0)
        return cls(
            dark=dark, canvas=canvas, grid=mix(canvas, text, 0.10), card=card, text=text,
            muted=mix(text, card, 0.42), outline=mix(card, text, 0.28),
            selection=palette.color(QPalette.Highlight), edge=mix(text, canvas, 0.45),
            error=QColor(240, 80, 70) if dark else QColor(205, 40, 35),
            ok_port=QColor(80, 200, 120) if dark else QColor(30, 150, 70),
            name_font=make_font(13, bold=True), type_font=make_font(10), small_font=make_font(10),
            edge_font=make_font(9),
        )

    def header(self, hue: int | None) -> QColor:
        """A card header of `hue` (degrees; None: grey)."""
        if hue is None:
            return mix(self.card, self.text, 0.18)
        if self.dark:
            return QColor.fromHslF(hue / 360, 0.42, 0.32)
        return QColor.fromHslF(hue / 360, 0.62, 0.82)

    def port(self, hue: int | None) -> QColor:
        hue = hue or 0
        return QColor.fromHslF(hue / 360, 0.55, 0.62 if self.dark else 0.45)


format_shape = lru_cache(maxsize=4096)(shapes.format_shape)  # edge labels repaint often


def format_value(value) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def text_size(text: str, font: QFont) -> tuple[float, float]:
    """(width, height) of a one-line text in one of the fonts above: a re-analysis relabels
    hundreds of items with few distinct texts."""
    return _text_size(text, font.pixelSize(), font.bold())


@lru_cache(maxsize=10000)
def _text_size(text: str, px: int, bold: bool) -> tuple[float, float]:
    fm = QFontMetricsF(make_font(px, bold))
    return fm.horizontalAdvance(text), fm.height()
