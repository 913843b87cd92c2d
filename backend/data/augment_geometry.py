"""One batch's geometric augmentation draws, applied alike to its images, masks and boxes.

A `Warp` holds what crop-with-padding, flip and the affine group (resized crop, rotation,
affine) drew for each sample, so every image input and image target of a sample moves
together (bilinear), a mask moves with it (nearest neighbour: classes stay classes; outside
the image is class 0) and a box (x0, y0, x1, y1 as fractions of the image) becomes the box
around its moved corners, clipped to the image. A sample whose box leaves the image is
flagged so the batch drops it. Photometric augmentations never come here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from netcanvas.backend.data.transforms import shift_crop, warp

GEOMETRIC_KINDS = ("image", "mask", "boxes")  # targets a geometric augmentation moves
UNMOVED_KINDS = ("class", "vector")  # targets it leaves as they are


@dataclass
class Warp:
    padding: int = 0
    offsets: tuple[torch.Tensor, torch.Tensor] | None = None  # crop (dy, dx) per sample
    flip: torch.Tensor | None = None  # (N,) bool
    theta: torch.Tensor | None = None  # (N, 2, 3), output position -> input position

    def image(self, x: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
        if self.offsets is not None:
            x = shift_crop(x, self.padding, *self.offsets)
        if self.flip is not None:
            x = torch.where(self.flip[:, None, None, None], x.flip(3), x)
        if self.theta is not None:
            x = warp(x, self.theta, mode)
        return x

    def mask(self, m: torch.Tensor) -> torch.Tensor:
        """(N, H, W) class numbers, moved by nearest neighbour."""
        if self.theta is None:
            return self.image(m[:, None])[:, 0]
        return self.image(m[:, None].float(), "nearest")[:, 0].round().to(m.dtype)

    def boxes(self, b: torch.Tensor, hw: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 4) boxes moved, clipped to the image; and which samples keep a box inside."""
        h, w = hw
        xs, ys = b[:, [0, 2, 0, 2]], b[:, [1, 1, 3, 3]]  # the four corners, fractions
        if self.offsets is not None:
            dy, dx = self.offsets
            xs = xs - (dx.to(b) - self.padding)[:, None] / w
            ys = ys - (dy.to(b) - self.padding)[:, None] / h
        if self.flip is not None:
            xs = torch.where(self.flip[:, None], 1 - xs, xs)
        if self.theta is not None:  # input q = m p + t, so output p = m^-1 (q - t)
            theta = self.theta.to(b)
            q = torch.stack([2 * xs - 1, 2 * ys - 1], 1) - theta[:, :, 2:]
            p = torch.linalg.inv(theta[:, :, :2]) @ q
            xs, ys = (p[:, 0] + 1) / 2, (p[:, 1] + 1) / 2
        out = torch.stack([xs.amin(1), ys.amin(1), xs.amax(1), ys.amax(1)], 1).clamp(0, 1)
        inside = (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
        return out, inside

    def targets(self, ys: list[torch.Tensor], kinds: list[str | None],
                hw: tuple[int, int]) -> tuple[list[torch.Tensor], torch.Tensor | None]:
        """Each target moved per its kind; and the samples to keep (None: all)."""
        out, keep = [], None
        for y, kind in zip(ys, kinds):
            if kind == "mask":
                y = self.mask(y)
            elif kind == "image":
                y = self.image(y)
            elif kind == "boxes":
                y, inside = self.boxes(y, hw)
                keep = inside if keep is None else keep & inside
            out.append(y)
        return out, keep

