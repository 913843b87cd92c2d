"""Adversarial perturbations of a batch: FGSM, PGD and targeted steps (adversarial training,
backend/training/adversarial.py, and the attack views, backend/insight/adversarial.py).

FGSM as in the course: x' = x + ε·sign(∇ₓJ(θ, x, y)); PGD repeats smaller such steps, each
projected back onto the ε-ball around x and the valid input range; a targeted attack steps
*down* the loss of the target class instead. The steps are Captum's (captum.robust FGSM and
PGD). Attacks work on raw inputs (backend/insight/predict.py): ε is in raw-input units,
before the dataset's mean/std normalisation (pixels in [0, 1]; for the 8×8 digits 1 = 16
grey levels), the normalisation is applied after perturbing, and the clamp to the valid
range happens in raw units. Qt-free; the app shows these results and the CLI prints them.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

# Captum turns on requires_grad for the inputs it differentiates, and says so every time.
warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")

METHODS = ("fgsm", "pgd")
PGD_STEPS = 10
PGD_STEP_FACTOR = 2.5  # PGD's step size is this × ε / steps (Madry et al.)
Bounds = tuple[float, float] | None  # the valid raw range; None: unbounded (feature vectors)


class AttackError(ValueError):
    """A model or input the attacks cannot take; the message says why."""


def _loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Each sample's cross-entropy: its input gradient is its own loss's."""
    return F.cross_entropy(logits, labels, reduction="none")


def _labels(labels, n: int, device) -> torch.Tensor:
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    return labels.expand(n) if labels.dim() == 0 else labels


def _limits(bounds: Bounds) -> tuple[float, float]:
    return bounds if bounds is not None else (float("-inf"), float("inf"))


def fgsm(module, raw: torch.Tensor, labels, eps: float, bounds: Bounds = None,
         targeted: bool = False) -> torch.Tensor:
    """x + ε·sign(∇ₓJ(x, y)) clamped to `bounds`; with `targeted`, `labels` are the targets
    and the step is x − ε·sign(∇ₓJ(x, t)), toward them. `module` maps raw inputs to logits."""
    from captum.robust import FGSM

    attack = FGSM(module, _loss, *_limits(bounds))
    attack.zero_thresh = 0.0  # sign(0) = 0 steps nowhere; any other gradient steps ε
    return attack.perturb(raw.detach().clone(), eps, _labels(labels, len(raw), raw.device),
                          targeted=targeted).detach()


def pgd(module, raw: torch.Tensor, labels, eps: float, bounds: Bounds = None,
        steps: int = PGD_STEPS, targeted: bool = False) -> torch.Tensor:
    """`steps` FGSM steps of PGD_STEP_FACTOR·ε/steps, each projected onto the L∞ ε-ball
    around `raw` and onto `bounds`; no random start, so a result repeats exactly."""
    from captum.robust import PGD

    if eps == 0:
        return raw.detach().clone()
    attack = PGD(module, _loss, *_limits(bounds))
    attack.fgsm.zero_thresh = 0.0
    return attack.perturb(raw.detach().clone(), eps, PGD_STEP_FACTOR * eps / steps, steps,
                          _labels(labels, len(raw), raw.device), targeted=targeted).detach()


def perturb(method: str, module, raw, labels, eps: float, bounds: Bounds = None,
            targeted: bool = False, steps: int = PGD_STEPS) -> torch.Tensor:
    if method == "fgsm":
        return fgsm(module, raw, labels, eps, bounds, targeted)
    if method == "pgd":
        return pgd(module, raw, labels, eps, bounds, steps, targeted)
    raise AttackError(f"method must be one of {', '.join(METHODS)}, not {method!r}")


def gradient_sign(module, raw: torch.Tensor, labels) -> torch.Tensor:
    """sign(∇ₓJ(x, y)) at the raw input: the direction FGSM steps along."""
    raw = raw.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = _loss(module(raw), _labels(labels, len(raw), raw.device)).sum()
        (grad,) = torch.autograd.grad(loss, raw)
    return grad.sign()


def check_model(model) -> None:
    """Refuse, in one line, a CompiledModel the attacks cannot take."""
    for what, names in (("Input", model.input_names), ("Output", model.output_names)):
        if len(names) != 1:
            raise AttackError(f"attacks take a model with one {what}; this one has "
                              f"{len(names)}")
    if not model.losses or model.losses[0].loss != "cross_entropy":
        raise AttackError("attacks need a classifier: the Output must use the cross-entropy "
                          "loss")
