"""Live training charts: one colour per run across all charts, redrawn at most ~30 Hz when dirty."""

from __future__ import annotations

import time

import pyqtgraph as pg
from netcanvas.app.training.buffers import EmaBuffer, GrowingBuffer
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.backend.catalogue import TARGET_METRICS
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

MAX_RUNS = 5
FRAME_MS = 33  # the fastest redraw (~30 Hz)
DUTY = 0.025  # share of the GUI thread for drawing charts: it holds the GIL, and on a
# machine whose cores all train, every GUI millisecond stalls the training threads as well
SLOWEST_MS = 1000  # ...but the charts move at least once a second
SLACK = 1.6  # a y range may be this much wider than its data before it is tightened

# chart key -> (title, x label, y label)
CHARTS = {
    "step_loss": ("Training loss per step", "step", "loss"),
    "epoch_loss": ("Loss per epoch (solid train, dashed validation)", "epoch", "loss"),
    "epoch_score": ("Accuracy per epoch (solid train, dashed validation)", "epoch", "accuracy"),
    "lr": ("Learning rate", "step", "learning rate"),
}
# The score chart shows how good the current run's task is: accuracy, or R² for a regression
# (the trainer measures R² on the validation split only). Runs of the other task hide there.
SCORE_CHARTS = {
    "classification": CHARTS["epoch_score"],
    "regression": ("Validation R² per epoch", "epoch", "R²"),
}
R2_FLOOR = -1.0  # an early R² of -40 would flatten the part of the curve worth reading
# curve -> (chart, style); epoch metric curves are keyed by the metric name
CURVES = {
    "raw": ("step_loss", "faint"), "ema": ("step_loss", "solid"), "lr": ("lr", "solid"),
    "train_loss": ("epoch_loss", "marked"), "val_loss": ("epoch_loss", "dashed"),
    "train_accuracy": ("epoch_score", "marked"), "val_accuracy": ("epoch_score", "dashed"),
    "val_r2": ("epoch_score", "dashed"),
}
EPOCH_CURVES = [name for name, (chart, _) in CURVES.items() if CHARTS[chart][1] == "epoch"]
# A run with several Outputs also reports each one's loss (train_<output>_loss,
# val_<output>_loss) and, with typed targets, each one's metrics (val_[<output>_]<metric>):
# they get curves of their own, labelled at their last point.
METRICS = sorted({m for ms in TARGET_METRICS.values() for m in ms}, key=len, reverse=True)
ACRONYMS = {"iou": "IoU", "epe": "EPE", "psnr": "PSNR", "mse": "MSE"}
LABEL_PX = 100  # room right of the epoch charts for the curves' names
MARKERS = ("s", "d", "t1", "star", "p", "h")  # one marker per Output of a run
PER_OUTPUT_SCORE = ("Validation metric of each Output per epoch", "epoch", "metric")


def output_curve(key: str) -> tuple[str, str, str] | None:
    """(chart, style, label) of a per-Output epoch metric, or None for any other key."""
    if key in CURVES:
        return None
    for split in ("train", "val"):
        if key.startswith(f"{split}_") and key.endswith("_loss") and len(key) > len(split) + 6:
            name = key[len(split) + 1:-len("_loss")]
            return "epoch_loss", "marked" if split == "train" else "dashed", name
    if key.startswith("val_") and key not in ("val_mse", "val_top5"):
        metric = next((m for m in METRICS if key.endswith(m)), None)
        if metric is not None:
            words = key[4:].split("_")
            return "epoch_score", "dashed", " ".join(ACRONYMS.get(w, w) for w in words)
    return None


