"""The implementation each optimizer declares per device (backend/optimizers.py): on the CPU
torch's fused or foreach kernels, which train like torch's default single-tensor loop within
float rounding, on parameters and through a whole run; a resumed run keeps them."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
import torch.nn.functional as F
from netcanvas.backend.optimizers import OPTIMIZER_SPECS, OPTIMIZERS
from netcanvas.backend.project import TrainingSettings
from netcanvas.backend.training import Trainer
from netcanvas.backend.training import optim as optim_module
from netcanvas.backend.training.optim import build_optimizer, load_optimizer_state
from test_training_support import blobs, mlp_project

VARIANTS = [{"momentum": 0.0, "weight_decay": 0.0}, {"momentum": 0.9, "weight_decay": 1e-2},
            {"momentum": 0.9, "nesterov": True, "weight_decay": 0.0}]
LR = {"sgd": 0.1, "rmsprop": 0.01, "adagrad": 0.1, "adadelta": 1.0, "adam": 0.01, "adamw": 0.01}


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 5))


def _train(model: torch.nn.Module, optimizer: torch.optim.Optimizer, steps: int = 8) -> None:
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(16, 1, 8, 8, generator=g), torch.randint(0, 5, (16,), generator=g)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()


def _single_tensor(spec, params, s: TrainingSettings) -> torch.optim.Optimizer:
    """What torch builds by default on the CPU: a Python loop over the parameters."""
    return getattr(torch.optim, spec.torch_class)(params, lr=s.lr, weight_decay=s.weight_decay,
                                                  foreach=False, **spec.kwargs(s))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_cpu_implementation_trains_like_the_single_tensor_loop(name, variant):
    spec = OPTIMIZER_SPECS[name]
    s = TrainingSettings(optimizer=name, lr=LR[name], **variant)
    ours, reference = _model(), _model()
    optimizer = build_optimizer(ours.parameters(), s)
    (kind,) = spec.implementation_kwargs("cpu")
    assert optimizer.param_groups[0][kind] is True  # the declared kernel, not torch's default
    _train(ours, optimizer)
    _train(reference, _single_tensor(spec, reference.parameters(), s))
    for a, b, start in zip(ours.parameters(), reference.parameters(), _model().parameters(),
                           strict=True):
        assert not torch.equal(a, start)  # it trained
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_a_run_with_the_fused_adam_matches_one_with_the_single_tensor_loop(monkeypatch):
    project = mlp_project(optimizer="adam", epochs=3)
    fused = Trainer(project, blobs()).run()
    plain = dataclasses.replace(OPTIMIZER_SPECS["adam"], implementation=())
    monkeypatch.setitem(optim_module.OPTIMIZER_SPECS, "adam", plain)
    single = Trainer(project, blobs()).run()
    assert fused.failed is None and single.failed is None
    for a, b in zip(fused.history, single.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-5)
    for (k, a), b in zip(fused.model.module.state_dict().items(),
                         single.model.module.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=k)


def test_parameters_on_the_meta_device_keep_torchs_default():
    """The memory measurement (backend/doctor/measure.py) steps on the meta device, which
    has no fused kernels."""
    weight = torch.nn.Parameter(torch.zeros(3, device="meta"))
    group = build_optimizer([weight], TrainingSettings(optimizer="adam")).param_groups[0]
    assert not group["fused"] and not group["foreach"]


def test_parameter_groups_pick_the_implementation_of_their_device():
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1},
              {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.2}]
    optimizer = build_optimizer(groups, TrainingSettings(optimizer="sgd"))
    assert [g["fused"] for g in optimizer.param_groups] == [True, True]


def test_a_saved_state_loads_without_changing_the_implementation():
    """A checkpoint of a run on torch's default (an older run, or another device) resumes on
    the implementation this optimizer was built with, at the same weights as continuing the
    default would reach."""
    s = TrainingSettings(optimizer="adam", lr=0.01)
    spec = OPTIMIZER_SPECS["adam"]
    before = _model()
    _train(before, saved := _single_tensor(spec, before.parameters(), s), steps=3)
    resumed, continued = _model(), _model()
    resumed.load_state_dict(before.state_dict())
    continued.load_state_dict(before.state_dict())
    optimizer = build_optimizer(resumed.parameters(), s)
    load_optimizer_state(optimizer, copy.deepcopy(saved.state_dict()))  # as read from a file
    assert optimizer.param_groups[0]["fused"] is True
    reference = _single_tensor(spec, continued.parameters(), s)
    reference.load_state_dict(copy.deepcopy(saved.state_dict()))
    _train(resumed, optimizer, steps=4)
    _train(continued, reference, steps=4)
    for a, b in zip(resumed.parameters(), continued.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
