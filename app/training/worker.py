"""The training thread: loads the data, runs the Trainer on a project snapshot, ships plain payloads.

The thread never touches widgets or the live document. Everything it emits is a plain Python
object (the Trainer's events, or the small dataclasses below holding numpy arrays); Qt queues
them to the GUI thread because the receivers live there.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import project_from_dict, project_to_dict
from netcanvas.backend.training.events import EpochEnded, LayerStats, Steps
from PySide6.QtCore import QThread, Signal

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


def snapshot(project: Project) -> Project:
    """A deep, event-free copy, so the user may edit the graph while the copy trains."""
    return project_from_dict(project_to_dict(project))


class TrainingThread(QThread):
    events = Signal(list)  # Trainer events and the dataclasses above, in order
    ended = Signal(object)  # RunResult, or None when the data never loaded

    def __init__(self, project: Project, dataset=None, parent=None, *, checkpoint_dir=None,
                 resume_from=None, layer_stats: int = 0, tensorboard_dir=None) -> None:
        super().__init__(parent)
        self.tensorboard_dir = tensorboard_dir  # TensorBoard event files go here when set
        self.project = project
        self.dataset = dataset
        self.checkpoint_dir, self.resume_from = checkpoint_dir, resume_from
        self.layer_stats = layer_stats  # sample per-layer statistics every N steps; 0 = off
        self._keep = True
        self.result = None
        self._trainer = None
        self._lock = threading.Lock()
        self._cancelled = False
        self._last_boundary = 0.0
        self._grid = None
        self._pending: list = []
        self._last_sent = 0.0
        self._tensorboard = None

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

    # ---- the thread -----------------------------------------------------------------
    def run(self) -> None:
        import torch
        from netcanvas.backend.data import DatasetError, load_dataset
        from netcanvas.backend.training import Failed, predict
        from netcanvas.backend.training.remote import trainer_for

        # MKL and OpenMP keep their thread count per thread: without this a worker thread's
        # matrix products run on one core however many the process is set to use.
        torch.set_num_threads(torch.get_num_threads())

        if self.dataset is None:
            try:
                self.dataset = load_dataset(
                    self.project.dataset, progress=self._progress, cancel=lambda: self._cancelled)
            except DatasetError as exc:
                self._send(Failed("data", str(exc)))
                self.ended.emit(None)
                return
        if self.dataset.sample_shape == (2,) and self.dataset.task == "classification":
            self._grid = _boundary_grid(self.dataset)
        trainer = trainer_for(self.project, self.dataset, on_event=self._on_event,
                              checkpoint_dir=self.checkpoint_dir, resume_from=self.resume_from,
                              layer_stats=self.layer_stats)
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
            try:
                outputs = self._scores(predict(self.result.model, self.dataset.test.x, "cpu"))
            except Exception:
                log.exception("predicting the test split failed")
            else:
                self._send(Predictions(outputs))
            self._send_closed_form()
        self._send()
        self.ended.emit(self.result)

    def _send_closed_form(self) -> None:
        from netcanvas.backend.training.closed_form import compare_model, is_linear_regression

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
            self.events.emit(batch)

    def _progress(self, done: int, total: int, message: str) -> None:
        self._send(DataProgress(done, total, message))

    def _on_event(self, ev) -> None:
        """Runs in this thread between two steps: the one time the Trainer may snapshot its
        live model for the decision boundary."""
        self._send(ev)
        if self._tensorboard is not None:
            self._tensorboard(ev)
        if self._grid is None or not isinstance(ev, (Steps, EpochEnded)):
            return
        now = time.monotonic()
        if isinstance(ev, Steps) and now - self._last_boundary < BOUNDARY_EVERY_S:
            return
        self._last_boundary = now
        points, extent = self._grid
        try:
            out = self._trainer.snapshot_predict(points)
            probs = None if out is None else self._scores(out)
        except Exception:  # noqa: BLE001 - e.g. outputs that are not class scores
            self._grid = None
            return
        if probs is not None:
            self._send(BoundaryUpdated(probs.reshape(BOUNDARY_GRID, BOUNDARY_GRID, -1),
                                       extent))

    def _scores(self, out) -> np.ndarray:
        """The first output, as class probabilities for a classifier."""
        import torch

        if isinstance(out, tuple):
            out = out[0]
        if self.dataset.task == "classification":
            out = torch.softmax(out.float(), dim=1)
        return out.numpy()


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


def _boundary_grid(dataset):
    """Grid points covering the training data (in the normalised input space) plus a margin."""
    import torch

    x = dataset.train.x
    lo, hi = x.min(0).values, x.max(0).values
    pad = (hi - lo) * 0.1
    lo, hi = (lo - pad).tolist(), (hi + pad).tolist()
    gx = torch.linspace(lo[0], hi[0], BOUNDARY_GRID)
    gy = torch.linspace(lo[1], hi[1], BOUNDARY_GRID)
    yy, xx = torch.meshgrid(gy, gx, indexing="ij")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    return points, (lo[0], hi[0], lo[1], hi[1])
