"""The lean forward of plain training steps: stateless layers as function calls, the same
arithmetic and weights as the compiled module, each node's module again on sampled steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from netcanvas.backend.compiler import compile_graph, trace_node
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runtime.lean_forward import lean_module
from netcanvas.backend.runtime.losses import build_loss
from netcanvas.backend.training import Trainer
from test_training_support import blobs, mlp_project
from torch import nn

torch.set_num_threads(1)
LENET = (Path(__file__).resolve().parents[2] / "resources" / "examples"
         / "lenet_digits.netcanvas")


class Stack(nn.Module):
    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        for k, layer in enumerate(layers):
            self.add_module(f"layer{k}", layer)
        self.n = len(layers)

    def forward(self, x):
        x = self.conv(x)
        for k in range(self.n):
            x = getattr(self, f"layer{k}")(x)
        return x


STATELESS = [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU(approximate="tanh"),
             nn.MaxPool2d(2), nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.MaxPool2d(2, dilation=2),
             nn.AvgPool2d(2), nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False,
                                           divisor_override=5), nn.Flatten(), nn.Flatten(2, 3)]


@pytest.mark.parametrize("layer", STATELESS, ids=repr)
def test_each_stateless_layer_becomes_a_function_with_the_same_values_and_gradients(layer):
    torch.manual_seed(0)
    gm = torch.fx.symbolic_trace(Stack(layer))
    lean = lean_module(gm)
    assert "self.layer0" not in lean.code and "self.conv(x)" in lean.code
    assert lean.conv is gm.conv  # shared weights: the optimizer and state_dict see one model
    x = torch.randn(3, 2, 7, 7)
    a, b = gm(x), lean(x)
    assert torch.equal(a, b)
    (ga,) = torch.autograd.grad(a.square().sum(), gm.conv.weight)
    (gb,) = torch.autograd.grad(b.square().sum(), gm.conv.weight)
    assert torch.equal(ga, gb)


@pytest.mark.parametrize("layer", [nn.ReLU(inplace=True), nn.MaxPool2d(2, return_indices=True),
                                   nn.Dropout(0.5), nn.LeakyReLU(0.1)], ids=repr)
def test_layers_with_state_or_other_results_stay_module_calls(layer):
    gm = torch.fx.symbolic_trace(Stack(layer))
    assert lean_module(gm) is gm  # nothing replaced: no second module


def test_a_hooked_module_stays_a_module_call():
    gm = torch.fx.symbolic_trace(Stack(nn.ReLU(), nn.Tanh()))
    gm.layer0.register_forward_hook(lambda m, a, out: out)
    lean = lean_module(gm)
    assert "self.layer0(" in lean.code and "self.layer1(" not in lean.code


def test_lenet_keeps_its_names_state_and_code():
    compiled = compile_graph(load_project(LENET).graph)
    gm = compiled.module
    code, keys = gm.code, list(gm.state_dict())
    lean = lean_module(gm)
    assert "relu1 = torch.relu(conv1)" in lean.code and "self.pool1" not in lean.code
    assert gm.code == code and list(gm.state_dict()) == keys  # the compiled module is untouched
    assert all(a is b for a, b in zip(lean.parameters(), gm.parameters()))
    x = compiled.example_inputs(4)
    assert torch.equal(lean(*x), gm(*x))


def test_plain_steps_skip_the_stateless_modules_and_sampled_steps_call_them(monkeypatch):
    calls = []
    original = nn.ReLU.forward
    monkeypatch.setattr(nn.ReLU, "forward", lambda self, x: calls.append(1) or original(self, x))
    steps = 8  # 115 training samples in batches of 16
    trainer = Trainer(mlp_project(epochs=1, batch_size=16), blobs(), layer_stats=4)
    loop, _, val, _ = trainer.build()
    loop.train_epoch(1)
    assert len(calls) == steps // 4  # steps 0 and 4 sample; the other six run lean
    assert loop.evaluate(val).result()["accuracy"] > 0 and len(calls) == steps // 4
    assert set(loop.probe.epoch_summary()) >= {"fc1", "act", "fc2"}


def test_plain_run_matches_the_hooked_run_bit_for_bit(monkeypatch):
    lean = Trainer(mlp_project(epochs=2), blobs()).run()
    monkeypatch.setattr("netcanvas.backend.training.loop.lean_module", lambda model: model)
    hooked = Trainer(mlp_project(epochs=2), blobs()).run()
    assert lean.history[-1]["train_loss"] == hooked.history[-1]["train_loss"]
    for a, b in zip(lean.model.module.parameters(), hooked.model.module.parameters()):
        assert torch.equal(a, b)


def test_a_failure_in_a_lean_layer_still_names_its_node(monkeypatch):
    def boom(x):
        raise RuntimeError("relu broke")
    monkeypatch.setattr(torch, "relu", boom)
    result = Trainer(mlp_project(), blobs()).run()
    assert result.failed.node == "act" and "relu broke" in result.failed.message
    loop, _, val, _ = Trainer(mlp_project(), blobs()).build()
    with pytest.raises(RuntimeError) as raised:
        loop.evaluate(val)
    assert trace_node(raised.value) == "act"


def test_one_loss_is_the_term_itself_with_no_extra_add():
    compiled = compile_graph(mlp_project().graph)
    loss = build_loss(compiled.losses, 1)
    term = torch.tensor(0.25, requires_grad=True) * 2
    assert loss.combine([term]) is term
