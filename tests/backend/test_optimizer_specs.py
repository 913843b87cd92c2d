"""Each optimizer's one declaration (backend/optimizers.py) against torch.optim itself: the
class it builds takes exactly the settings it declares, and keeps the state the memory
predictor counts."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from netcanvas.backend.optimizers import OPTIMIZER_SETTINGS, OPTIMIZER_SPECS, OPTIMIZERS
from netcanvas.backend.project import TrainingSettings
from netcanvas.backend.settings import TRAINING
from netcanvas.backend.training.optim import build_optimizer


def _state_tensors(settings: TrainingSettings) -> int:
    weight = torch.nn.Parameter(torch.randn(7, 3))
    optimizer = build_optimizer([weight], settings)
    weight.grad = torch.randn(7, 3)
    optimizer.step()
    return sum(1 for v in optimizer.state[weight].values()
               if torch.is_tensor(v) and v.shape == weight.shape)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_declared_state_is_what_torch_keeps(name, momentum):
    settings = TrainingSettings(optimizer=name, momentum=momentum)
    assert OPTIMIZER_SPECS[name].state_tensors(settings) == _state_tensors(settings)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_declared_setting_reaches_the_torch_optimizer(name):
    spec = OPTIMIZER_SPECS[name]
    assert type(build_optimizer([torch.nn.Parameter(torch.zeros(1))],
                                TrainingSettings(optimizer=name))).__name__ == spec.torch_class
    changed = {"momentum": 0.5, "nesterov": True, "alpha": 0.5, "rho": 0.5, "betas": (0.5, 0.6)}
    for setting in OPTIMIZER_SETTINGS:
        settings = dataclasses.replace(TrainingSettings(optimizer=name), **{
            setting: changed[setting]})
        group = build_optimizer([torch.nn.Parameter(torch.zeros(1))], settings).param_groups[0]
        value = group.get(setting)
        took = (tuple(value) if isinstance(value, list | tuple) else value) == changed[setting]
        assert took == (setting in spec.settings), (name, setting)


def test_the_optimizer_choice_is_the_declared_list():
    assert next(p for p in TRAINING if p.name == "optimizer").choices == OPTIMIZERS
    assert set(OPTIMIZER_SETTINGS) <= {p.name for p in TRAINING}