class RunCurves:
    """One run: its buffers and the items drawing them."""

    def __init__(self, run_id: int, label: str, colour: str, charts: dict[str, pg.PlotItem]):
        self.run_id, self.label, self.colour = run_id, label, colour
        self.task = "classification"  # known once the data is loaded
        self.buffers: dict[str, GrowingBuffer] = {
            name: EmaBuffer() if name == "ema" else GrowingBuffer() for name in CURVES}
        self.items: dict[str, pg.PlotDataItem] = {}
        self.chart_of = {name: chart for name, (chart, _style) in CURVES.items()}
        self.labels: dict[str, pg.TextItem] = {}  # per-Output curves, named at their end
        self._markers: dict[str, str] = {}  # label -> its curves' marker
        self._charts = charts
        for name, (chart, style) in CURVES.items():
            item = pg.PlotDataItem(name=label, **_style(colour, style))
            charts[chart].addItem(item)
            self.items[name] = item
        self.dirty: set[str] = set()
        self.visible = True
        self.planned_steps = 0  # known once the Trainer has Started
        self.planned_epochs = 0

    @property
    def steps(self) -> int:
        return self.buffers["raw"].size

    def add_steps(self, steps, losses, lrs) -> None:
        for name, ys in (("raw", losses), ("ema", losses), ("lr", lrs)):
            self.buffers[name].extend(steps, ys)
            self.dirty.add(name)

    @property
    def has_output_metrics(self) -> bool:
        return any(chart == "epoch_score" for name, chart in self.chart_of.items()
                   if name not in CURVES)

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        for name in EPOCH_CURVES + [k for k in metrics if output_curve(k)]:
            value = metrics.get(name)
            if isinstance(value, (int, float)):
                if name not in self.buffers:
                    self._add_output_curve(name)
                self.buffers[name].append(epoch, value)
                self.dirty.add(name)

    def _add_output_curve(self, key: str) -> None:
        """A curve for one Output's loss or metric; the total loss is labelled as well."""
        chart, style, label = output_curve(key)
        marker = self._markers.setdefault(label, MARKERS[len(self._markers) % len(MARKERS)])
        look = _style(self.colour, style)
        look["pen"].setWidthF(1.2)
        look["symbol"] = marker
        item = pg.PlotDataItem(name=f"{self.label} {label}", **look)
        self._charts[chart].addItem(item)
        self.items[key], self.chart_of[key], self.buffers[key] = item, chart, GrowingBuffer()
        if key.startswith("val_") and chart == "epoch_loss":
            return  # the train curve names the Output
        self.labels[key] = self._label(chart, label)
        if chart == "epoch_loss" and "train_loss" not in self.labels:
            self.labels["train_loss"] = self._label(chart, "total")
        if chart == "epoch_score" and self.buffers["val_accuracy"].size and \
                "val_accuracy" not in self.labels:  # the first Output's, scored as the task
            first = next((lab for lab in self._markers if lab != label), "")
            self.labels["val_accuracy"] = self._label(chart, f"{first} accuracy".strip())

    def _label(self, chart: str, text: str) -> pg.TextItem:
        item = pg.TextItem(text, color=self.colour, anchor=(0, 0.5))
        item.chart = chart
        self._charts[chart].addItem(item, ignoreBounds=True)
        return item

    def flush(self) -> None:
        """One setData per changed curve (and its label moved to its last point)."""
        for name in self.dirty:
            buf = self.buffers[name]
            self.items[name].setData(buf.x, buf.y)
            if name in self.labels and buf.size:
                self.labels[name].setPos(float(buf.x[-1]) + 0.05, float(buf.y[-1]))
        self.dirty.clear()

    def set_visible(self, visible: bool, score_task: str) -> None:
        """Show or hide everywhere; on the score chart only if it plots this run's task."""
        self.visible = visible
        for name, item in self.items.items():
            item.setVisible(visible and (self.chart_of[name] != "epoch_score"
                                         or name not in CURVES or self.task == score_task))
        for label in self.labels.values():
            label.setVisible(visible)

    def remove(self) -> None:
        for name, item in self.items.items():
            self._charts[self.chart_of[name]].removeItem(item)
        for name, label in self.labels.items():
            self._charts[self.chart_of[name]].removeItem(label)


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
            for side in ("left", "bottom"):  # major grid lines only: minor ones cost a lot
                chart.getAxis(side).setStyle(maxTickLevel=0)
            chart.setMenuEnabled(False)
            chart.vb.disableAutoRange()
            chart.vb.sigRangeChangedManually.connect(lambda *_a, k=key: self._manual.add(k))
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
        self.task = "classification"  # whose score the score chart shows
        self._ranges: dict[tuple[str, str], tuple[float, float]] = {}  # (chart, axis) -> set
        self._manual: set[str] = set()  # charts the user zoomed or panned: left alone
        self._next_frame = 0.0
        self._frame_cost: float | None = None
        self._next_id = 1
        # One-shot, armed only when data arrives: an idle chart never wakes the GUI thread,
        # and a training run on all cores is interrupted once per frame, not 30 times a second.
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.flush)
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
        run.task = self.task
        self.runs.append(run)
        pix = QPixmap(12, 12)
        pix.fill(QColor(run.colour))
        item = QListWidgetItem(QIcon(pix), run.label)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        item.setData(Qt.ItemDataRole.UserRole, run_id)
        self.run_list.addItem(item)
        self._manual.clear()
        return run

    def drop(self, label: str) -> None:
        """Forget the curves labelled `label` (a run that is resumed draws them anew)."""
        for i, run in enumerate(self.runs):
            if run.label == label:
                run.remove()
                self.runs.pop(i)
                self.run_list.takeItem(i)
                return

    def clear(self) -> None:
        """Forget every run: another project is open."""
        for run in self.runs:
            run.remove()
        self.runs.clear()
        self.run_list.clear()
        self._next_id = 1
        self._ranges.clear()
        self._manual.clear()
        for chart in self.charts.values():  # empty axes, not the last project's ranges
            chart.vb.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)

    def set_history(self, history: list[dict]) -> None:
        """The current run's finished epochs (a reloaded or resumed run)."""
        for metrics in history:
            self.add_epoch(int(metrics["epoch"]), metrics)

    def set_plan(self, total_steps: int, epochs: int) -> None:
        """The current run's length: x axes span it from the start, so they stay still."""
        if self.current is not None:
            self.current.planned_steps, self.current.planned_epochs = total_steps, epochs
            self._fit_x()

    def set_task(self, task: str) -> None:
        """The current run's task, once its data is loaded: the score chart follows it."""
        if self.current is not None:
            self.current.task = task
        if task != self.task:
            self.task = task
            self._style_score()
            self._ranges.pop(("epoch_score", "y"), None)
        for run in self.runs:
            run.set_visible(run.visible, task)
        self._fit_y("epoch_score")

    def add_steps(self, steps, losses, lrs) -> None:
        if self.current is not None:
            self.current.add_steps(steps, losses, lrs)
            self._schedule()

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        if self.current is not None:
            had = self.current.has_output_metrics
            self.current.add_epoch(epoch, metrics)
            if self.current.has_output_metrics != had:
                self._style_score()
            self._schedule()

    def _style_score(self) -> None:
        """The score chart's titles: the task's score, or each Output's metrics."""
        per_output = any(run.has_output_metrics for run in self.runs)
        style_plot(self.charts["epoch_score"], self,
                   *(PER_OUTPUT_SCORE if per_output else SCORE_CHARTS[self.task]))

    def _schedule(self) -> None:
        """Draw at the next frame slot (at most ~30 Hz, fewer when frames are costly)."""
        if not self._timer.isActive():
            wait = (self._next_frame - time.perf_counter()) * 1000
            self._timer.start(max(FRAME_MS, int(wait)))

    def flush(self, force: bool = False) -> None:
        """Timer tick: redraw the curves that got data since the last frame, if shown.

        Drawing holds the GIL, so it stalls the training thread: frames are spaced so that
        they take about DUTY of the time (15 ms frames -> one or two a second). `force`
        draws now regardless: the last frame of a run."""
        dirty = [run for run in self.runs if run.dirty]
        now = time.perf_counter()
        if not dirty or not self.isVisible():
            return  # hidden: showEvent draws what arrived meanwhile
        if now < self._next_frame and not force:
            self._schedule()
            return
        cpu = time.thread_time()  # not wall time: that counts waiting for the GIL as well
        charts = {run.chart_of[name] for run in dirty for name in run.dirty}
        self._fit_x()
        for key in charts:
            self._fit_y(key)
        for run in dirty:
            run.flush()
        for key in charts:
            self._spread_labels(key)
        self.graphics.viewport().repaint()  # now, so that its cost is known
        cost = time.thread_time() - cpu
        self._frame_cost = cost if self._frame_cost is None else \
            0.8 * self._frame_cost + 0.2 * cost  # one slow first frame must not stall the rest
        wait = min(max(FRAME_MS, 1000 * self._frame_cost / DUTY), SLOWEST_MS)
        self._next_frame = now + wait / 1000
        self.redrawn.emit()

    def _spread_labels(self, key: str) -> None:
        """Curve names on one chart, moved apart vertically so that none covers another."""
        labels = sorted(((label, run.buffers[name].y[-1]) for run in self.runs
                         for name, label in run.labels.items()
                         if run.chart_of[name] == key and label.isVisible()
                         and run.buffers[name].size), key=lambda pair: pair[1])
        vb = self.charts[key].vb
        (_x0, _x1), (y0, y1) = vb.viewRange()
        gap = (y1 - y0) * 14 / max(vb.height(), 1.0)  # one line of text, in data units
        floor, placed = -float("inf"), []
        for _label, y in labels:
            floor = max(float(y), floor + gap)
            placed.append(floor)
        ceiling = y1 - gap / 2  # ...and down from the top where they would leave the chart
        for (label, _y), y in reversed(list(zip(labels, placed))):
            ceiling = min(y, ceiling)
            label.setPos(label.pos().x(), ceiling)
            ceiling -= gap

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._next_frame = 0.0
        self.flush()  # what arrived while hidden

    # ---- ranges: set by hand and rarely, since every axis change re-lays out its ticks --
    def _set_range(self, key: str, axis: str, lo: float, hi: float) -> None:
        if key in self._manual or self._ranges.get((key, axis)) == (lo, hi):
            return
        self._ranges[key, axis] = (lo, hi)
        vb = self.charts[key].vb
        (vb.setXRange if axis == "x" else vb.setYRange)(lo, hi, padding=0)

    def _fit_x(self) -> None:
        shown = [run for run in self.runs if run.visible]
        steps = max((max(r.planned_steps, r.steps) for r in shown), default=0)
        epochs = max((max(r.planned_epochs, r.buffers["train_loss"].size) for r in shown),
                     default=0)
        for key, (_title, xlabel, _ylabel) in CHARTS.items():
            if xlabel == "epoch":
                named = any(lab.chart == key for run in shown for lab in run.labels.values())
                width = self.charts[key].vb.width()  # ~100 px on the right for curve names
                room = max(epochs, 1) * LABEL_PX / max(width - LABEL_PX, LABEL_PX) if named else 0
                self._set_range(key, "x", 0.5, max(epochs, 1) + 0.5 + room)
            elif steps:
                self._set_range(key, "x", -0.02 * steps, 1.02 * steps)

    def _fit_y(self, key: str) -> None:
        """Grow to fit the data; shrink only once the data fills less than 1/SLACK of it."""
        bufs = [run.buffers[name] for run in self.runs for name, chart in run.chart_of.items()
                if chart == key and run.items[name].isVisible() and run.buffers[name].size]
        if not bufs:
            return
        lo, hi = min(b.min for b in bufs), max(b.max for b in bufs)
        if key == "lr":
            lo = 0.0
        elif key == "epoch_score":
            lo = max(lo, min(R2_FLOOR, hi))
        if not (-float("inf") < lo <= hi < float("inf")):
            return
        pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 0.05
        lo, hi = (0.0 if key == "lr" else lo - pad), hi + pad
        current = self._ranges.get((key, "y"))
        if current and current[0] <= lo and hi <= current[1] and \
                current[1] - current[0] <= SLACK * (hi - lo):
            return
        self._set_range(key, "y", lo, hi)

    # ---- interaction ----------------------------------------------------------------
    def _run_toggled(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        for run in self.runs:
            if run.run_id == run_id:
                run.set_visible(item.checkState() == Qt.CheckState.Checked, self.task)
        self._fit_x()
        for key in CHARTS:
            self._fit_y(key)

    def _mouse_moved(self, pos) -> None:
        for key, chart in self.charts.items():
            hair = self._crosshairs[key]
            if not chart.sceneBoundingRect().contains(pos):
                hair.hide()
                continue
            x = chart.vb.mapSceneToView(pos).x()
            lines = []
            for run in self.runs:
                for name in [n for n, c in run.chart_of.items() if c == key and n != "raw"]:
                    if not run.items[name].isVisible():
                        continue
                    point = run.buffers[name].value_at(x)
                    if point is not None:
                        lines.append(f"<span style='color:{run.colour}'>{run.label}</span> "
                                     f"{name.replace('_', ' ').replace('r2', 'R²')}: {point[1]:.4g} "
                                     f"@ {CHARTS[key][1]} {point[0]:g}")
            hair.show_at(x, lines)

    # ---- palette --------------------------------------------------------------------
    def apply_palette(self) -> None:
        """Follow the system light/dark palette instead of pyqtgraph's fixed black."""
        bg, fg = palette_colours(self)
        self.graphics.setBackground(bg)
        for key, chart in self.charts.items():
            if key != "epoch_score":
                style_plot(chart, self, *CHARTS[key])
            chart.getAxis("left").setWidth(64)
            self._crosshairs[key].set_colours(bg, fg)
        self._style_score()

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
        (x0, x1), (_y0, y1) = self.chart.vb.viewRange()
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
