"""The bundled sequence datasets: digit rows, the recall task (padded token sequences) and
time-series windows from a CSV (the bundled signals or the user's own)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DatasetError, load_dataset
from netcanvas.backend.data.sequences import PAD, recall_samples
from netcanvas.backend.project import DatasetConfig


def test_digit_rows_are_eight_steps_of_eight_pixels():
    data = load_dataset(DatasetConfig(name="digit_rows", normalize=False))
    assert data.sample_shape == (8, 8) and data.num_classes == 10
    assert 0.0 <= float(data.train.x.min()) and float(data.train.x.max()) <= 1.0


def test_recall_labels_say_whether_the_query_occurs_again():
    tokens, labels, lengths = recall_samples(500, 10, 8, seed=3)
    for row, label, length in zip(tokens, labels, lengths):
        assert (row[length:] == PAD).all() and (row[:length] != PAD).all()
        assert label == (row[0] in row[1:length])
    assert 0.4 < labels.mean() < 0.6 and lengths.min() >= 5 and lengths.max() == 10


def test_recall_keeps_token_ids_even_when_normalising_is_on():
    data = load_dataset(DatasetConfig(name="recall", options={"n_samples": 200, "length": 6}))
    assert data.sample_shape == (6,) and data.mean is None
    tokens = data.train.xs()[0]
    assert torch.equal(tokens, tokens.round()) and data.extra["vocabulary"] == 17


def test_timeseries_windows_predict_the_horizon_and_test_on_the_last_rows():
    config = DatasetConfig(name="timeseries", options={"window": 16, "horizon": 3,
                                                       "target": "sawtooth"})
    data = load_dataset(config)
    assert data.task == "regression" and data.sample_shape == (16, 3)
    assert data.target_shape == (3,)
    # Each target continues its window's target column (standardised units).
    x, y = data.test.x, data.test.y
    assert torch.allclose(x[1, -1, 2], y[0, 0]) and torch.allclose(x[3, -1, 2], y[0, 2])
    assert len(data.test) == round((2000 - 16 - 3 + 1) * config.test_fraction)
    assert 0 < data.extra["repeat_last_mse"] < 1


def test_your_own_csv_works_the_same_way_and_bad_ones_say_why(tmp_path):
    path = tmp_path / "load.csv"
    t = np.arange(300)
    rows = "\n".join(f"{np.sin(v / 5):.4f},{np.cos(v / 7):.4f}" for v in t)
    path.write_text("a,b\n" + rows + "\n")
    data = load_dataset(DatasetConfig(name="timeseries", path=str(path),
                                      options={"window": 8, "target": "b"}))
    assert data.sample_shape == (8, 2) and data.extra["columns"] == ["a", "b"]
    with pytest.raises(DatasetError, match="has no column 'c'"):
        load_dataset(DatasetConfig(name="timeseries", path=str(path), options={"target": "c"}))
    with pytest.raises(DatasetError, match="make only"):
        load_dataset(DatasetConfig(name="timeseries", path=str(path), options={"window": 295}))
    path.write_text("a,b\n1,x\n")
    with pytest.raises(DatasetError, match="every value must be a number"):
        load_dataset(DatasetConfig(name="timeseries", path=str(path)))
