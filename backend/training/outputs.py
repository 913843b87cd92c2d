"""What the evaluation views show, as numpy arrays: a model's outputs on the test split and
the live decision boundary of a classifier of 2-D points.

The GUI's training worker calls these on its own thread and only moves their plain results.
"""

from __future__ import annotations

import numpy as np
import torch
from netcanvas.backend.training.inference import predict


def scores(out, task: str) -> np.ndarray:
    """The first output, as class probabilities for a classifier, as numpy."""
    if isinstance(out, tuple):
        out = out[0]
    if task == "classification":
        out = torch.softmax(out.float(), dim=1)
    return out.numpy()


def predict_test_split(model, dataset) -> np.ndarray:
    """(N, classes) probabilities, or (N, *target) regression values, on the test split."""
    return scores(predict(model, dataset.test.x, "cpu"), dataset.task)


def plane_grid(extent: tuple[float, float, float, float], n: int) -> torch.Tensor:
    """(n·n, 2) points of an n × n grid over extent (x0, x1, y0, y1), row by row: point
    i·n + j is at x = x0 + j·(x1 − x0)/(n − 1), y = y0 + i·(y1 − y0)/(n − 1)."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, n), torch.linspace(x0, x1, n), indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


class DecisionBoundary:
    """Class probabilities over a size x size grid covering the training data (in the
    normalised input space) plus a margin, from the weights as trained so far."""

    def __init__(self, dataset, size: int = 80) -> None:
        x = dataset.train.x
        lo, hi = x.min(0).values, x.max(0).values
        pad = (hi - lo) * 0.1
        lo, hi = (lo - pad).tolist(), (hi + pad).tolist()
        self.extent = (lo[0], hi[0], lo[1], hi[1])
        self.points = plane_grid(self.extent, size)
        self.size, self.task = size, dataset.task

    @staticmethod
    def applies(dataset) -> bool:
        return dataset.sample_shape == (2,) and dataset.task == "classification"

    def sample(self, trainer) -> np.ndarray | None:
        """(size, size, classes) probabilities from `trainer`'s live weights; None before
        its model is built. Call from the Trainer's `on_event` only (see snapshot_predict)."""
        out = trainer.snapshot_predict(self.points)
        if out is None:
            return None
        return scores(out, self.task).reshape(self.size, self.size, -1)
