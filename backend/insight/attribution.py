"""Why the model answered: attribution maps over one raw input for a class, with Captum.

Each method explains the class's logit (the model's output before softmax) as a function of
the raw input (pixels in [0, 1], feature values as the files hold them):
- saliency: the gradient ∂logit/∂x (signed; its magnitude is what a map shows);
- Integrated Gradients: (x − baseline) · the gradient averaged along the straight path from
  the baseline (black pixels, or the training mean of feature vectors); the attributions sum
  to logit(x) − logit(baseline) (completeness);
- occlusion: how much the logit drops when a window of the input is set to the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from netcanvas.backend.insight.attribution_methods import METHODS
from netcanvas.backend.insight.predict import Predictor

__all__ = ["METHODS", "Attribution", "attribute", "baseline", "methods_for"]
IG_STEPS = 64


@dataclass
class Attribution:
    method: str
    target: int  # the class explained
    values: np.ndarray  # one per input value, shaped like the sample
    delta: float = 0.0  # IG: sum of attributions − (logit(x) − logit(baseline))

    def map(self) -> np.ndarray:
        """(H, W) for images (channels summed), (F,) for vectors: what to overlay."""
        v = self.values
        return v.sum(axis=0) if v.ndim == 3 else v.reshape(-1)


def baseline(predictor: Predictor) -> torch.Tensor:
    """The 'absence' of input: black for images, the training mean for feature vectors."""
    shape = predictor.sample_shape
    mean, _std = predictor._stats()
    if predictor.is_image or mean is None:
        return torch.zeros(shape)
    return mean.reshape(shape).clone()


def methods_for(predictor: Predictor) -> tuple[str, ...]:
    """The methods that can explain the model: all of them when a gradient reaches the raw
    input, else occlusion alone (token ids read by an Embedding have no gradient)."""
    x = baseline(predictor)[None].requires_grad_(True)
    with torch.enable_grad():
        out = predictor.raw_module()(x)
        grad = torch.autograd.grad(out.sum(), x, allow_unused=True)[0]
    return tuple(METHODS) if grad is not None else ("occlusion",)


def occlusion_window(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(window, strides): a seventh of the image's side, at least 2 (2×2 on 8×8 digits),
    stride half of it; one value at a time for vectors."""
    if len(shape) != 3:
        return (1,) * len(shape), (1,) * len(shape)
    side = max(2, min(shape[1:]) // 7)
    stride = max(1, side // 2)
    return (shape[0], side, side), (shape[0], stride, stride)


def attribute(predictor: Predictor, x_raw: torch.Tensor, method: str,
              target: int | None = None) -> Attribution:
    """The `method` attribution of one raw sample for class `target` (None: the predicted)."""
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of "
                         f"{', '.join(METHODS)}")
    forward = predictor.raw_module()
    x = torch.as_tensor(x_raw, dtype=torch.float32).reshape(1, *predictor.sample_shape)
    if target is None:
        with torch.no_grad():
            target = int(forward(x).argmax(dim=-1)[0])
    base = baseline(predictor)[None]
    delta = 0.0
    with torch.enable_grad():
        x = x.clone().requires_grad_(True)
        if method == "saliency":
            values = Saliency(forward).attribute(x, target=target, abs=False)
        elif method == "integrated_gradients":
            values, d = IntegratedGradients(forward).attribute(
                x, baselines=base, target=target, n_steps=IG_STEPS,
                method="gausslegendre", return_convergence_delta=True)
            delta = float(d.abs().max())
        else:
            window, strides = occlusion_window(predictor.sample_shape)
            values = Occlusion(forward).attribute(x, sliding_window_shapes=window,
                                                  strides=strides, baselines=base,
                                                  target=target, perturbations_per_eval=64)
    return Attribution(method, target, values.detach()[0].numpy(), delta)
