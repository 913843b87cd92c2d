"""A run's events, cancel and pause between steps, metrics, several inputs and outputs."""

from __future__ import annotations

import itertools
import threading

import pytest
import torch
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.training import (
    Cancelled,
    EpochEnded,
    Evaluated,
    Finished,
    Started,
    Steps,
    Trainer,
    predict,
)
from test_training_faults import hook_node
from test_training_support import Recorder, blobs, linear_project, mlp_project, regression


def test_events_of_a_classification_run():
    events = Recorder()
    result = Trainer(mlp_project(classes=8, epochs=2), blobs(classes=8), on_event=events).run()
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    assert events[0].device == "cpu" and events[0].steps_per_epoch == 8
    assert events[0].num_params == 2 * 16 + 16 + 16 * 8 + 8
    steps = [s for e in events.of(Steps) for s in e.steps]
    assert steps == list(range(1, 17))
    assert all(len(e.losses) == len(e.steps) == len(e.lrs) for e in events.of(Steps))
    assert events.of(Steps)[-1].progress == 1.0
    epoch = events.of(EpochEnded)[0]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top5",
            "lr"} <= set(epoch.metrics)
    (test,) = events.of(Evaluated)
    assert test.split == "test" and set(test.metrics) == {"loss", "accuracy", "top5"}
    matrix = torch.tensor(test.confusion)
    assert matrix.shape == (8, 8) and matrix.sum() == len(blobs(classes=8).test)
    assert test.metrics["accuracy"] == pytest.approx(matrix.trace().item() / matrix.sum().item())
    assert test.per_class_accuracy[0] == pytest.approx(matrix[0, 0].item() / matrix[0].sum().item())
    assert result.test_metrics == test.metrics and result.model.module.training is False


def test_regression_metrics_match_their_definitions():
    data = regression()
    result = Trainer(linear_project(epochs=3), data).run()
    pred = predict(result.model, data.test.x, "cpu")
    err = pred - data.test.y
    y = data.test.y
    assert result.test_metrics["mse"] == pytest.approx(err.pow(2).mean().item(), rel=1e-4)
    assert result.test_metrics["mae"] == pytest.approx(err.abs().mean().item(), rel=1e-4)
    r2 = 1 - err.pow(2).sum() / (y - y.mean()).pow(2).sum()
    assert result.test_metrics["r2"] == pytest.approx(r2.item(), rel=1e-4)
    assert "accuracy" not in result.test_metrics and "train_accuracy" not in result.history[0]


def test_cancel_is_honoured_within_one_step(monkeypatch):
    trainer = None

    def cancel_at_third(n, out):
        if n == 3:
            trainer.cancel()
        return out
    calls = hook_node(monkeypatch, "fc1", cancel_at_third)
    events = Recorder()
    trainer = Trainer(mlp_project(epochs=5), blobs(), on_event=events)
    result = trainer.run()
    assert result.cancelled and len(calls) == 3
    (cancelled,) = events.of(Cancelled)
    assert cancelled.step == 3 and cancelled.epoch == 1
    assert not events.of(Finished) and not events.of(EpochEnded)


def test_pause_holds_between_steps_until_resumed(monkeypatch):
    trainer = None
    paused_at = []

    def pause_at_second(n, out):
        if n == 2:
            trainer.pause()
            paused_at.append(n)
            threading.Thread(target=check_then_resume).start()
        return out

    seen_while_paused = []
    resumed = threading.Event()

    def check_then_resume():
        # The loop is blocked: no forward may run until resume().
        resumed.wait(0.3)
        seen_while_paused.append(len(calls))
        trainer.resume()
    calls = hook_node(monkeypatch, "fc1", pause_at_second)
    trainer = Trainer(mlp_project(epochs=1), blobs())
    result = trainer.run()
    assert result.failed is None and not result.cancelled
    assert seen_while_paused == [2]
    assert len(calls) > 2  # it went on after resume


def test_cancel_while_paused_ends_the_run():
    trainer = Trainer(mlp_project(epochs=3), blobs())
    trainer.pause()
    threading.Timer(0.05, trainer.cancel).start()
    assert trainer.run().cancelled


def test_two_inputs_share_the_dataset_tensor_and_two_outputs_add_their_losses():
    g = Graph()
    a, b = g.add("input", "left", shape=(2,)), g.add("input", "right", shape=(2,))
    cat = g.add("concat", "cat")
    g.connect(a, cat)
    g.connect(b, cat)
    fc = g.add("linear", "fc", out_features=3)
    g.connect(cat, fc)
    main, aux = g.add("output", "main"), g.add("output", "aux", weight=0.5)
    aux_fc = g.add("linear", "aux_fc", out_features=3)
    g.connect(fc, main)
    g.connect(cat, aux_fc)
    g.connect(aux_fc, aux)
    project = Project(graph=g)
    project.training.epochs, project.training.lr = 3, 0.05
    result = Trainer(project, blobs()).run()
    assert result.failed is None
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    out_main, out_aux = predict(result.model, blobs().test.x, "cpu")
    assert out_main.shape == out_aux.shape == (39, 3)


@pytest.mark.parametrize("loss,classes,extra", [
    ("cross_entropy", 3, {"label_smoothing": 0.1}), ("nll", 3, {}),
    ("bce_with_logits", 2, {}), ("mse", None, {}), ("l1", None, {})])
def test_every_loss_trains(loss, classes, extra):
    g = Graph()
    chain = [g.add("input", "x", shape=(2,)), g.add("linear", "fc1", out_features=16),
             g.add("tanh", "act"),
             g.add("linear", "fc2", out_features=1 if classes in (None, 2) else classes)]
    if loss == "nll":
        chain.append(g.add("log_softmax", "logp"))
    chain.append(g.add("output", "out", loss=loss, **extra))
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    project = Project(graph=g)
    project.training.epochs, project.training.lr, project.training.device = 4, 0.02, "cpu"
    data = regression(features=2) if classes is None else blobs(classes=classes)
    result = Trainer(project, data).run()
    assert result.failed is None, result.failed
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    if classes:
        assert result.test_metrics["accuracy"] > 0.8


def test_snapshot_predict_from_on_event_leaves_the_run_unchanged(monkeypatch):
    monkeypatch.setattr("netcanvas.backend.training.loop.REPORT_INTERVAL", 0.0)  # every step
    data = blobs()
    plain = Trainer(mlp_project(dropout=0.5, epochs=2), data).run()
    snapshots = []

    def on_event(event):
        if isinstance(event, (Steps, EpochEnded)):
            first, again = (trainer.snapshot_predict(data.test.x) for _ in range(2))
            assert torch.equal(first, again)  # eval mode: dropout off
            snapshots.append(first)

    trainer = Trainer(mlp_project(dropout=0.5, epochs=2), data, on_event=on_event)
    assert trainer.snapshot_predict(data.test.x) is None  # nothing built yet
    watched = trainer.run()
    assert len(snapshots) == 2 * 8 + 2 and snapshots[0].shape == (len(data.test), 3)
    assert snapshots[0].device.type == "cpu" and not torch.equal(snapshots[0], snapshots[-1])
    for key, value in plain.model.module.state_dict().items():  # training mode was restored
        assert torch.equal(value, watched.model.module.state_dict()[key]), key
