"""Per-layer training statistics: a case worked by hand, the trainer's events and
layers.json, and the lesson of the deep sigmoid network (vanishing gradients)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.graph import Graph
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runtime.probes import LayerProbe
from netcanvas.backend.training import LayerStats, Steps, Trainer

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_hand_computed_statistics():
    g = Graph()
    x = g.add("input", "x", shape=(2,))
    fc = g.add("linear", "fc", out_features=2)
    relu = g.add("relu", "relu")
    g.connect(x, fc)
    g.connect(fc, relu)
    g.connect(relu, g.add("output", "out", loss="mse"))
    model = compile_graph(g).module
    with torch.no_grad():
        model.fc.weight.copy_(torch.eye(2))
        model.fc.bias.zero_()
    probe = LayerProbe(model, every=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    assert probe.wants(0) and probe.read() is None
    probe.start()
    out = model(torch.tensor([[1.0, -1.0], [2.0, 0.0]]))  # fc = x; relu = [[1, 0], [2, 0]]
    out.sum().backward()
    opt.step()
    probe.finish()
    layers = probe.read()["layers"]
    # fc: mean 0.5, population std sqrt(6/4 - 0.25), one zero in four
    assert layers["fc"]["mean"] == pytest.approx(0.5, rel=1e-6)
    assert layers["fc"]["std"] == pytest.approx(math.sqrt(1.25), rel=1e-6)
    assert layers["fc"]["zeros"] == 0.25
    assert layers["relu"] == pytest.approx({"mean": 0.75, "std": math.sqrt(0.6875),
                                            "zeros": 0.5}, rel=1e-6)
    # dW = relu mask^T x = [[3, -1], [0, 0]], db = [2, 0]: |g| = sqrt(14); after the SGD step
    # W = [[-0.5, 0.5], [0, 1]], b = [-1, 0]: |w| = sqrt(2.5), |dw| = 0.5 sqrt(14)
    assert layers["fc"]["grad_norm"] == pytest.approx(math.sqrt(14), rel=1e-6)
    assert layers["fc"]["update_ratio"] == pytest.approx(0.5 * math.sqrt(14) / math.sqrt(2.5),
                                                         rel=1e-6)
    assert "grad_norm" not in layers["relu"]
    assert not any(m._forward_hooks for m in model.children()), "hooks stay only one step"
    assert probe.read() is None and probe.epoch_summary()["fc"]["grad_norm"] == pytest.approx(
        math.sqrt(14), rel=1e-6)


def test_deep_sigmoid_gradient_vanishes_and_relu_bn_does_not(tmp_path, capsys):
    """One epoch each: fc1's gradient is >= 100x smaller than fc10's behind sigmoids, not
    behind ReLU + batch norm. The sigmoid run goes through the CLI and its layers.json."""
    assert main(["train", str(EXAMPLES / "deep_sigmoid.netcanvas"), "--epochs", "1",
                 "--out", str(tmp_path)]) == 0
    (epoch,) = json.loads((tmp_path / "layers.json").read_text())
    sigmoid = epoch["layers"]
    assert epoch["epoch"] == 1 and sigmoid["sigmoid1"]["zeros"] == 0.0
    assert sigmoid["fc1"]["grad_norm"] * 100 <= sigmoid["fc10"]["grad_norm"]

    project = load_project(EXAMPLES / "deep_relu_bn.netcanvas")
    project.training.epochs = 1
    events = []
    result = Trainer(project, layer_stats=5, on_event=events.append).run()
    relu_bn = result.layers[0]["layers"]
    assert relu_bn["fc1"]["grad_norm"] * 100 > relu_bn["fc10"]["grad_norm"]
    assert 0 < relu_bn["relu1"]["zeros"] < 1  # ReLU outputs exact zeros, some
    live = [e for e in events if isinstance(e, LayerStats)]
    assert live and len(live) <= len([e for e in events if isinstance(e, Steps)])
    assert set(live[-1].layers) >= {"fc1", "bn1", "relu1", "fc10"}


def test_statistics_off_by_default():
    project = load_project(EXAMPLES / "linear_regression.netcanvas")
    project.training.epochs = 1
    events = []
    result = Trainer(project, on_event=events.append).run()
    assert result.layers == [] and not any(isinstance(e, LayerStats) for e in events)
