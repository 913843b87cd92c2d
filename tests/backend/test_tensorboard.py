"""TensorBoard event files of a run, read back with tensorboard's own reader."""

from __future__ import annotations

import pytest
from netcanvas.backend.cli import train as train_cli
from netcanvas.backend.training.tensorboard import scalar_tag
from test_training_support import blobs_file

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def test_tags():
    assert scalar_tag("val_accuracy") == "val/accuracy"
    assert scalar_tag("train_loss") == "train/loss"
    assert scalar_tag("lr") == "train/lr"


def test_train_writes_event_files(tmp_path):
    from netcanvas.backend.cli import main

    path = blobs_file(tmp_path / "p.netcanvas", epochs=3)
    logdir = tmp_path / "run" / "tensorboard"
    assert main(["train", str(path), "--device", "cpu", "--out", str(tmp_path / "run"),
                 "--tensorboard", str(logdir)]) == 0
    acc = event_accumulator.EventAccumulator(str(logdir))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/loss", "val/accuracy", "train/lr", "train/loss_step",
            "test/accuracy"} <= tags
    assert [e.step for e in acc.Scalars("val/loss")] == [1, 2, 3]
    import json

    epochs = json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"]
    assert [e.value for e in acc.Scalars("train/loss")] == pytest.approx(
        [e["train_loss"] for e in epochs], rel=1e-6)
    assert train_cli.fan_out([print]) is print
