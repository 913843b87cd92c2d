"""The training job: loads the data, runs the Trainer on a detached copy of the project, sends
plain payloads. It runs on a `Worker` (app/workers.py).

The job never touches widgets or the live document, and its arithmetic is backend calls.
Everything it sends is a plain Python object (the Trainer's events, or the small dataclasses
below holding numpy arrays); Qt queues them to the GUI thread because the receivers live there.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from netcanvas.backend.project import Project
from netcanvas.backend.training.events import EpochEnded, LayerStats, Steps

log = logging.getLogger(__name__)
BOUNDARY_GRID = 80  # grid points per axis for the live decision boundary
BOUNDARY_EVERY_S = 0.4  # at most this often, plus once at every epoch end
BATCH_EVERY_S = 0.2  # Steps and EpochEnded are sent on together at most this often


@dataclass
class DataProgress:
    done: int
    total: int
    message: str


@dataclass
class BoundaryUpdated:
    """Class probabilities (H, W, classes) over the box `extent` = (x0, x1, y0, y1)."""

    probs: np.ndarray
    extent: tuple[float, float, float, float]


@dataclass
class Predictions:
    """The trained model's outputs on the test split, for the evaluation views."""

    outputs: np.ndarray  # (N, classes) probabilities, or (N, *target) regression values


@dataclass
class ClosedForm:
    """Linear regression: rows (name, trained, closed form w*, difference)."""

    rows: list[tuple]


