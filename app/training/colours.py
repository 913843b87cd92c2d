"""Colours shared by every chart: one per run, one per class, and the system palette's."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

# Tableau 10: readable on light and dark backgrounds alike.
TABLEAU = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


def colour(i: int) -> str:
    return TABLEAU[i % len(TABLEAU)]


def palette_colours(widget: QWidget) -> tuple[QColor, QColor]:
    """(background, foreground) of the widget's palette, for charts that must follow it."""
    pal = widget.palette()
    return pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)


def style_plot(plot: pg.PlotItem, widget: QWidget, title: str, xlabel: str, ylabel: str) -> None:
    """Axes, labels, title and legend in the palette's text colour; no SI prefixes on the
    axes."""
    _bg, fg = palette_colours(widget)
    plot.setTitle(title, color=fg.name(), size="9pt")
    for side, text in (("bottom", xlabel), ("left", ylabel)):
        axis = plot.getAxis(side)
        axis.setPen(fg)
        axis.setTextPen(fg)
        # Never scale tick labels: disabling the prefix alone still computes one from the
        # current range (R² read "500" for 0.5 after a chart showed an accuracy of 0.98).
        axis.setSIPrefixEnableRanges(())
        axis.enableAutoSIPrefix(False)
        plot.setLabel(side, text, color=fg.name())
    if plot.legend is not None:  # names as readable as the axes, not pyqtgraph's pale grey
        plot.legend.setLabelTextColor(fg)


def class_tint(probs: np.ndarray, background: QColor) -> np.ndarray:
    """(..., classes) probabilities -> uint8 RGB: each point tinted with its predicted class's
    colour over the background, stronger where the model is sure (decision boundaries)."""
    k = probs.shape[-1]
    base = np.array([background.red(), background.green(), background.blue()], dtype=np.float32)
    colours = np.array([QColor(colour(i)).getRgb()[:3] for i in range(k)], dtype=np.float32)
    best = probs.argmax(axis=-1)
    sure = (probs.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k)
    alpha = (0.15 + 0.5 * sure)[..., None]
    return (base * (1 - alpha) + colours[best] * alpha).astype(np.uint8)


def legend_beside(plot: pg.PlotItem, below: bool = False, **options) -> pg.LegendItem:
    """A legend in its own cell, right of the plot (or `below` it, for long names), never
    over the curves it names; the curves `plot.plot(name=...)` makes join it."""
    legend = pg.LegendItem(**options)
    # the view box is row 2, column 1 of the plot's grid; the axes take the cells around it
    plot.layout.addItem(legend, *((4, 1) if below else (2, 3)))
    # its own height at the top of the cell: stretched to the plot's, each name floated off
    # its swatch
    legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    plot.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
    plot.legend = legend
    return legend
