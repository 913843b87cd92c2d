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


class TensorConstant(nn.Module):
    """A stored tensor of per-sample shape `shape`, returned as one sample (1, *shape) that
    broadcasts over the batch. Its values live in the weights file (`<node>.value`)."""

    def __init__(self, shape: tuple[int, ...], trainable: bool = False):
        super().__init__()
        self.shape = tuple(shape)
        self.trainable = bool(trainable)
        value = torch.zeros(1, *self.shape)
        if self.trainable:
            self.value = nn.Parameter(value)
        else:
            self.register_buffer("value", value)

    def forward(self) -> torch.Tensor:
        return self.value

    def extra_repr(self) -> str:
        return f"shape={self.shape}, trainable={self.trainable}"


class Broadcast(nn.Module):
    """`op` (add, sub, mul, div, max, min) of two tensors under numpy broadcasting of their
    per-sample shapes: an input with fewer per-sample dims is first reshaped to
    `x_shape` / `other_shape` (leading ones inserted after the batch)."""

    def __init__(self, op: str, x_shape: tuple[int, ...] | None = None,
                 other_shape: tuple[int, ...] | None = None):
        super().__init__()
        self.op = op
        self.x_shape = None if x_shape is None else tuple(x_shape)
        self.other_shape = None if other_shape is None else tuple(other_shape)

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        if self.x_shape is not None:
            x = x.reshape(-1, *self.x_shape)
        if self.other_shape is not None:
            other = other.reshape(-1, *self.other_shape)
        if self.op == "add":
            return x + other
        if self.op == "sub":
            return x - other
        if self.op == "mul":
            return x * other
        if self.op == "div":
            return x / other
        if self.op == "max":
            return torch.maximum(x, other)
        return torch.minimum(x, other)

    def extra_repr(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in (("x_shape", self.x_shape),
                                                   ("other_shape", self.other_shape)) if v)
        return f"op={self.op!r}{extra}"


class Permute(nn.Module):
    """x.permute(dims), dims counted with the batch as 0 (which stays first)."""

    def __init__(self, dims: tuple[int, ...]):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


class Transpose(nn.Module):
    """x.transpose(dim0, dim1), dims counted with the batch as 0."""

    def __init__(self, dim0: int, dim1: int):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(self.dim0, self.dim1)

    def extra_repr(self) -> str:
        return f"dim0={self.dim0}, dim1={self.dim1}"


class Narrow(nn.Module):
    """x.narrow(dim, start, length): a contiguous range of one dimension."""

    def __init__(self, dim: int, start: int, length: int):
        super().__init__()
        self.dim, self.start, self.length = dim, start, length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.narrow(self.dim, self.start, self.length)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, start={self.start}, length={self.length}"


class Reduce(nn.Module):
    """x.mean / amax / amin / sum over `dims`, keeping them as size 1 when `keepdim`."""

    def __init__(self, op: str, dims: tuple[int, ...], keepdim: bool = False):
        super().__init__()
        self.op, self.dims, self.keepdim = op, tuple(dims), bool(keepdim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.op == "mean":
            return x.mean(self.dims, self.keepdim)
        if self.op == "amax":
            return x.amax(self.dims, self.keepdim)
        if self.op == "amin":
            return x.amin(self.dims, self.keepdim)
        return x.sum(self.dims, self.keepdim)

    def extra_repr(self) -> str:
        return f"op={self.op!r}, dims={self.dims}, keepdim={self.keepdim}"


class StochasticDepth(nn.Module):
    """torchvision's stochastic depth: in training, zero the input with probability p per
    sample ("row") or for the whole batch, scaling what is kept by 1 / (1 - p)."""

    def __init__(self, p: float, mode: str = "row"):
        super().__init__()
        self.p, self.mode = float(p), mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        return x * (noise / survival if survival > 0.0 else noise)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


class LayerNormChannels(nn.LayerNorm):
    """LayerNorm over dim 1 (the channels) of (N, C, ...) tensors."""

    def __init__(self, channels: int, eps: float = 1e-6, elementwise_affine: bool = True):
        super().__init__(channels, eps=eps, elementwise_affine=elementwise_affine)
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.movedim(1, -1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.movedim(-1, 1)

    def extra_repr(self) -> str:
        return f"{self.channels}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
