"""Rows and columns of a tab built from their parts, in order: a widget, a layout, a
`(widget or layout, stretch factor)` pair, or STRETCH (the spare room goes there)."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QVBoxLayout, QWidget

STRETCH = "stretch"


def fill(layout: QBoxLayout, *parts) -> QBoxLayout:
    for part in parts:
        item, stretch = part if isinstance(part, tuple) else (part, 0)
        if item is STRETCH:
            layout.addStretch(1)
        elif isinstance(item, QLayout):
            layout.addLayout(item, stretch)
        else:
            layout.addWidget(item, stretch)
    return layout


def row(*parts) -> QHBoxLayout:
    return fill(QHBoxLayout(), *parts)


def column(*parts, on: QWidget | None = None, margins: bool = True) -> QVBoxLayout:
    """A column of `parts`, the layout of the widget `on` when given; `margins=False` for
    one that sits flush inside another view."""
    layout = QVBoxLayout(on) if on is not None else QVBoxLayout()
    if not margins:
        layout.setContentsMargins(0, 0, 0, 0)
    return fill(layout, *parts)
