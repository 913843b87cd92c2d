"""Optimizer construction from TrainingSettings, by the optimizer's declaration
(backend/optimizers.py)."""

from __future__ import annotations

import torch
from netcanvas.backend.optimizers import OPTIMIZER_SPECS, OPTIMIZERS


def load_optimizer_machinery() -> None:
    """Import what torch loads on the first optimizer it builds (torch._dynamo: hundreds of
    modules, seconds): called on the training thread before the run rather than inside its
    first step, so no step holds the import machinery while the GUI thread waits."""
    import torch._dynamo  # noqa: F401


def build_optimizer(params, s) -> torch.optim.Optimizer:
    """`s` is a TrainingSettings; each optimizer takes the settings that apply to it."""
    spec = OPTIMIZER_SPECS.get(s.optimizer.lower())
    if spec is None:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {s.optimizer!r}")
    return getattr(torch.optim, spec.torch_class)(params, lr=s.lr, weight_decay=s.weight_decay,
                                                  **spec.kwargs(s))
