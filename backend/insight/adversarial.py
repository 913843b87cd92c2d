"""Adversarial examples: FGSM, PGD, targeted attacks and accuracy under attack.

FGSM as in the course: x' = x + ε·sign(∇ₓJ(θ, x, y)); PGD repeats smaller such steps, each
projected back onto the ε-ball around x and the valid input range; a targeted attack steps
*down* the loss of the target class instead. The steps are Captum's (captum.robust FGSM and
PGD). Attacks work on raw inputs (backend/insight/predict.py): ε is in raw-input units,
before the dataset's mean/std normalisation (pixels in [0, 1]; for the 8×8 digits 1 = 16
grey levels), the normalisation is applied after perturbing, and the clamp to the valid
range happens in raw units. The steps themselves are backend/runtime/perturb.py's (adversarial
training takes them too); this module attacks a Predictor's samples and measures accuracy.
Qt-free; the app shows these results and the CLI prints them.
"""


from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from netcanvas.backend.runtime.perturb import (  # noqa: F401 - the attacks, re-exported here
    METHODS,
    PGD_STEPS,
    AttackError,
    Bounds,
    check_model,
    fgsm,
    gradient_sign,
    perturb,
    pgd,
)


def accuracy_under_attack(predictor, raw: torch.Tensor, labels: torch.Tensor, eps_list,
                          method: str = "fgsm", steps: int = PGD_STEPS,
                          batch_size: int = 512, device="cpu", on_batch=None) -> list[float]:
    """Accuracy (a fraction) on the raw samples `raw` attacked with each ε of `eps_list`,
    computed on `device` (the predictor's model moves there); `on_batch()` is called after
    each batch (progress)."""
    check_model(predictor.model)
    if len(labels) == 0:
        raise AttackError("no samples to attack (the test split is empty)")
    module = predictor.raw_module().to(device)
    result = []
    for eps in eps_list:
        correct = 0
        for start in range(0, len(labels), batch_size):
            x = raw[start:start + batch_size].to(device)
            y = labels[start:start + batch_size].to(device)
            adv = perturb(method, module, x, y, float(eps), predictor.valid_range, steps=steps)
            with torch.no_grad():
                correct += int((module(adv).argmax(1) == y).sum())
            if on_batch is not None:
                on_batch()
        result.append(correct / len(labels))
    return result


@dataclass
class SampleAttack:
    """One sample attacked: raw input, the direction of the step (sign(∇ₓJ) for FGSM,
    (x' − x)/ε for PGD; values in [−1, 1]), the adversarial input, and the class
    probabilities before and after."""

    x: np.ndarray
    direction: np.ndarray
    x_adv: np.ndarray
    probs: np.ndarray
    probs_adv: np.ndarray

    @property
    def predicted(self) -> int:
        return int(self.probs.argmax())

    @property
    def predicted_adv(self) -> int:
        return int(self.probs_adv.argmax())


def attack_sample(predictor, raw: torch.Tensor, label: int, eps: float, method: str = "fgsm",
                  target: int | None = None, steps: int = PGD_STEPS) -> SampleAttack:
    """Attack one raw sample of class `label` (toward class `target` when given)."""
    check_model(predictor.model)
    module = predictor.raw_module()
    raw = raw[None].float()
    labels = torch.tensor([label if target is None else target])
    targeted = target is not None
    adv = perturb(method, module, raw, labels, eps, predictor.valid_range, targeted, steps)
    if method == "fgsm":
        direction = gradient_sign(module, raw, labels) * (-1 if targeted else 1)
    else:
        direction = (adv - raw) / eps if eps else torch.zeros_like(raw)
    with torch.no_grad():
        probs = torch.softmax(module(torch.cat([raw, adv])).float(), dim=1)
    return SampleAttack(raw[0].numpy(), direction[0].numpy(), adv[0].numpy(),
                        probs[0].numpy(), probs[1].numpy())
