"""Live training charts: one colour per run across all charts, redrawn at most ~30 Hz when dirty."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout,
                               QWidget)

from .buffers import EmaBuffer, GrowingBuffer
from .colours import colour, palette_colours, style_plot

MAX_RUNS = 5
FRAME_MS = 33

# chart key -> (title, x label, y label)
CHARTS = {
    "step_loss": ("Training loss per step", "step", "loss"),
    "epoch_loss": ("Loss per epoch (solid train, dashed validation)", "epoch", "loss"),
    "epoch_acc": ("Accuracy per epoch (solid train, dashed validation)", "epoch", "accuracy"),
    "lr": ("Learning rate", "step", "learning rate"),
}
# curve -> (chart, style); epoch metric curves are keyed by the metric name
CURVES = {
    "raw": ("step_loss", "faint"), "ema": ("step_loss", "solid"), "lr": ("lr", "solid"),
    "train_loss": ("epoch_loss", "marked"), "val_loss": ("epoch_loss", "dashed"),
    "train_accuracy": ("epoch_acc", "marked"), "val_accuracy": ("epoch_acc", "dashed"),
}


class RunCurves:
    """One run: its buffers and the items drawing them."""

    def __init__(self, run_id: int, label: str, colour: str, charts: dict[str, pg.PlotItem]):
        self.run_id, self.label, self.colour = run_id, label, colour
        self.buffers: dict[str, GrowingBuffer] = {
            name: EmaBuffer() if name == "ema" else GrowingBuffer() for name in CURVES}
        self.items: dict[str, pg.PlotDataItem] = {}
        self._charts = charts
        for name, (chart, style) in CURVES.items():
            item = pg.PlotDataItem(name=label, **_style(colour, style))
            charts[chart].addItem(item)
            self.items[name] = item
        self.dirty: set[str] = set()

    @property
    def steps(self) -> int:
        return self.buffers["raw"].size

    def add_steps(self, steps, losses, lrs) -> None:
        for name, ys in (("raw", losses), ("ema", losses), ("lr", lrs)):
            self.buffers[name].extend(steps, ys)
            self.dirty.add(name)

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        for name in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            value = metrics.get(name)
            if isinstance(value, (int, float)):
                self.buffers[name].append(epoch, value)
                self.dirty.add(name)

    def flush(self) -> None:
        """One setData per changed curve."""
        for name in self.dirty:
            buf = self.buffers[name]
            self.items[name].setData(buf.x, buf.y)
        self.dirty.clear()

    def set_visible(self, visible: bool) -> None:
        for item in self.items.values():
            item.setVisible(visible)

    def remove(self) -> None:
        for name, item in self.items.items():
            self._charts[CURVES[name][0]].removeItem(item)


def _style(colour: str, style: str) -> dict:
    if style == "faint":
        c = QColor(colour)
        c.setAlpha(70)
        return {"pen": pg.mkPen(c, width=1)}
    if style == "dashed":
        return {"pen": pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
                "symbol": "t", "symbolSize": 6, "symbolBrush": colour, "symbolPen": None}
    if style == "marked":
        return {"pen": pg.mkPen(colour, width=2), "symbol": "o", "symbolSize": 5,
                "symbolBrush": colour, "symbolPen": None}
    return {"pen": pg.mkPen(colour, width=2)}


class LivePlotsPanel(QWidget):
    """Four charts and a checkable list of the last runs (uncheck to hide a run everywhere)."""

    redrawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.charts: dict[str, pg.PlotItem] = {}
        for i, key in enumerate(CHARTS):
            axes = {"bottom": _IntegerAxis("bottom")} if CHARTS[key][1] == "epoch" else {}
            chart = self.graphics.addPlot(row=i // 2, col=i % 2, axisItems=axes)
            chart.setDownsampling(mode="peak", auto=True)
            chart.setClipToView(True)
            chart.showGrid(x=True, y=True, alpha=0.15)
            chart.setMenuEnabled(False)
            self.charts[key] = chart
        self._crosshairs = {key: _Crosshair(chart) for key, chart in self.charts.items()}
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)

        self.run_list = QListWidget()
        self.run_list.setMaximumWidth(140)
        self.run_list.setToolTip("Uncheck a run to hide it on every chart")
        self.run_list.itemChanged.connect(self._run_toggled)
        side = QVBoxLayout()
        side.addWidget(QLabel("Runs"))
        side.addWidget(self.run_list)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(side)

        self.runs: list[RunCurves] = []
        self._next_id = 1
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        self.apply_palette()

    # ---- data in --------------------------------------------------------------------
    @property
    def current(self) -> RunCurves | None:
        return self.runs[-1] if self.runs else None

    def begin_run(self, label: str | None = None) -> RunCurves:
        if len(self.runs) >= MAX_RUNS:
            oldest = self.runs.pop(0)
            oldest.remove()
            self.run_list.takeItem(0)
        run_id = self._next_id
        self._next_id += 1
        run = RunCurves(run_id, label or f"run {run_id}", colour(run_id - 1), self.charts)
        self.runs.append(run)
        pix = QPixmap(12, 12)
        pix.fill(QColor(run.colour))
        item = QListWidgetItem(QIcon(pix), run.label)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setData(Qt.ItemDataRole.UserRole, run_id)
        self.run_list.addItem(item)
        return run

    def add_steps(self, steps, losses, lrs) -> None:
        if self.current is not None:
            self.current.add_steps(steps, losses, lrs)

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        if self.current is not None:
            self.current.add_epoch(epoch, metrics)

    def flush(self) -> None:
        """Timer tick: redraw only the curves that got data since the last frame."""
        dirty = [run for run in self.runs if run.dirty]
        if not dirty:
            return
        if any("lr" in run.dirty for run in dirty):
            self._fit_lr_axis()
        for run in dirty:
            run.flush()
        self.redrawn.emit()

    def _fit_lr_axis(self) -> None:
        """From zero to the largest rate: a constant rate is a line at its value, not at 0."""
        top = max((run.buffers["lr"].max for run in self.runs), default=0.0)
        if top > 0:
            self.charts["lr"].setYRange(0.0, top * 1.1, padding=0)

    # ---- interaction ----------------------------------------------------------------
    def _run_toggled(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        for run in self.runs:
            if run.run_id == run_id:
                run.set_visible(item.checkState() == Qt.CheckState.Checked)

    def _mouse_moved(self, pos) -> None:
        for key, chart in self.charts.items():
            hair = self._crosshairs[key]
            if not chart.sceneBoundingRect().contains(pos):
                hair.hide()
                continue
            x = chart.vb.mapSceneToView(pos).x()
            curves = [name for name, (c, _) in CURVES.items() if c == key and name != "raw"]
            lines = []
            for run in self.runs:
                if not run.items[curves[0]].isVisible():
                    continue
                for name in curves:
                    point = run.buffers[name].value_at(x)
                    if point is not None:
                        lines.append(f"<span style='color:{run.colour}'>{run.label}</span> "
                                     f"{name.replace('_', ' ')}: {point[1]:.4g} "
                                     f"@ {CHARTS[key][1]} {point[0]:g}")
            hair.show_at(x, lines)

    # ---- palette --------------------------------------------------------------------
    def apply_palette(self) -> None:
        """Follow the system light/dark palette instead of pyqtgraph's fixed black."""
        bg, fg = palette_colours(self)
        self.graphics.setBackground(bg)
        for key, chart in self.charts.items():
            style_plot(chart, self, *CHARTS[key])
            chart.getAxis("left").setWidth(64)
            self._crosshairs[key].set_colours(bg, fg)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)


