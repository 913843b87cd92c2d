"""Adversarial examples: FGSM, PGD, targeted attacks and accuracy under attack.

FGSM as in the course: x' = x + ε·sign(∇ₓJ(θ, x, y)); PGD repeats smaller such steps, each
projected back onto the ε-ball around x and the valid input range; a targeted attack steps
*down* the loss of the target class instead. The steps are Captum's (captum.robust FGSM and
PGD). ε is in raw-input units, the values before the dataset's mean/std normalisation
(pixels in [0, 1] for the image datasets; digits: 1 = 16 grey levels), so the model's
normalisation is applied after perturbing and the clamp to the valid range happens in raw
units. Qt-free; the app shows these results and the CLI prints them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# Captum turns on requires_grad for the inputs it differentiates, and says so every time.
warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")

METHODS = ("fgsm", "pgd")
PGD_STEPS = 10
PGD_STEP_FACTOR = 2.5  # PGD's step size is this × ε / steps (Madry et al.)


class AttackError(ValueError):
    """A model or dataset the attacks cannot take; the message says why."""


@dataclass
class InputSpace:
    """The raw-input space attacks work in: the dataset's normalisation (mean/std shaped to
    broadcast over a batch, or None) and the valid range [lo, hi] of a raw value (the
    training split's smallest and largest)."""

    mean: torch.Tensor | None
    std: torch.Tensor | None
    lo: float
    hi: float

    @classmethod
    def of(cls, dataset) -> InputSpace:
        if isinstance(dataset.train.x, (list, tuple)):
            raise AttackError("attacks take a model with one input; this dataset has "
                              f"{len(dataset.train.x)}")
        shape = (1, -1) + (1,) * (len(dataset.sample_shape) - 1)
        mean = std = None
        if dataset.mean is not None and dataset.std is not None:
            mean = dataset.mean.reshape(shape).float()
            std = dataset.std.reshape(shape).float()
        space = cls(mean, std, 0.0, 0.0)
        raw = space.raw(dataset.train.x)
        space.lo, space.hi = float(raw.min()), float(raw.max())
        return space

    def normalize(self, raw: torch.Tensor) -> torch.Tensor:
        if self.mean is None:
            return raw
        return (raw - self.mean.to(raw.device)) / self.std.to(raw.device)

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation of samples as the dataset holds them."""
        if self.mean is None:
            return x
        return x * self.std.to(x.device) + self.mean.to(x.device)


def _forward(module: torch.nn.Module, space: InputSpace):
    def forward(raw: torch.Tensor) -> torch.Tensor:
        out = module(space.normalize(raw))
        return out[0] if isinstance(out, tuple) else out
    return forward


def _loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Each sample's cross-entropy: its input gradient is its own loss's."""
    return F.cross_entropy(logits, labels, reduction="none")


def _labels(labels, n: int, device) -> torch.Tensor:
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    return labels.expand(n) if labels.dim() == 0 else labels


def fgsm(module, raw: torch.Tensor, labels, eps: float, space: InputSpace,
         targeted: bool = False) -> torch.Tensor:
    """x + ε·sign(∇ₓJ(x, y)) clamped to the valid range; with `targeted`, `labels` are the
    targets and the step is x − ε·sign(∇ₓJ(x, t)), toward them."""
    from captum.robust import FGSM

    attack = FGSM(_forward(module, space), _loss, space.lo, space.hi)
    attack.zero_thresh = 0.0  # sign(0) = 0 steps nowhere; any other gradient steps ε
    return attack.perturb(raw.detach().clone(), eps, _labels(labels, len(raw), raw.device),
                          targeted=targeted).detach()


def pgd(module, raw: torch.Tensor, labels, eps: float, space: InputSpace,
        steps: int = PGD_STEPS, targeted: bool = False) -> torch.Tensor:
    """`steps` FGSM steps of PGD_STEP_FACTOR·ε/steps, each projected onto the ε-ball around
    `raw` (L∞) and the valid range; no random start, so a result repeats exactly."""
    from captum.robust import PGD

    if eps == 0:
        return raw.detach().clone()
    attack = PGD(_forward(module, space), _loss, space.lo, space.hi)
    attack.fgsm.zero_thresh = 0.0
    return attack.perturb(raw.detach().clone(), eps, PGD_STEP_FACTOR * eps / steps, steps,
                          _labels(labels, len(raw), raw.device), targeted=targeted).detach()


def gradient_sign(module, raw: torch.Tensor, labels, space: InputSpace) -> torch.Tensor:
    """sign(∇ₓJ(x, y)) at the raw input, what FGSM steps along (shown as an image)."""
    raw = raw.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = _loss(_forward(module, space)(raw), _labels(labels, len(raw), raw.device)).sum()
        (grad,) = torch.autograd.grad(loss, raw)
    return grad.sign()


def perturb(method: str, module, raw, labels, eps: float, space: InputSpace,
            targeted: bool = False, steps: int = PGD_STEPS) -> torch.Tensor:
    if method == "fgsm":
        return fgsm(module, raw, labels, eps, space, targeted)
    if method == "pgd":
        return pgd(module, raw, labels, eps, space, steps, targeted)
    raise AttackError(f"method must be one of {', '.join(METHODS)}, not {method!r}")


def check_model(model) -> None:
    """Refuse, in one line, a model the attacks cannot take."""
    if len(model.input_names) != 1:
        raise AttackError(f"attacks take a model with one Input; this one has "
                          f"{len(model.input_names)}")
    if len(model.output_names) != 1:
        raise AttackError(f"attacks take a model with one Output; this one has "
                          f"{len(model.output_names)}")
    if not model.losses or model.losses[0].loss != "cross_entropy":
        raise AttackError("attacks need a classifier: the first Output must use the "
                          "cross-entropy loss")


def _eval_mode(module):
    """Attacks differentiate the model as it predicts: eval mode, gradients on."""
    was = module.training
    module.eval()
    return was


def accuracy_under_attack(model, dataset, eps_list, method: str = "fgsm",
                          steps: int = PGD_STEPS, batch_size: int = 512,
                          device: str | torch.device = "cpu") -> list[float]:
    """Test accuracy (a fraction) on the test split attacked with each ε of `eps_list`."""
    check_model(model)
    space = InputSpace.of(dataset)
    module = model.module.to(device)
    was = _eval_mode(module)
    raw_all = space.raw(dataset.test.x)
    y_all = dataset.test.y
    n = len(y_all)
    if n == 0:
        raise AttackError("the test split is empty")
    forward = _forward(module, space)
    try:
        result = []
        for eps in eps_list:
            correct = 0
            for start in range(0, n, batch_size):
                raw = raw_all[start:start + batch_size].to(device)
                y = y_all[start:start + batch_size].to(device)
                adv = perturb(method, module, raw, y, float(eps), space, steps=steps)
                with torch.no_grad():
                    correct += int((forward(adv).argmax(1) == y).sum())
            result.append(correct / n)
        return result
    finally:
        module.train(was)


@dataclass
class SampleAttack:
    """One test sample attacked: the images as raw (C, H, W) or feature arrays, the
    perturbation direction (sign(∇ₓJ) for FGSM, (x' − x)/ε for PGD, in [−1, 1]) and the
    class probabilities before and after."""

    x: np.ndarray
    direction: np.ndarray
    x_adv: np.ndarray
    label: int
    probs: np.ndarray
    probs_adv: np.ndarray
    eps: float
    lo: float
    hi: float

    @property
    def predicted(self) -> int:
        return int(self.probs.argmax())

    @property
    def predicted_adv(self) -> int:
        return int(self.probs_adv.argmax())


def attack_sample(model, dataset, index: int, eps: float, method: str = "fgsm",
                  target: int | None = None, steps: int = PGD_STEPS) -> SampleAttack:
    """Attack test sample `index` (toward class `target` when given)."""
    check_model(model)
    n = len(dataset.test.y)
    if not 0 <= index < n:
        raise AttackError(f"sample must be between 0 and {n - 1}, got {index}")
    space = InputSpace.of(dataset)
    module = model.module.to("cpu")
    was = _eval_mode(module)
    try:
        raw = space.raw(dataset.test.x[index:index + 1])
        label = int(dataset.test.y[index])
        labels = torch.tensor([label if target is None else target])
        targeted = target is not None
        adv = perturb(method, module, raw, labels, eps, space, targeted, steps)
        if method == "fgsm":
            direction = gradient_sign(module, raw, labels, space) * (-1 if targeted else 1)
        else:
            direction = (adv - raw) / eps if eps else torch.zeros_like(raw)
        forward = _forward(module, space)
        with torch.no_grad():
            probs = torch.softmax(forward(torch.cat([raw, adv])), dim=1)
    finally:
        module.train(was)
    return SampleAttack(raw[0].numpy(), direction[0].numpy(), adv[0].numpy(), label,
                        probs[0].numpy(), probs[1].numpy(), float(eps), space.lo, space.hi)
