"""Adversarial training: part of each training batch replaced by its FGSM or PGD attack.

The settings `adversarial` (none, fgsm, pgd), `adversarial_eps` (raw-input units, as the
attack views and `netcanvas attack` take it) and `adversarial_ratio` (the share of each
batch) choose it. The examples are made against the weights of the moment, in eval mode (no
BatchNorm statistics move and no dropout while attacking), then the step trains on the mixed
batch as usual.
"""

from __future__ import annotations

import torch

from netcanvas.backend.insight.adversarial import AttackError, InputSpace, check_model, perturb
from netcanvas.backend.registry import ParamError


class AdversarialBatches:
    """Called with a batch's inputs and targets; returns the inputs, the first
    `ratio` of the samples attacked (the batch order is already random)."""

    def __init__(self, method: str, eps: float, ratio: float, space: InputSpace,
                 module: torch.nn.Module) -> None:
        self.method, self.eps, self.ratio = method, eps, ratio
        self.space, self.module = space, module
        self.fed = 0  # adversarial samples fed so far

    def __call__(self, xs: list[torch.Tensor], y: torch.Tensor) -> list[torch.Tensor]:
        k = round(self.ratio * len(y))
        if k == 0 or self.eps == 0:
            return xs
        x = xs[0]
        was = self.module.training
        self.module.eval()
        try:
            adv = perturb(self.method, self.module, self.space.raw(x[:k].float()), y[:k],
                          self.eps, self.space)
        finally:
            self.module.train(was)
        x = x.clone()
        x[:k] = self.space.normalize(adv).to(x.dtype)
        self.fed += k
        return [x]


def adversarial_batches(settings, dataset, compiled, module) -> AdversarialBatches | None:
    """The batch attacker the settings ask for, or None; ParamError naming the setting when
    this model or data cannot be attacked."""
    if settings.adversarial == "none":
        return None
    try:
        check_model(compiled)
        space = InputSpace.of(dataset)
    except AttackError as exc:
        raise ParamError(f"training.adversarial: {exc}") from None
    return AdversarialBatches(settings.adversarial, settings.adversarial_eps,
                              settings.adversarial_ratio, space, module)
