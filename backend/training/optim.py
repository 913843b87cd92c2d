"""Optimizer construction from TrainingSettings."""

from __future__ import annotations

import torch
from netcanvas.backend.settings import OPTIMIZERS


def load_optimizer_machinery() -> None:
    """Import what torch loads on the first optimizer it builds (torch._dynamo: hundreds of
    modules, seconds): called on the training thread before the run rather than inside its
    first step, so no step holds the import machinery while the GUI thread waits."""
    import torch._dynamo  # noqa: F401


def build_optimizer(params, s) -> torch.optim.Optimizer:
    """`s` is a TrainingSettings; each optimizer takes the settings that apply to it."""
    name = s.optimizer.lower()
    wd = s.weight_decay
    if name == "sgd":
        return torch.optim.SGD(params, lr=s.lr, momentum=s.momentum, weight_decay=wd,
                               nesterov=bool(s.nesterov and s.momentum > 0))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=s.lr, alpha=s.alpha, momentum=s.momentum,
                                   weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=s.lr, weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=s.lr, rho=s.rho, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=s.lr, betas=tuple(s.betas), weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=s.lr, betas=tuple(s.betas), weight_decay=wd)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {s.optimizer!r}")
