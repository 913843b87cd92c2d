"""Optimizer construction from TrainingSettings, by the optimizer's declaration
(backend/optimizers.py), with the implementation it declares for the parameters' device."""

from __future__ import annotations

import torch
from netcanvas.backend.optimizers import OPTIMIZER_SPECS, OPTIMIZERS

IMPLEMENTATION_KEYS = ("foreach", "fused")  # the param-group entries that pick torch's kernels


def load_optimizer_machinery() -> None:
    """Import what torch loads on the first optimizer it builds (torch._dynamo: hundreds of
    modules, seconds): called on the training thread before the run rather than inside its
    first step, so no step holds the import machinery while the GUI thread waits."""
    import torch._dynamo  # noqa: F401


def build_optimizer(params, s) -> torch.optim.Optimizer:
    """`s` is a TrainingSettings; each optimizer takes the settings that apply to it.
    `params`: parameters, or parameter groups (dicts with "params")."""
    spec = OPTIMIZER_SPECS.get(s.optimizer.lower())
    if spec is None:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {s.optimizer!r}")
    params = list(params)
    return getattr(torch.optim, spec.torch_class)(
        params, lr=s.lr, weight_decay=s.weight_decay, **spec.kwargs(s),
        **spec.implementation_kwargs(_device_type(params)))


def _device_type(params: list) -> str | None:
    first = params[0] if params else None
    if isinstance(first, dict):
        first = next(iter(first["params"]), None)
    return first.device.type if isinstance(first, torch.Tensor) else None


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Load a saved state (a checkpoint's), keeping the implementation the optimizer was
    built with: the saved groups name the one of the run that saved them, which may be
    older or have run on another device (e.g. fused Adagrad, which torch has only for the CPU)."""
    chosen = [{k: g[k] for k in IMPLEMENTATION_KEYS if k in g} for g in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, implementation in zip(optimizer.param_groups, chosen, strict=True):
        group.update(implementation)
