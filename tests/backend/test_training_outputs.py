"""What the evaluation views get from the backend: class probabilities on the test split and
the live decision boundary, as numpy arrays the GUI only moves."""

from __future__ import annotations

import numpy as np
from netcanvas.backend.runtime.predict import predict_test_split
from netcanvas.backend.training import EpochEnded, Trainer
from netcanvas.backend.training.outputs import DecisionBoundary
from test_training_support import blobs, linear_project, mlp_project, regression


def test_the_boundary_grid_covers_the_training_data_with_a_margin():
    data = blobs()
    boundary = DecisionBoundary(data, size=20)
    x0, x1, y0, y1 = boundary.extent
    lo, hi = data.train.x.min(0).values, data.train.x.max(0).values
    pad = (hi - lo) * 0.1
    assert np.allclose((x0, y0), (lo - pad).tolist()) and np.allclose((x1, y1), (hi + pad).tolist())
    assert tuple(boundary.points.shape) == (400, 2)
    assert DecisionBoundary.applies(data) and not DecisionBoundary.applies(regression())


def test_the_boundary_samples_the_live_model_as_probabilities():
    data = blobs()
    boundary = DecisionBoundary(data, size=12)
    grids = []

    def on_event(ev):
        if isinstance(ev, EpochEnded):
            grids.append(boundary.sample(trainer))

    trainer = Trainer(mlp_project(epochs=1), data, on_event=on_event)
    assert boundary.sample(trainer) is None  # no model yet
    result = trainer.run()
    assert len(grids) == 1 and grids[0].shape == (12, 12, 3)
    assert np.allclose(grids[0].sum(-1), 1.0, atol=1e-5)
    probs = predict_test_split(result.model, data)
    assert probs.shape == (len(data.test), 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_regression_predictions_are_the_raw_outputs():
    data = regression()
    result = Trainer(linear_project(epochs=1), data).run()
    values = predict_test_split(result.model, data)
    assert isinstance(values, np.ndarray) and values.shape[0] == len(data.test)
    assert not np.allclose(values.sum(1), 1.0)
