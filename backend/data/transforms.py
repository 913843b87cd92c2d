"""Crop, flip and affine resampling of a device batch, vectorised over the batch (no
per-sample loop); backend/data/augmentation.py draws their parameters and applies them
with the other declared augmentations, augment_geometry.py to masks and boxes too."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _uniform_ints(high: int, n: int, generator: torch.Generator, device) -> torch.Tensor:
    """n integers in [0, high], drawn on the generator's device, moved to `device`."""
    return torch.randint(0, high + 1, (n,), generator=generator,
                         device=generator.device).to(device)


def crop_offsets(n: int, padding: int, generator: torch.Generator, device):
    """The (dy, dx) window offsets in [0, 2 * padding] of a random crop, one per sample."""
    return (_uniform_ints(2 * padding, n, generator, device),
            _uniform_ints(2 * padding, n, generator, device))


def shift_crop(x: torch.Tensor, padding: int, dy: torch.Tensor, dx: torch.Tensor):
    """Zero-pad (N, C, H, W) by `padding` and cut the H x W window at (dy, dx) per sample."""
    n, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    out = padded.gather(2, rows.expand(n, c, h, w + 2 * padding))
    return out.gather(3, cols.expand(n, c, h, w))


def flip_draw(n: int, generator: torch.Generator, device) -> torch.Tensor:
    """Which of n samples a random flip mirrors (each with probability 1/2)."""
    return torch.rand(n, generator=generator, device=generator.device).to(device) < 0.5


def warp(x: torch.Tensor, theta: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """(N, C, H, W) resampled through `theta` (zeros outside); mode "nearest" for masks."""
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
