"""The Layers tab: per-layer statistics of the live run (backend/runtime/probes.py), one
curve per layer, and whether to collect them and draw them on the canvas."""

from __future__ import annotations

import math

import pyqtgraph as pg
from netcanvas.app.training.colours import colour, legend_beside, palette_colours, style_plot
from netcanvas.backend.training.events import LayerStats
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

# statistic key -> (menu text, log scale)
STATISTICS = {
    "grad_norm": ("Gradient norm ‖∇w‖", True),
    "update_ratio": ("Update / weight ‖Δw‖/‖w‖", True),
    "std": ("Output standard deviation", True),
    "mean": ("Output mean", False),
    "zeros": ("Output fraction of exact zeros", False),
}
AUTO_LIMIT = 60  # above this many nodes statistics start off (the user may turn them on)


class LayersTab(QWidget):
    canvas_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.collect = QCheckBox("Collect layer statistics every")
        self.collect.setChecked(True)
        self.collect.clicked.connect(self._chosen)
        self.every = QSpinBox(minimum=1, maximum=10000, value=20, suffix=" steps")
        self.on_canvas = QCheckBox("Show on the canvas")
        self.on_canvas.setChecked(True)
        self.on_canvas.clicked.connect(self._chosen)
        self.on_canvas.toggled.connect(self.canvas_toggled)
        self.statistic = QComboBox()
        for key, (text, _log) in STATISTICS.items():
            self.statistic.addItem(text, key)
        self.statistic.currentIndexChanged.connect(self.redraw)
        self.note = QLabel()
        row = QHBoxLayout()
        for w in (self.collect, self.every, self.on_canvas, QLabel("Chart:"), self.statistic):
            row.addWidget(w)
        row.addStretch(1)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.legend = legend_beside(self.plot.getPlotItem(), labelTextSize="8pt")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.history: dict[str, dict[str, list[float]]] = {}  # layer -> stat -> values
        self.steps: dict[str, list[int]] = {}
        self._user_chose = False
        self.redraw()

    def _chosen(self) -> None:
        self._user_chose = True

    def prepare(self, node_count: int) -> int:
        """At the start of a run: the sampling interval to ask for (0 = off). Unless the user
        chose, statistics start on only for graphs of up to AUTO_LIMIT nodes."""
        if not self._user_chose:
            small = node_count <= AUTO_LIMIT
            self.collect.setChecked(small)
            self.on_canvas.setChecked(small)
        self.history.clear()
        self.steps.clear()
        self.note.setText("" if self.collect.isChecked() else
                          "Layer statistics are off for this run.")
        self.redraw()
        return self.every.value() if self.collect.isChecked() else 0

    def follow(self, workspace) -> None:
        """Chart the running job's LayerStats events as the workspace publishes them."""
        workspace.on_events({LayerStats: self.add})

    def add(self, ev) -> None:
        """One LayerStats event."""
        for name, values in ev.layers.items():
            self.steps.setdefault(name, []).append(ev.step)
            stats = self.history.setdefault(name, {})
            for key, value in values.items():
                stats.setdefault(key, []).append(value)
        self.redraw()

    def redraw(self) -> None:
        key = self.statistic.currentData()
        title, log = STATISTICS[key]
        plot = self.plot.getPlotItem()
        plot.clear()
        self.legend.clear()
        bg, _fg = palette_colours(self)
        self.plot.setBackground(bg)
        style_plot(plot, self, f"{title} per layer", "step", title.split(" ‖")[0].lower())
        plot.setLogMode(y=log)
        layers = [name for name, stats in self.history.items() if key in stats]
        # Steps are whole numbers: one sampled step gets its own tick, not 4.6 … 5.4.
        sampled = {s for name in layers for s in self.steps[name]}
        plot.getAxis("bottom").setTicks([[(s, str(s)) for s in sampled]]
                                        if len(sampled) == 1 else None)
        for i, name in enumerate(layers):
            values = self.history[name][key]
            steps = self.steps[name][-len(values):]
            if log:
                pairs = [(s, v) for s, v in zip(steps, values) if v > 0 and math.isfinite(v)]
                steps, values = [s for s, _ in pairs], [v for _, v in pairs]
            alone = {"symbol": "o", "symbolSize": 6, "symbolBrush": colour(i)} if len(
                steps) == 1 else {}  # one sample (a short run) is a dot: a line would not show
            plot.plot(steps, values, pen=pg.mkPen(colour(i), width=1.6), name=name, **alone)
