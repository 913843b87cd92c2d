"""Every optimizer and schedule trains a tiny problem; warm-up, clipping, early stopping,
reduce-on-plateau and keeping the best epoch behave as documented."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from netcanvas.backend.training import EpochEnded, Steps, Trainer, predict
from netcanvas.backend.training.schedules import LRSchedule
from test_training_support import Recorder, blobs, mlp_project


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.1), ("rmsprop", 0.01), ("adagrad", 0.1),
                                          ("adadelta", 1.0), ("adam", 0.01), ("adamw", 0.01)])
def test_every_optimizer_lowers_the_loss(optimizer, lr):
    project = mlp_project(optimizer=optimizer, lr=lr, epochs=4, weight_decay=1e-4,
                          nesterov=optimizer == "sgd")
    result = Trainer(project, blobs()).run()
    assert result.failed is None
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < 0.8 * losses[0], losses


@pytest.mark.parametrize("schedule", ["none", "step", "cosine", "onecycle", "plateau"])
def test_every_schedule_with_warmup_trains(schedule):
    project = mlp_project(schedule=schedule, warmup_epochs=1, epochs=4, step_size=1, gamma=0.5)
    events = Recorder()
    result = Trainer(project, blobs(), on_event=events).run()
    assert result.failed is None
    lrs = [lr for e in events.of(Steps) for lr in e.lrs]
    steps = [s for e in events.of(Steps) for s in e.steps]
    assert steps == list(range(1, len(steps) + 1))
    per_epoch = len(lrs) // 4
    start = 0.01 / 25 if schedule == "onecycle" else 0.01  # warm-up multiplies the schedule
    warm = lrs[:per_epoch]
    assert warm == pytest.approx([start * (i + 1) / per_epoch for i in range(per_epoch)])
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    if schedule == "step":
        assert lrs[per_epoch:] == pytest.approx([0.01] * per_epoch + [0.005] * per_epoch
                                                + [0.0025] * per_epoch)
    if schedule == "cosine":
        after = lrs[per_epoch:]
        assert after[0] == pytest.approx(0.01) and after[-1] < 1e-4
        assert all(a >= b for a, b in itertools.pairwise(after))


def test_onecycle_rises_then_falls():
    s = mlp_project(schedule="onecycle", epochs=10).training
    sched = LRSchedule(s, steps_per_epoch=10)
    lrs = [sched.lr(step, step // 10) for step in range(100)]
    peak = lrs.index(max(lrs))
    assert lrs[0] == pytest.approx(0.01 / 25) and max(lrs) == pytest.approx(0.01)
    assert 25 <= peak <= 35 and lrs[-1] < lrs[0] / 50


def test_plateau_decays_after_patience():
    s = mlp_project(schedule="plateau", plateau_patience=1, gamma=0.5).training
    sched = LRSchedule(s, steps_per_epoch=5)
    for value in (1.0, 0.9, 0.95, 0.95):  # two epochs without improvement > patience 1
        sched.epoch_ended(value, minimize=True)
    assert sched.lr(20, 4) == pytest.approx(0.005)
    restored = LRSchedule(s, steps_per_epoch=5)
    restored.load_state_dict(sched.state_dict())
    assert restored.lr(20, 4) == sched.lr(20, 4)


def test_gradient_clipping_bounds_each_update():
    project = mlp_project(optimizer="sgd", momentum=0.0, lr=1.0, grad_clip=1e-4, epochs=1)
    torch.manual_seed(0)
    result = Trainer(project, blobs()).run()
    from netcanvas.backend.compiler import compile_graph
    torch.manual_seed(0)
    initial = compile_graph(project.graph).module.state_dict()
    moved = sum((v - initial[k]).pow(2).sum() for k, v in result.model.module.state_dict().items())
    steps = math.ceil(len(blobs().train) / 16)
    assert 0 < moved.sqrt() <= steps * 1e-4 * 1.001


def test_early_stopping_stops_after_patience_and_keeps_the_best_epoch():
    # lr 0 never improves after the first epoch: stop after 1 + patience epochs.
    project = mlp_project(lr=0.0, epochs=10, early_stopping_patience=2)
    events = Recorder()
    result = Trainer(project, blobs(), on_event=events).run()
    assert [e.epoch for e in events.of(EpochEnded)] == [1, 2, 3]
    assert result.best_epoch == 1


def test_the_best_epoch_weights_are_restored():
    # Random labels: the validation loss gets worse as the net memorises the training set.
    project = mlp_project(hidden=64, lr=0.05, epochs=8, monitor="val_loss")
    data = blobs(random_labels=True)
    result = Trainer(project, data).run()
    val_losses = [h["val_loss"] for h in result.history]
    assert result.best_epoch == 1 + val_losses.index(min(val_losses))
    assert result.best_epoch < 8
    out = predict(result.model, data.val.x, "cpu")
    assert F.cross_entropy(out, data.val.y).item() == pytest.approx(min(val_losses), rel=1e-5)
    assert result.test_metrics["loss"] > 0
