"""The "Fool it" tab: FGSM as in the course on the shown run, x + ε·sign(∇ₓJ) beside x and the
step, each with its prediction; PGD and targeted attacks; and test accuracy under attack
against ε for the shown run and another (plain vs adversarially trained).

All the work is backend/insight/adversarial.py's, done in worker threads; this module only
shows its results. Nothing is computed until the tab is shown.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from netcanvas.app.training.colours import colour, legend_beside, palette_colours, style_plot
from netcanvas.app.training.image_grid import pixmap
from netcanvas.app.training.layouts import STRETCH, column, fill, row
from netcanvas.app.workers import Latest, error_line
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QWidget,
)

EPS_STEP = 0.005  # the slider's resolution, raw units
EPS_MAX = 0.3
CHART_EPS = [round(i * 0.05, 2) for i in range(7)]  # 0 … 0.3
IMAGE_SIZE = 150
NO_RUN = "Train a classifier to see how easily it is fooled."


def prepare(run, dataset=None):
    """(predictor, raw test samples, labels) of a run: what every attack here needs."""
    from netcanvas.backend.insight.adversarial import check_model
    from netcanvas.backend.insight.predict import from_run

    predictor = from_run(run)
    check_model(predictor.model)
    raw, labels = predictor.test_samples(dataset)
    return predictor, raw, labels


def _line(exc: Exception) -> str:
    """Why an attack failed, in one line (a model the attack cannot take says so)."""
    return error_line(exc, (RuntimeError, ValueError)).splitlines()[0]


def key(run) -> tuple:
    """What the caches know a run by: its folder and how far it trained (a resumed run's
    weights differ; another project's run 2 is another run)."""
    return str(run.folder), run.epochs_done, run.best_epoch


def _image(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(C, H, W) values in [lo, hi] -> uint8 (H, W, C), the same scale for every image."""
    scaled = (np.asarray(x, dtype=np.float32) - lo) / (hi - lo)
    return np.ascontiguousarray((scaled.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))


class FoolTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = None
        self.runs: list = []
        self.dataset = None  # the run's dataset when the dock has it loaded
        self.prepared: dict[tuple, tuple] = {}  # run key -> (predictor, raw, labels)
        self.curves: dict[tuple, dict[str, list[float]]] = {}  # run key -> method -> accuracy
        self.result = None  # the last SampleAttack shown
        self._stale = False
        # the work, on Workers: the newest request of each kind runs next
        self._preparing = Latest(self, self._prepared, self._not_prepared)
        self._attacking = Latest(self, self._show, self._say)
        self._charting = Latest(self, self._chart_done, self._chart_failed)

        self.sample = QSpinBox(minimum=0, maximum=0)
        self.method = QComboBox()
        self.method.addItem("FGSM (one step)", "fgsm")
        self.method.addItem("PGD (10 projected steps)", "pgd")
        self.target = QComboBox()
        self.target.setToolTip("Untargeted: push away from the true class. A class: pull the "
                               "prediction toward it (−ε·sign of its loss gradient)")
        self.target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0,
                              maximum=round(EPS_MAX / EPS_STEP), value=round(0.1 / EPS_STEP))
        self.eps_label = QLabel()
        self.units = QLabel(wordWrap=True)
        self.compare = QComboBox()
        self.compare.setToolTip("Another run of this project to compare under attack, e.g. "
                                "one trained with adversarial examples (Settings)")
        for widget in (self.sample, self.slider):
            widget.valueChanged.connect(self.attack)
        for combo in (self.method, self.target):
            combo.currentIndexChanged.connect(self.attack)
        self.slider.valueChanged.connect(self._move_marker)
        self.compare.currentIndexChanged.connect(self.update_chart)
        self.status = QLabel(NO_RUN, wordWrap=True)
        self.source = QLabel(wordWrap=True)  # which run is attacked

        self.pictures = [QLabel(alignment=Qt.AlignmentFlag.AlignCenter) for _ in range(3)]
        self.captions = [QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
                         for _ in range(3)]
        images = QGridLayout()
        for i, (picture, caption) in enumerate(zip(self.pictures, self.captions)):
            picture.setMinimumSize(IMAGE_SIZE, IMAGE_SIZE)
            images.addWidget(picture, 0, 2 * i)
            images.addWidget(caption, 1, 2 * i, Qt.AlignmentFlag.AlignTop)
            caption.setMinimumWidth(IMAGE_SIZE + 40)
        for col, sign in ((1, "+ ε ·"), (3, "=")):
            images.addWidget(QLabel(sign, alignment=Qt.AlignmentFlag.AlignCenter), 0, col)

        self.graph = pg.PlotWidget()
        self.plot = self.graph.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.legend = legend_beside(self.plot, below=True)
        self.marker = pg.InfiniteLine(angle=90, movable=False)
        self._style()

        controls = row(QLabel("Test sample"), self.sample, QLabel("Attack"), self.method,
                       QLabel("Target class"), self.target, STRETCH)
        eps_row = row(QLabel("ε"), (self.slider, 1), self.eps_label)
        left = column(self.source, controls, eps_row, self.units, images, self.status, STRETCH)
        right = column(row(QLabel("Compare with"), (self.compare, 1)), (self.graph, 1))
        fill(QHBoxLayout(self), (left, 3), (right, 2))
        self._show_eps()
        self._enable(False)

    def _style(self) -> None:
        bg, fg = palette_colours(self)
        self.graph.setBackground(bg)
        style_plot(self.plot, self, "Test accuracy under attack", "ε (raw-input units)",
                   "accuracy")
        self.marker.setPen(pg.mkPen(fg, style=Qt.PenStyle.DotLine))
        self.legend.setLabelTextColor(fg)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._style()
        super().changeEvent(event)

    @property
    def eps(self) -> float:
        return round(self.slider.value() * EPS_STEP, 6)

    def _enable(self, on: bool) -> None:
        for w in (self.sample, self.method, self.target, self.slider, self.compare):
            w.setEnabled(on)

    # ---- which run -------------------------------------------------------------------
    def follow(self, workspace) -> None:
        """Attack the workspace's shown run, compared with the project's other runs, on its
        dataset when that is loaded: the run it holds now, then each next one."""
        def show(run) -> None:
            self.set_run(run, workspace.runs.runs if workspace.runs is not None else [],
                         workspace.dataset_for(run.project) if run is not None else None)

        workspace.subscribe("shown", show)
        show(workspace.shown)

    def set_run(self, run, runs=(), dataset=None) -> None:
        """Attack `run` (None: nothing to attack); `runs` are the project's, to compare with.
        Work starts when the tab is shown."""
        self.run, self.dataset = run, dataset
        self.runs = [r for r in runs if r.usable]
        keys = {key(r) for r in self.runs}
        self.prepared = {k: p for k, p in self.prepared.items() if k in keys}
        self.curves = {k: c for k, c in self.curves.items() if k in keys}
        self.compare.blockSignals(True)
        self.compare.clear()
        self.compare.addItem("no other run", None)
        others = [r for r in self.runs if run is None or r.number != run.number]
        for other in reversed(others):
            self.compare.addItem(self._name(other), key(other))
            self.compare.setItemData(self.compare.count() - 1, other.label,
                                     Qt.ItemDataRole.ToolTipRole)
        self.compare.setCurrentIndex(1 if others else 0)
        self.compare.blockSignals(False)
        self.result = None
        for picture, caption in zip(self.pictures, self.captions):
            picture.clear()
            caption.clear()
        self.plot.clear()
        self.plot.addItem(self.marker)
        self._enable(False)
        self.status.setText(NO_RUN if run is None else f"Loading {run.label}…")
        self._stale = run is not None
        self.source.setText("" if run is None else
                            f"Attacking <b>{run.label}</b> ({self._how(run)})")
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def hideEvent(self, event) -> None:
        """Stop charting while hidden; showing the tab again finishes the chart."""
        super().hideEvent(event)
        if self._charting.busy:
            self._charting.cancel()
            self._stale = self.run is not None

    def refresh(self) -> None:
        self._stale = False
        run = self.run
        if run is None:
            return
        if key(run) in self.prepared:
            self._prepared(run, self.prepared[key(run)])
            return
        self._preparing.request(prepare, run, self.dataset, context=run)

    def _not_prepared(self, run, exc: Exception) -> None:
        if run is self.run:
            self.status.setText(f"Cannot attack {run.label}: {_line(exc)}")

    def _prepared(self, run, prepared) -> None:
        self.prepared[key(run)] = prepared
        if run is not self.run:
            return
        predictor, _raw, labels = prepared
        self.sample.setMaximum(len(labels) - 1)
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItem("none", None)
        for i, name in enumerate(predictor.class_names):
            self.target.addItem(name, i)
        self.target.blockSignals(False)
        self.units.setText(self._units(predictor))
        self._enable(True)
        self.attack()
        self.update_chart()

    @staticmethod
    def _units(predictor) -> str:
        if not predictor.is_image:
            return "ε is in the units of the input features, before normalisation."
        scale = predictor.data.input_scale
        files = f"; 1 = {1 / scale:g} levels in the data's files" if scale and scale != 1 else ""
        return (f"ε in raw-input units (pixels in [0,\u00a01]{files}), before "
                "normalisation; attacked pixels stay in [0,\u00a01].")

    # ---- one sample --------------------------------------------------------------------
    def attack(self) -> None:
        """Attack the chosen sample with the chosen ε, method and target (in a thread; a
        change while one runs is attacked as soon as it ends)."""
        self._show_eps()
        if self.run is None or key(self.run) not in self.prepared:
            return
        from netcanvas.backend.insight.adversarial import attack_sample

        predictor, raw, labels = self.prepared[key(self.run)]
        index, eps = self.sample.value(), self.eps
        method, target = self.method.currentData(), self.target.currentData()
        self._attacking.request(attack_sample, predictor, raw[index], int(labels[index]), eps,
                                method, target, context=(index, eps, method, target))

    def _say(self, _context, exc: Exception) -> None:
        self.status.setText(_line(exc))

    def _show(self, context, a) -> None:
        index, eps, method, target = context
        self.result = a
        predictor, _raw, labels = self.prepared[key(self.run)]
        names = predictor.class_names
        label = int(labels[index])
        lo, hi = predictor.valid_range or (min(a.x.min(), a.x_adv.min()),
                                           max(a.x.max(), a.x_adv.max()))
        step = ("(x′ − x) / ε, PGD's perturbation" if method == "pgd" else
                "−sign(∇ₓJ(x, target))" if target is not None else "sign(∇ₓJ(θ, x, y))")
        texts = [(f"<b>x</b>: test sample {index}, label {names[label]}<br>"
                 f"predicted <b>{names[a.predicted]}</b> ({a.probs.max():.1%})"),
                 f"<b>{step}</b><br>−1 black · 0 grey · +1 white",
                 (f"<b>x + ε·step</b>, ε = {eps:g}<br>predicted "
                 f"<b>{names[a.predicted_adv]}</b> ({a.probs_adv.max():.1%})")]
        if target is not None:
            texts[2] += f"<br>target {names[target]}: {a.probs[target]:.1%} → " \
                        f"{a.probs_adv[target]:.1%}"
        if predictor.is_image:
            for picture, values, (l, h) in zip(self.pictures, (a.x, a.direction, a.x_adv),
                                               ((lo, hi), (-1.0, 1.0), (lo, hi))):
                picture.setPixmap(pixmap(_image(values, l, h), IMAGE_SIZE))
        else:
            for picture, values in zip(self.pictures, (a.x, a.direction, a.x_adv)):
                picture.setText("(" + ", ".join(f"{v:.3g}" for v in values.reshape(-1)) + ")")
        for caption, text in zip(self.captions, texts):
            caption.setText(text)
        fooled = a.predicted_adv != label if target is None else a.predicted_adv == target
        self.status.setText(("Fooled: " if fooled else "Not fooled at this ε: ")
                            + f"{names[label]} is now read as {names[a.predicted_adv]}.")

    def _show_eps(self) -> None:
        self.eps_label.setText(f"{self.eps:.3f}")

    def _move_marker(self) -> None:
        self.marker.setValue(self.eps)

    # ---- accuracy under attack ---------------------------------------------------------
    def update_chart(self) -> None:
        """Accuracy against ε, FGSM and PGD, for the shown run and the one compared."""
        if self.run is None or key(self.run) not in self.prepared:
            return
        shown = [key(self.run)] + ([self.compare.currentData()]
                                   if self.compare.currentData() is not None else [])
        self._draw()
        missing = [k for k in shown if k not in self.curves]
        if not missing:
            return
        self._charting.cancel()  # a computation under way is for other runs
        runs = {key(r): r for r in (*self.runs, self.run)}
        prepared = dict(self.prepared)
        dataset = self.dataset

        def chart():
            from netcanvas.backend.insight.adversarial import accuracy_under_attack

            found = {}
            for k in missing:
                parts = prepared.get(k) or prepare(runs[k], dataset)
                curves = {m: [] for m in ("fgsm", "pgd")}
                for method, accuracy in curves.items():
                    for eps in CHART_EPS:
                        if self._charting.running.cancelled:
                            return None
                        accuracy += accuracy_under_attack(*parts, [eps], method)
                found[k] = (parts, curves)
            return found

        self._charting.request(chart)
        self.plot.setTitle("Test accuracy under attack (computing…)")

    def _chart_failed(self, _context, exc: Exception) -> None:
        self.plot.setTitle(f"Cannot compute the accuracy under attack: {_line(exc)}")

    def _chart_done(self, _context, found) -> None:
        if found is None:  # cancelled: a newer computation is under way
            return
        for k, (parts, curves) in found.items():
            self.prepared.setdefault(k, parts)
            self.curves[k] = curves
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.plot.addItem(self.marker)
        self._move_marker()
        shown = [key(self.run), self.compare.currentData()]
        runs = {key(r): r for r in (*self.runs, self.run)}
        for k in shown:
            curves = self.curves.get(k)
            if curves is None:
                continue
            run = runs[k]
            for method, style in (("fgsm", Qt.PenStyle.SolidLine), ("pgd", Qt.PenStyle.DashLine)):
                pen = pg.mkPen(colour(run.number - 1), width=2, style=style)
                self.plot.plot(CHART_EPS, curves[method], pen=pen, symbol="o", symbolSize=4,
                               symbolBrush=colour(run.number - 1),
                               name=f"{self._name(run)} {method.upper()}")
        self.plot.setYRange(0.0, 1.0, padding=0.02)
        self.plot.setXRange(0.0, EPS_MAX, padding=0.02)
        waiting = any(k is not None and k not in self.curves for k in shown)
        _bg, fg = palette_colours(self)
        self.plot.setTitle("Test accuracy under attack" + (" (computing…)" if waiting else ""),
                           color=fg.name(), size="9pt")

    def _name(self, run) -> str:
        """'run 2 (plain)', 'run 3 (FGSM-trained, ε 0.1)'."""
        return f"run {run.number} ({self._how(run)})"

    @staticmethod
    def _how(run) -> str:
        s = run.project.training
        return ("plain" if s.adversarial == "none" else
                f"{s.adversarial.upper()}-trained, ε {s.adversarial_eps:g}")

    def shutdown(self) -> None:
        for jobs in (self._preparing, self._attacking, self._charting):
            jobs.cancel()
            if jobs.running is not None:
                jobs.running.wait(5000)
