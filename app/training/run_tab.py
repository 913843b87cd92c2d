"""The Run tab: run controls, progress with ETA, banners for failures and stale runs, live plots."""

from __future__ import annotations

import time

from netcanvas.app.training.layouts import column
from netcanvas.app.training.plots import LivePlotsPanel
from netcanvas.app.training.worker import DataProgress
from netcanvas.backend.training.events import EpochEnded, Started, Steps
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

PROGRESS_EVERY_S = 0.5

FAILURE_TITLES = {
    "nan": "The loss became NaN or infinite",
    "oom": "Out of memory",
    "shape": "A shape did not fit",
    "data": "The data could not be used",
    "error": "Training failed",
}


def _banner(border: str) -> QLabel:
    """A framed message in the palette's text colour (only the border is tinted)."""
    label = QLabel(wordWrap=True, visible=False)
    label.setStyleSheet(f"QLabel {{ border: 2px solid {border}; border-radius: 4px; "
                        "padding: 4px; }")
    return label


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RunTab(QWidget):
    def __init__(self, train_action, pause_action, stop_action, resume_action,
                 parent=None) -> None:
        super().__init__(parent)
        buttons = QHBoxLayout()
        for action in (train_action, pause_action, stop_action, resume_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            buttons.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.progress.setTextVisible(True)
        buttons.addWidget(self.progress, 1)
        self.info = QLabel()
        self.stale_banner = _banner("#ff7f0e")
        self.stale_banner.setText("The graph changed since this run started: the run shows the "
                                  "graph as it was when you pressed Train.")
        self.failure_banner = _banner("#d62728")
        self.plots = LivePlotsPanel()
        column(buttons, self.info, self.stale_banner, self.failure_banner, (self.plots, 1), on=self)
        self._t0 = 0.0
        self._before = 0.0  # seconds a resumed run had trained before
        self._shown = 0.0  # when the progress bar was last updated
        self._epochs = 0

    def follow(self, workspace) -> None:
        """Show the running job's events as the workspace publishes them: its progress and
        the live plots' curves (the dock drives only the run's start, end, failure and
        pause)."""
        workspace.on_events({Steps: self.steps, EpochEnded: self.epoch_ended,
                             DataProgress: self.data_progress,
                             Started: lambda ev: self.started(ev, workspace.job.dataset.task)})

    # ---- run lifecycle, driven by the dock --------------------------------------------
    def reset(self) -> None:
        """Another project: none of this one's runs, banners or progress stays."""
        self.failure_banner.hide()
        self.stale_banner.hide()
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.info.setText("")
        self.plots.clear()

    def show_history(self, run) -> None:
        """A run of this project from an earlier session: its epoch curves."""
        self.plots.begin_run(f"run {run.number}")
        self.plots.set_history(run.history)
        self.plots.flush(force=True)
        self.info.setText(f"Last run: run {run.number}, {run.state}")

    def run_started(self, label: str, history: list[dict] | None = None) -> None:
        """A run begins; `history`, for a resumed run, its finished epochs: it continues its
        own curves and its own clock."""
        self._before = sum(h.get("seconds", 0.0) for h in history or [])
        self._t0 = time.monotonic() - self._before
        self.failure_banner.hide()
        self.stale_banner.hide()
        self.progress.setValue(0)
        self.progress.setFormat("loading data…")
        self.info.setText("")
        self.plots.drop(label)
        self.plots.begin_run(label)
        if history:
            self.plots.set_history(history)

    def started(self, ev, task: str) -> None:
        self._t0 = time.monotonic() - self._before
        self._epochs = ev.epochs
        self.plots.set_task(task)
        self.plots.set_plan(ev.epochs * ev.steps_per_epoch, ev.epochs)
        self.info.setText(f"Training on {ev.device} · {ev.num_params:,} parameters · "
                          f"{ev.epochs} epochs of {ev.steps_per_epoch} steps")
        self.progress.setFormat("starting…")

    def steps(self, ev) -> None:
        self.plots.add_steps(ev.steps, ev.losses, ev.lrs)
        now = time.monotonic()
        if now - self._shown < PROGRESS_EVERY_S:
            return  # the bar's text repaints are not free either
        self._shown = now
        elapsed = now - self._t0
        p = max(0.0, min(1.0, ev.progress))
        eta = elapsed * (1 - p) / p if p > 0 else 0.0
        self.progress.setValue(int(p * 1000))
        self.progress.setFormat(f"epoch {ev.epoch}/{self._epochs} · {p:.0%} · ETA "
                                f"{_duration(eta)} · {ev.samples_per_sec:,.0f} samples/s")

    def data_progress(self, ev) -> None:
        if ev.total > 0:
            self.progress.setValue(int(1000 * ev.done / ev.total))
        self.progress.setFormat(ev.message or "loading data…")

    def epoch_ended(self, ev) -> None:
        self.plots.add_epoch(ev.epoch, ev.metrics)

    def ended(self, result, run) -> None:
        """The run is over: finished, stopped or failed; `run` says how far it got."""
        self.plots.flush(force=True)
        elapsed = _duration(time.monotonic() - self._t0)
        kept = (f" · run {run.number} kept: use Resume to continue" if run.can_resume
                else "")
        if result is None or result.failed is not None or result.cancelled:
            self.progress.setFormat(f"{run.state} · after {elapsed}{kept}")
        else:
            self.progress.setValue(1000)
            test = result.test_metrics
            summary = ", ".join(f"{k} {v:.4g}" for k, v in test.items()
                                if k in ("loss", "accuracy", "mse", "mae", "r2"))
            weights = (f"epoch {result.best_epoch}, best" if result.best_epoch
                       else "last epoch")
            self.progress.setFormat(f"finished in {elapsed} · test split ({weights}): {summary}")

    def failed(self, ev) -> str:
        """Show the failure; returns the one-line text for the status bar."""
        title = FAILURE_TITLES.get(ev.kind, FAILURE_TITLES["error"])
        where = []
        if ev.node:
            where.append(f"at node <b>{ev.node}</b> (selected on the canvas)")
        if ev.step:
            where.append(f"at step {ev.step}")
        self.failure_banner.setText(f"<b>{title}</b> {' '.join(where)}<br>{ev.message}<br>"
                                    "<i>The graph is unchanged; fix the cause and train again.</i>")
        self.failure_banner.show()
        return f"{title}: {ev.message}"

    def set_stale(self, stale: bool) -> None:
        self.stale_banner.setVisible(stale)

    def paused(self, paused: bool) -> None:
        if paused:
            self.progress.setFormat("paused · " + self.progress.format())
