"""Random crop and flip on a device batch, vectorised over the batch (no per-sample loop);
backend/data/augmentation.py applies them with the other declared augmentations."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _uniform_ints(high: int, n: int, generator: torch.Generator, device) -> torch.Tensor:
    """n integers in [0, high], drawn on the generator's device, moved to `device`."""
    return torch.randint(0, high + 1, (n,), generator=generator,
                         device=generator.device).to(device)


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad (N, C, H, W) by `padding` and cut an H x W window at a random offset per sample."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    dy = _uniform_ints(2 * padding, n, generator, x.device)
    dx = _uniform_ints(2 * padding, n, generator, x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    out = padded.gather(2, rows.expand(n, c, h, w + 2 * padding))
    return out.gather(3, cols.expand(n, c, h, w))


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each (N, C, H, W) sample left-right with probability 1/2."""
    flip = torch.rand(x.shape[0], generator=generator, device=generator.device).to(x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)