class TrainingJob:
    """One run, as work for a `Worker` (app/workers.py): `run(send)` loads the data, trains
    and evaluates through backend calls, `send`s lists of events in order and returns the
    RunResult, or None when the data never loaded. Plain Python: cancel, pause and resume
    are called from the GUI thread."""

    def __init__(self, project: Project, dataset=None, *, checkpoint_dir=None,
                 resume_from=None, layer_stats: int = 0, tensorboard_dir=None,
                 init_from=None, label: str = "the run") -> None:
        self.label = label  # "run 3": what the views call it while it trains
        self.tensorboard_dir = tensorboard_dir  # TensorBoard event files go here when set
        self.project = project
        self.dataset = dataset
        self.checkpoint_dir, self.resume_from = checkpoint_dir, resume_from
        self.layer_stats = layer_stats  # sample per-layer statistics every N steps; 0 = off
        self.init_from = init_from  # an InitSource: the run starts from these weights
        self._keep = True
        self.result = None
        self._trainer = None
        self._lock = threading.Lock()
        self._cancelled = False
        self._last_boundary = 0.0
        self._boundary = None
        self._pending: list = []
        self._last_sent = 0.0
        self._tensorboard = None
        self._emit = None

    # ---- control, from the GUI thread -----------------------------------------------
    def cancel(self, keep: bool = True) -> None:
        """Stop between steps; `keep` evaluates the completed epochs (a Stop), else the run
        ends as fast as it can (the app is closing)."""
        with self._lock:
            self._cancelled = True
            self._keep = self._keep and keep
            if self._trainer is not None:
                self._trainer.cancel(keep)
                self._trainer.resume()  # a paused run must wake up to see the cancel

    def pause(self) -> None:
        with self._lock:
            if self._trainer is not None:
                self._trainer.pause()

    def resume(self) -> None:
        with self._lock:
            if self._trainer is not None:
                self._trainer.resume()

    # ---- the worker thread ----------------------------------------------------------
    def run(self, send):
        from netcanvas.backend.data import DatasetError, load_dataset
        from netcanvas.backend.runtime.device import use_process_threads
        from netcanvas.backend.training import Failed
        from netcanvas.backend.training.optim import load_optimizer_machinery
        from netcanvas.backend.training.outputs import DecisionBoundary
        from netcanvas.backend.training.remote import trainer_for

        self._emit = send
        use_process_threads()
        load_optimizer_machinery()
        if self.dataset is None:
            try:
                self.dataset = load_dataset(
                    self.project.dataset, progress=self._progress, cancel=lambda: self._cancelled)
            except DatasetError as exc:
                self._send(Failed("data", str(exc)))
                return None
        if DecisionBoundary.applies(self.dataset):
            self._boundary = DecisionBoundary(self.dataset, BOUNDARY_GRID)
        start = {"init_from": self.init_from} if self.init_from is not None else {}
        trainer = trainer_for(self.project, self.dataset, on_event=self._on_event,
                              checkpoint_dir=self.checkpoint_dir, resume_from=self.resume_from,
                              layer_stats=self.layer_stats, **start)
        with self._lock:
            self._trainer = trainer
            if self._cancelled:
                trainer.cancel(self._keep)
        self._tensorboard = _tensorboard_log(self.tensorboard_dir)
        try:
            self.result = trainer.run()  # never raises: faults arrive as a Failed event
        finally:
            if self._tensorboard is not None:
                self._tensorboard.close()
        if self.result.history and self.result.model and self._keep:  # work kept: evaluate
            self._send_evaluation()
        self._send()
        return self.result

    def _send_evaluation(self) -> None:
        from netcanvas.backend.data.matching import has_plain_target
        from netcanvas.backend.runtime.predict import predict_test_split
        from netcanvas.backend.training.closed_form import compare_model, is_linear_regression

        if not has_plain_target(self.dataset):  # typed targets: the worst test samples
            from netcanvas.backend.training.task_views import evaluation
            try:
                samples = evaluation(self.result.model, self.dataset)
            except Exception:
                log.exception("picturing the test split failed")
            else:
                if samples is not None:
                    self._send(samples)
            return
        try:
            outputs = predict_test_split(self.result.model, self.dataset)
        except Exception:
            log.exception("predicting the test split failed")
        else:
            self._send(Predictions(outputs))
        if is_linear_regression(self.project.graph):
            self._send(ClosedForm(compare_model(self.result.model, self.dataset)))

    def _send(self, ev=None) -> None:
        """Queue `ev` for the GUI; send the queue unless `ev` is routine and the last send was
        recent. Short epochs would otherwise wake the GUI thread dozens of times a second,
        and each wake-up takes a core from a run that uses them all."""
        if ev is not None:
            self._pending.append(ev)
        now = time.monotonic()
        routine = isinstance(ev, (Steps, LayerStats, EpochEnded, DataProgress))
        if self._pending and (not routine or now - self._last_sent >= BATCH_EVERY_S):
            self._last_sent = now
            batch, self._pending = self._pending, []
            self._emit(batch)

    def _progress(self, done: int, total: int, message: str) -> None:
        self._send(DataProgress(done, total, message))

    def _on_event(self, ev) -> None:
        """Runs on the worker thread between two steps: the one time the live model may be
        sampled for the decision boundary."""
        self._send(ev)
        if self._tensorboard is not None:
            self._tensorboard(ev)
        if self._boundary is None or not isinstance(ev, (Steps, EpochEnded)):
            return
        now = time.monotonic()
        if isinstance(ev, Steps) and now - self._last_boundary < BOUNDARY_EVERY_S:
            return
        self._last_boundary = now
        try:
            probs = self._boundary.sample(self._trainer)
        except Exception:  # noqa: BLE001 - e.g. outputs that are not class scores
            self._boundary = None
            return
        if probs is not None:
            self._send(BoundaryUpdated(probs, self._boundary.extent))


def _tensorboard_log(logdir):
    """A TensorBoard sink writing into `logdir`, or None (no folder, or no tensorboard)."""
    from netcanvas.backend.training.tensorboard import TensorBoardLog, TensorBoardLogUnavailable

    if logdir is None:
        return None
    try:
        return TensorBoardLog(logdir)
    except (TensorBoardLogUnavailable, OSError) as exc:
        log.info("no TensorBoard log for this run: %s", exc)
        return None