class _Crosshair:
    """A vertical line and a value read-out following the mouse on one chart."""

    def __init__(self, chart: pg.PlotItem) -> None:
        self.chart = chart
        self.line = pg.InfiniteLine(angle=90, movable=False)
        self.text = pg.TextItem(anchor=(0, 0))
        for item in (self.line, self.text):
            chart.addItem(item, ignoreBounds=True)
            item.setZValue(100)
        self.hide()

    def set_colours(self, bg: QColor, fg: QColor) -> None:
        line = QColor(fg)
        line.setAlpha(120)
        self.line.setPen(pg.mkPen(line, style=Qt.PenStyle.DotLine))
        fill = QColor(bg)
        fill.setAlpha(220)
        self.text.fill = pg.mkBrush(fill)
        self.text.border = pg.mkPen(line)
        self.text.setColor(fg)

    def show_at(self, x: float, lines: list[str]) -> None:
        self.line.setPos(x)
        self.line.show()
        if not lines:
            self.text.hide()
            return
        (x0, x1), (y0, y1) = self.chart.vb.viewRange()
        self.text.setHtml("<br>".join(lines))
        self.text.setAnchor((1, 0) if x > (x0 + x1) / 2 else (0, 0))
        self.text.setPos(x, y1)
        self.text.show()

    def hide(self) -> None:
        self.line.hide()
        self.text.hide()


class _IntegerAxis(pg.AxisItem):
    """Epochs are whole numbers: no 1.5 ticks."""

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        out = []
        for spacing, values in levels:
            if spacing >= 1:
                out.append((spacing, [v for v in values if float(v).is_integer()]))
        return out or [(1.0, [float(v) for v in range(int(minVal), int(maxVal) + 1)])]
