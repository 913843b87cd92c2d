"""An app run writes TensorBoard event files into its run folder when tensorboard is installed."""

import pytest

from tests.gui.test_training_dock import mlp_project, open_project, run_to_end, window  # noqa: F401

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def test_an_app_run_writes_event_files_into_its_folder(qtbot, window):
    open_project(window, mlp_project(epochs=2))
    dock = window.training_dock
    result = run_to_end(qtbot, dock)
    assert result.failed is None
    logdir = dock.shown.folder / "tensorboard"
    assert any(logdir.glob("events.out.tfevents.*"))
    acc = event_accumulator.EventAccumulator(str(logdir))
    acc.Reload()
    assert {"train/loss", "val/loss", "val/accuracy", "train/loss_step"} <= set(
        acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("val/loss")] == [1, 2]
    history = dock.shown.history
    assert acc.Scalars("val/loss")[-1].value == pytest.approx(history[-1]["val_loss"], rel=1e-5)
