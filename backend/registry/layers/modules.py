"""The few nn.Modules torch lacks, built by the layers that need them.

Imported lazily inside `build` (this module imports torch). Each class is small and
self-contained, needing only torch, so exported code can include them verbatim and a
compiled graph reads `add1 = self.add1(conv2, shortcut)`.
"""

from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """Elementwise sum of inputs of one shape (a residual connection)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Elementwise product of inputs of one shape (gating, attention masks)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """torch.cat of the inputs along `dim` (dim 1 = channels; 0 is the batch)."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Reshape(nn.Module):
    """Reshape each sample to `shape`, keeping the batch dimension."""

    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class GlobalAvgPool2d(nn.Module):
    """Mean over height and width: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(-2, -1))


class MaxUnpool2dTo(nn.MaxUnpool2d):
    """MaxUnpool2d with a fixed output height and width (for odd pooled sizes)."""

    def __init__(self, kernel_size, stride, padding, output_size: tuple[int, int]):
        super().__init__(kernel_size, stride, padding)
        self.output_size = tuple(output_size)

    def forward(self, x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        return super().forward(x, indices, self.output_size)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, output_size={self.output_size}"


class Constant(nn.Module):
    """A scalar source: one value of shape (1, 1) that broadcasts over the batch. A buffer,
    or a learned parameter when `trainable`."""

    def __init__(self, value: float = 0.0, trainable: bool = False):
        super().__init__()
        self.value = float(value)
        self.trainable = bool(trainable)
        scalar = torch.full((1, 1), self.value)
        if self.trainable:
            self.scalar = nn.Parameter(scalar)
        else:
            self.register_buffer("scalar", scalar)

    def forward(self) -> torch.Tensor:
        return self.scalar

    def extra_repr(self) -> str:
        return f"value={self.value}, trainable={self.trainable}"


class Subtract(nn.Module):
    """x - other, element by element."""

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        return x - other


class Divide(nn.Module):
    """x / other, element by element."""

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        return x / other


class Power(nn.Module):
    """x ** exponent, element by element."""

    def __init__(self, exponent: float = 2.0):
        super().__init__()
        self.exponent = float(exponent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x ** self.exponent

    def extra_repr(self) -> str:
        return f"exponent={self.exponent}"


class Exp(nn.Module):
    """e ** x, element by element."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)
