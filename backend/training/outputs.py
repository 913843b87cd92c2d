"""The live decision boundary of a classifier of 2-D points while it trains, as numpy arrays.

The GUI's training worker calls this on its own thread and only moves its plain results.
"""

from __future__ import annotations

import numpy as np
from netcanvas.backend.runtime.predict import plane_grid, scores


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
