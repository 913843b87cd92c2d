"""A model that takes raw samples (before the dataset's normalisation: pixels in [0, 1],
feature values as the data's files hold them) and returns its first output. Predictions,
attributions, attacks and adversarial training all feed models through it."""

from __future__ import annotations

import torch
from torch import nn


class RawInput(nn.Module):
    """raw sample -> the model's first output (logits for a classifier), normalised inside."""

    def __init__(self, module: nn.Module, mean: torch.Tensor | None,
                 std: torch.Tensor | None) -> None:
        super().__init__()
        self.module = module
        self.normalised = mean is not None
        if mean is not None:
            self.register_buffer("mean", mean)
            self.register_buffer("std", std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalised:
            x = (x - self.mean) / self.std
        out = self.module(x)
        return out[0] if isinstance(out, tuple) else out
