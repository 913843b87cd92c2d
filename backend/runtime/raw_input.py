"""A model that takes raw samples (before the dataset's normalisation: pixels in [0, 1],
feature values as the data's files hold them) and returns its first output. Predictions,
attributions, attacks and adversarial training all feed models through it. A model with
several Input nodes takes the raw sample at its first Input; the others are fed `others`
(model-ready tensors, one sample broadcast to the batch), and a padding mask among them can
follow the raw sample instead (real where the sample is not the padding token)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class RawInput(nn.Module):
    """raw sample -> the model's first output (logits for a classifier), normalised inside."""

    def __init__(self, module: nn.Module, mean: torch.Tensor | None,
                 std: torch.Tensor | None, others: Sequence[torch.Tensor] = (),
                 masks: Sequence[int] = (), pad: float = 0.0) -> None:
        super().__init__()
        self.module = module
        self.normalised = mean is not None
        if mean is not None:
            self.register_buffer("mean", mean)
            self.register_buffer("std", std)
        self.others = tuple(others)  # Inputs 2, 3, ...: (1, ...) or (N, ...) each
        self.masks = tuple(masks)  # which of `others` are derived: raw sample != pad
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        rest = [o.expand(n, *o.shape[1:]) if o.shape[0] == 1 else o for o in self.others]
        for k in self.masks:
            rest[k] = (x != self.pad).to(rest[k].dtype)
        if self.normalised:
            x = (x - self.mean) / self.std
        out = self.module(x, *rest)
        return out[0] if isinstance(out, tuple) else out
