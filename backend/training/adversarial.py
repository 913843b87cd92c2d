"""Adversarial training: part of each training batch replaced by its FGSM or PGD attack.

The settings `adversarial` (none, fgsm, pgd), `adversarial_eps` (raw-input units, as the
attack view and `netcanvas attack` take it) and `adversarial_ratio` (the share of each
batch) choose it. The examples are made against the weights of the moment in eval mode (no
BatchNorm statistics move and no dropout while attacking); the step then trains on the
mixed batch as usual.
"""

from __future__ import annotations

import torch
from netcanvas.backend.registry import ParamError
from netcanvas.backend.runtime.perturb import AttackError, Bounds, check_model, perturb
from netcanvas.backend.runtime.raw_input import RawInput


class AdversarialBatches:
    """Called with a batch's (normalised) inputs and its targets; returns the inputs with
    the first `ratio` of the samples attacked (the batch order is already random)."""

    def __init__(self, method: str, eps: float, ratio: float, raw_module: RawInput,
                 bounds: Bounds) -> None:
        self.method, self.eps, self.ratio = method, eps, ratio
        self.raw_module, self.bounds = raw_module, bounds
        self.fed = 0  # adversarial samples fed so far

    def __call__(self, xs: list[torch.Tensor], y: torch.Tensor) -> list[torch.Tensor]:
        k = round(self.ratio * len(y))
        if k == 0 or self.eps == 0:
            return xs
        x, wrapper = xs[0], self.raw_module
        mean, std = (wrapper.mean, wrapper.std) if wrapper.normalised else (0.0, 1.0)
        module = wrapper.module
        was = module.training
        module.eval()
        try:
            adv = perturb(self.method, wrapper, x[:k].float() * std + mean, y[:k], self.eps,
                          self.bounds)
        finally:
            module.train(was)
        x = x.clone()
        x[:k] = ((adv - mean) / std).to(x.dtype)
        self.fed += k
        return [x]


def adversarial_batches(settings, dataset, compiled, module) -> AdversarialBatches | None:
    """The batch attacker the settings ask for, or None; ParamError naming the setting when
    this model or data cannot be attacked."""
    if settings.adversarial == "none":
        return None
    try:
        check_model(compiled)
        if isinstance(dataset.train.x, (list, tuple)):
            raise AttackError("attacks take one input tensor; this dataset has "
                              f"{len(dataset.train.x)}")
    except AttackError as exc:
        raise ParamError(f"training.adversarial: {exc}") from None
    mean = std = None
    if dataset.mean is not None:
        shape = (-1,) + (1,) * (len(dataset.sample_shape) - 1)
        device = next((p.device for p in module.parameters()), torch.device("cpu"))
        mean, std = (t.reshape(shape).float().to(device) for t in (dataset.mean, dataset.std))
    bounds = (0.0, 1.0) if dataset.is_image else None  # as Predictor.valid_range
    return AdversarialBatches(settings.adversarial, settings.adversarial_eps,
                              settings.adversarial_ratio, RawInput(module, mean, std), bounds)
