"""The CUDA path: mixed precision, channels-last, no host sync per step, host-resident data.

Skipped where there is no GPU; run on a CUDA machine."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.runtime import batches
from netcanvas.backend.training import Started, Steps, Trainer
from netcanvas.backend.training.loop import Loop
from test_training_support import Recorder, blobs, cnn_project, images, mlp_project

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("precision,channels_last", [("fp32", False), ("bf16", True),
                                                     ("fp16", False), ("fp16", True)])
def test_cuda_precisions_train(precision, channels_last):
    events = Recorder()
    project = cnn_project(precision=precision, channels_last=channels_last, device="auto")
    result = Trainer(project, images(), on_event=events).run()
    assert result.failed is None, result.failed
    assert events.of(Started)[0].device.startswith("cuda") and result.device.startswith("cuda")
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert next(result.model.module.parameters()).device.type == "cpu"


def _sync_mode(fn, mode):
    """Run `fn` under sync debug `mode`, restoring the caller's mode afterwards."""
    def wrapper(self, *args, **kwargs):
        previous = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode(mode)
        try:
            return fn(self, *args, **kwargs)
        finally:
            torch.cuda.set_sync_debug_mode(previous)
    return wrapper


def test_no_host_sync_inside_the_steps(monkeypatch):
    """After a warm-up epoch the loop must never wait for the GPU between reports: sync
    debug mode "error" raises on any synchronising call; only the reports' reads may sync."""
    monkeypatch.setattr(Loop, "_report", _sync_mode(Loop._report, 0))
    monkeypatch.setattr(Loop, "_epoch_metrics", _sync_mode(Loop._epoch_metrics, 0))
    train_epoch = Loop.train_epoch
    monkeypatch.setattr(Loop, "train_epoch", lambda self, epoch: _sync_mode(
        train_epoch, "error" if epoch > 1 else 0)(self, epoch))
    events = Recorder()
    try:
        result = Trainer(mlp_project(epochs=3, grad_clip=1.0, device="cuda"), blobs(n=2000),
                         on_event=events).run()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert result.failed is None, result.failed
    assert len(events.of(Steps)) <= 3 * 6  # at epoch ends and at most ~5x a second


def test_data_that_does_not_fit_streams_from_pinned_memory(monkeypatch):
    monkeypatch.setattr(batches, "fits_on_device", lambda nbytes, device: False)
    result = Trainer(cnn_project(device="cuda"), images()).run()
    assert result.failed is None, result.failed
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
