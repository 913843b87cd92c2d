"""The declared augmentations (backend/augmentations.py) applied to a training batch on its
device, vectorised over the batch, every random draw from the run's seeded generator.

Geometric ones (resized crop, rotation, affine) compose into one affine matrix per sample
and one `grid_sample`. Pixel-value ones (colour jitter, greyscale) work on raw pixels: the
batch is un-normalised with the dataset's statistics first and normalised again after.
Mixup and CutMix also return the second targets and the mixing share: the loss is
lam * loss(out, y) + (1 - lam) * loss(out, y2) (Loop._step).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from netcanvas.backend.data.augment_geometry import Warp
from netcanvas.backend.data.transforms import crop_offsets, flip_draw, warp
from netcanvas.backend.project import DatasetConfig


def _rand(n: int, g: torch.Generator, device, low: float = 0.0, high: float = 1.0):
    return (torch.rand(n, generator=g, device=g.device) * (high - low) + low).to(device)


def affine_draw(n: int, g: torch.Generator, dev, min_area: float, degrees: float,
                strength: float) -> torch.Tensor:
    """(n, 2, 3) affine_grid matrices of a random resized crop, rotation and affine (shift,
    scale, shear): each maps an output position to the input position it samples."""
    eye = torch.eye(2, device=dev).expand(n, 2, 2)
    shift = torch.zeros(n, 2, device=dev)
    m = eye.clone()
    if min_area > 0:  # sample a crop: area share in [min_area, 1], aspect in [3/4, 4/3]
        area = _rand(n, g, dev, min_area, 1.0)
        aspect = torch.exp(_rand(n, g, dev, math.log(3 / 4), math.log(4 / 3)))
        sw, sh = (area * aspect).sqrt().clamp(max=1), (area / aspect).sqrt().clamp(max=1)
        m = torch.diag_embed(torch.stack([sw, sh], 1))
        shift = torch.stack([(1 - sw) * _rand(n, g, dev, -1, 1),
                             (1 - sh) * _rand(n, g, dev, -1, 1)], 1)
    if degrees > 0:
        a = _rand(n, g, dev, -degrees, degrees) * (math.pi / 180)
        rot = torch.stack([torch.stack([a.cos(), -a.sin()], 1),
                           torch.stack([a.sin(), a.cos()], 1)], 1)
        m = m @ rot
    if strength > 0:
        scale = 1 + _rand(n, g, dev, -strength, strength)
        shear = _rand(n, g, dev, -strength, strength)
        aff = torch.stack([torch.stack([scale, shear * scale], 1),
                           torch.stack([torch.zeros_like(scale), scale], 1)], 1)
        m = m @ aff
        shift = shift + 2 * torch.stack([_rand(n, g, dev, -strength, strength),
                                         _rand(n, g, dev, -strength, strength)], 1)
    return torch.cat([m, shift[:, :, None]], 2)


def geometry(x: torch.Tensor, g: torch.Generator, min_area: float, degrees: float,
             strength: float) -> torch.Tensor:
    """Random resized crop, rotation and affine (shift, scale, shear), one grid_sample."""
    return warp(x, affine_draw(x.shape[0], g, x.device, min_area, degrees, strength))


def color_jitter(x: torch.Tensor, g: torch.Generator, strength: float) -> torch.Tensor:
    """Brightness, contrast and (colour images) saturation factors in [1 - s, 1 + s]."""
    n, dev = x.shape[0], x.device
    factor = lambda: _rand(n, g, dev, 1 - strength, 1 + strength).view(n, 1, 1, 1)
    x = x * factor()
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * factor() + mean
    if x.shape[1] == 3:
        grey = _luminance(x)
        x = (x - grey) * factor() + grey
    return x


def _luminance(x: torch.Tensor) -> torch.Tensor:
    w = torch.tensor([0.299, 0.587, 0.114], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def grayscale(x: torch.Tensor, g: torch.Generator, p: float) -> torch.Tensor:
    if x.shape[1] != 3:
        return x
    pick = (_rand(x.shape[0], g, x.device) < p).view(-1, 1, 1, 1)
    return torch.where(pick, _luminance(x).expand_as(x), x)


def blur(x: torch.Tensor, g: torch.Generator, p: float) -> torch.Tensor:
    """A 5x5 Gaussian (σ drawn per sample in [0.1, 1.5]) on a share p of the samples."""
    n, c, dev = x.shape[0], x.shape[1], x.device
    sigma = _rand(n, g, dev, 0.1, 1.5)
    pick = (_rand(n, g, dev) < p).view(-1, 1, 1, 1)
    t = torch.arange(-2, 3, device=dev, dtype=x.dtype)
    k = torch.exp(-(t[None] ** 2) / (2 * sigma[:, None] ** 2))
    k = k / k.sum(1, keepdim=True)  # (n, 5)
    kernel = (k[:, :, None] * k[:, None, :]).repeat_interleave(c, 0)[:, None]  # (n*c, 1, 5, 5)
    out = F.conv2d(F.pad(x.reshape(1, n * c, *x.shape[2:]), (2,) * 4, mode="replicate"),
                   kernel, groups=n * c).reshape(x.shape)
    return torch.where(pick, out, x)


def _boxes(n: int, h: int, w: int, g: torch.Generator, dev, area: torch.Tensor):
    """(top, left, height, width) per sample of a rectangle of that area share."""
    aspect = torch.exp(_rand(n, g, dev, math.log(0.3), math.log(3.3)))
    bh = (area * h * h / aspect).sqrt().clamp(1, h).round()
    bw = (area * w * w * aspect).sqrt().clamp(1, w).round()
    top = (_rand(n, g, dev) * (h - bh + 1)).floor()
    left = (_rand(n, g, dev) * (w - bw + 1)).floor()
    return top, left, bh, bw


def _box_mask(shape, top, left, bh, bw) -> torch.Tensor:
    n, _, h, w = shape
    rows = torch.arange(h, device=top.device)[None, :, None]
    cols = torch.arange(w, device=top.device)[None, None, :]
    inside = ((rows >= top.view(n, 1, 1)) & (rows < (top + bh).view(n, 1, 1)) &
              (cols >= left.view(n, 1, 1)) & (cols < (left + bw).view(n, 1, 1)))
    return inside[:, None]


def erasing(x: torch.Tensor, g: torch.Generator, p: float) -> torch.Tensor:
    """Zero (the training mean, after normalisation) a random rectangle, share p of samples."""
    n, _, h, w = x.shape
    area = _rand(n, g, x.device, 0.02, 0.33)
    mask = _box_mask(x.shape, *_boxes(n, h, w, g, x.device, area))
    pick = (_rand(n, g, x.device) < p).view(-1, 1, 1, 1)
    return x.masked_fill(mask & pick, 0.0)


def mix(x: torch.Tensor, y: torch.Tensor, g: torch.Generator, mode: str, alpha: float):
    """Mixup or CutMix of the batch with a shuffled copy: (x, y, y2, lam), lam a scalar
    tensor (CutMix: the share of the image kept, after rounding the patch to pixels)."""
    n = x.shape[0]
    lam = _beta_draw(alpha, g)
    perm = torch.randperm(n, generator=g, device=g.device).to(x.device)
    y2 = y.index_select(0, perm)
    if mode == "mixup":
        return lam * x + (1 - lam) * x.index_select(0, perm), y, y2, torch.tensor(lam)
    _, _, h, w = x.shape
    area = torch.full((1,), 1 - lam, device=x.device)
    top, left, bh, bw = _boxes(1, h, w, g, x.device, area)
    mask = _box_mask((1, 1, h, w), top, left, bh, bw)
    kept = 1 - float(mask.sum()) / (h * w)
    return torch.where(mask, x.index_select(0, perm), x), y, y2, torch.tensor(kept)


def _beta_draw(alpha: float, g: torch.Generator) -> float:
    """Beta(alpha, alpha) drawn from the seeded generator (Jöhnk's method: two uniforms)."""
    while True:
        u, v = torch.rand(2, generator=g, device=g.device).tolist()
        a, b = u ** (1 / alpha), v ** (1 / alpha)
        if 0 < a + b <= 1:
            return a / (a + b)


class Augmenter:
    """The config's augmentations. `augmenter(x, g)` augments one image batch;
    `with_targets` moves a sample's inputs and its mask / box / image targets alike."""

    def __init__(self, config: DatasetConfig, mean: torch.Tensor | None,
                 std: torch.Tensor | None):
        c = self.config = config
        self.mean, self.std = mean, std
        self.affine = c.augment_resized_crop > 0 or c.augment_rotation > 0 or \
            c.augment_affine > 0
        self.geometric = self.affine or c.augment_crop_padding > 0 or c.augment_flip
        self.pixel = c.augment_color_jitter > 0 or c.augment_grayscale > 0

    def draw(self, n: int, g: torch.Generator, device) -> Warp:
        """The geometric draws of one batch of n samples (the crop, flip, affine order)."""
        c, warp = self.config, Warp()
        if c.augment_crop_padding > 0:
            warp.padding = int(c.augment_crop_padding)
            warp.offsets = crop_offsets(n, warp.padding, g, device)
        if c.augment_flip:
            warp.flip = flip_draw(n, g, device)
        if self.affine:
            warp.theta = affine_draw(n, g, device, c.augment_resized_crop,
                                     c.augment_rotation, c.augment_affine)
        return warp

    def photometric(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        c = self.config
        if self.pixel:
            shape = (1, -1, 1, 1)
            m = self.mean.to(x.device).view(shape) if self.mean is not None else 0.0
            s = self.std.to(x.device).view(shape) if self.std is not None else 1.0
            x = x * s + m
            if c.augment_color_jitter > 0:
                x = color_jitter(x, g, c.augment_color_jitter)
            if c.augment_grayscale > 0:
                x = grayscale(x, g, c.augment_grayscale)
            x = (x - m) / s
        if c.augment_blur > 0:
            x = blur(x, g, c.augment_blur)
        if c.augment_erasing > 0:
            x = erasing(x, g, c.augment_erasing)
        return x

    def __call__(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        if self.geometric:
            x = self.draw(x.shape[0], g, x.device).image(x)
        return self.photometric(x, g)

    def with_targets(self, xs: list[torch.Tensor], ys: list[torch.Tensor],
                     kinds: list[str | None], g: torch.Generator):
        """(xs, ys) of one batch augmented: one geometric draw moves every image input and
        every mask / box / image target (kinds per target); photometric ones touch the
        inputs only. Samples whose box left the image are dropped (when every box left it,
        the batch stays as it was, unmoved)."""
        images = [k for k, x in enumerate(xs) if x.dim() == 4]
        if not images:
            return xs, ys
        xs, ys = list(xs), list(ys)
        if self.geometric:
            first = xs[images[0]]
            warp = self.draw(first.shape[0], g, first.device)
            moved = [warp.image(x) if k in images else x for k, x in enumerate(xs)]
            moved_ys, keep = warp.targets(ys, kinds, tuple(first.shape[-2:]))
            rows = keep.nonzero().squeeze(1) if keep is not None else None  # one device read
            if rows is None or len(rows) == len(keep):
                xs, ys = moved, moved_ys
            elif len(rows):
                xs = [x.index_select(0, rows) for x in moved]
                ys = [y.index_select(0, rows) for y in moved_ys]
        for k in images:
            xs[k] = self.photometric(xs[k], g)
        return xs, ys


def augmenter(config: DatasetConfig, mean: torch.Tensor | None,
              std: torch.Tensor | None) -> Augmenter | None:
    """The config's Augmenter, or None when nothing is on."""
    a = Augmenter(config, mean, std)
    on = a.geometric or a.pixel or config.augment_blur > 0 or config.augment_erasing > 0
    return a if on else None


def mixer(config: DatasetConfig) -> Callable | None:
    """(x, y, generator) -> (x, y, y2, lam) per `augment_mix`, or None when off."""
    if config.augment_mix == "none":
        return None
    return lambda x, y, g: mix(x, y, g, config.augment_mix, config.augment_mix_alpha)


def augment(x: torch.Tensor, config: DatasetConfig, generator: torch.Generator,
            mean: torch.Tensor | None = None, std: torch.Tensor | None = None) -> torch.Tensor:
    """The config's augmentations on one batch; non-image batches pass unchanged.

    Deterministic given the generator's state. Padding and erasing are zero in the
    (normalised) input space, i.e. the training mean when normalisation is on.
    """
    apply = augmenter(config, mean, std) if x.dim() == 4 else None
    return x if apply is None else apply(x, generator)
