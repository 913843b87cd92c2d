"""The CUDA path: mixed precision, channels-last, no host sync per step, host-resident data.

Skipped where there is no GPU; run on a CUDA machine."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.training import Started, Steps, Trainer, batches
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


def test_no_host_sync_inside_the_steps(monkeypatch):
    """Between reports the loop must never wait for the GPU: sync debug mode "error"
    raises on any synchronising call; only the report's one read is allowed."""
    report, evaluate = Loop._report, Loop.evaluate

    def allowed(fn):
        def wrapper(self, *args, **kwargs):
            torch.cuda.set_sync_debug_mode(0)
            try:
                return fn(self, *args, **kwargs)
            finally:
                torch.cuda.set_sync_debug_mode("error")
        return wrapper
    monkeypatch.setattr(Loop, "_report", allowed(report))
    monkeypatch.setattr(Loop, "evaluate", allowed(evaluate))
    train_epoch = Loop.train_epoch

    def strict_epoch(self, epoch):
        torch.cuda.set_sync_debug_mode("error")
        try:
            return train_epoch(self, epoch)
        finally:
            torch.cuda.set_sync_debug_mode(0)
    monkeypatch.setattr(Loop, "train_epoch", strict_epoch)
    monkeypatch.setattr(Loop, "_epoch_metrics", allowed(Loop._epoch_metrics))
    events = Recorder()
    result = Trainer(mlp_project(epochs=2, grad_clip=1.0, device="cuda"), blobs(n=2000),
                     on_event=events).run()
    assert result.failed is None, result.failed
    reads = len(events.of(Steps))
    assert reads <= 2 * 3 + 2 * 5  # at epoch ends and at most ~5x a second


def test_data_that_does_not_fit_streams_from_pinned_memory(monkeypatch):
    monkeypatch.setattr(batches, "fits_on_device", lambda nbytes, device: False)
    result = Trainer(cnn_project(device="cuda"), images()).run()
    assert result.failed is None, result.failed
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
