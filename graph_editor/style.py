"""Colours, fonts and card metrics, derived from the current QPalette.

Nothing here hard-codes black-on-white: every colour is computed from the palette so the
canvas reads well in light and dark themes alike. Category hues are fixed; their lightness
follows the palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from netcanvas.backend import shapes
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette

# One hue per registry category (degrees); unknown categories fall back to grey.
CATEGORY_HUES = {
    "Input/Output": 140, "Dense": 215, "Convolution": 265, "Pooling": 190,
    "Normalization": 45, "Activation": 25, "Regularization": 330, "Reshape": 170,
    "Merge": 300,
}
BLOCK_HUE = 215  # blocks hold layers of every kind: a quiet slate, not a layer's colour

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


def _font(px: int, bold: bool = False) -> QFont:
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
            name_font=_font(13, bold=True), type_font=_font(10), small_font=_font(10),
            edge_font=_font(9),
        )

    def header(self, category: str) -> QColor:
        if category == "Blocks":
            return QColor.fromHslF(BLOCK_HUE / 360, 0.16, 0.34 if self.dark else 0.80)
        hue = CATEGORY_HUES.get(category)
        if hue is None:
            return mix(self.card, self.text, 0.18)
        if self.dark:
            return QColor.fromHslF(hue / 360, 0.42, 0.32)
        return QColor.fromHslF(hue / 360, 0.62, 0.82)

    def port(self, category: str) -> QColor:
        hue = CATEGORY_HUES.get(category, BLOCK_HUE)
        saturation = 0.55 if category in CATEGORY_HUES else 0.2
        return QColor.fromHslF(hue / 360, saturation, 0.62 if self.dark else 0.45)


format_shape = lru_cache(maxsize=4096)(shapes.format_shape)  # edge labels repaint often


@lru_cache(maxsize=4096)
def format_count(n: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def format_value(value) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


_sizes: dict[tuple[str, int, bool], tuple[float, float]] = {}


def text_size(text: str, font: QFont) -> tuple[float, float]:
    """(width, height) of a one-line text, cached: a re-analysis relabels hundreds of
    items with few distinct texts."""
    key = (text, font.pixelSize(), font.bold())
    size = _sizes.get(key)
    if size is None:
        if len(_sizes) > 10000:
            _sizes.clear()
        fm = QFontMetricsF(font)
        size = _sizes[key] = (fm.horizontalAdvance(text), fm.height())
    return size
