"""Helpers shared by layer declarations: shape formatting, rank checks and the
sliding-window arithmetic that convolutions and pooling share."""

from __future__ import annotations

import math

from netcanvas.backend.registry.spec import ImportForm, Param, ParamError, Shape, ShapeError

# Per-sample layouts by number of spatial dims, for messages: "(N, C, H, W)".
LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def bias(doc: str) -> Param:
    """The bool param that turns a layer's additive bias on (what LayerSpec.bias_param finds)."""
    return Param("bias", "bool", True, doc)


def dropout(doc: str) -> Param:
    """A dropout probability inside a layer (training only); below 1, as torch requires."""
    return Param("dropout", "float", 0.0, doc, min=0.0, max=0.99)


def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt(shape: Shape) -> str:
    return "(N, " + ", ".join(str(d) for d in shape) + ")" if shape else "(N,)"


def dims(values) -> str:
    """Spatial sizes as people write them: 5, 3x3."""
    return "x".join(str(v) for v in values)


def single(inputs: dict, port: str = "x") -> Shape:
    return tuple(inputs[port])


def expect_rank(title: str, shape: Shape, ranks: tuple[int, ...], layout: str) -> None:
    """Raise a ShapeError such as "expects 4-D input (N, C, H, W), got (N, 64)"."""
    if len(shape) + 1 not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise ShapeError(f"{title} expects {want} input {layout}, got {fmt(shape)}")


def resolve_dim(title: str, name: str, dim: int, shape: tuple[int, ...]) -> int:
    """A torch-style dim (0 = batch, negative from the end) as a positive index >= 1."""
    rank = len(shape) + 1
    index = dim + rank if dim < 0 else dim
    if not 1 <= index < rank:
        where = "the batch dimension" if index == 0 else "out of range"
        valid = "1" if rank == 2 else f"1 to {rank - 1}"
        raise ShapeError(f"{title} {name} {dim} is {where} for a {fmt(shape)} input; "
                         f"use {valid}, or -1 for the last")
    return index


def same_shape(params: dict, inputs: dict) -> dict:
    return {"y": single(inputs)}


def identity_build(params: dict, inputs: dict):
    from torch import nn

    return nn.Identity()


def no_macs(params: dict, inputs: dict, outputs: dict) -> int:
    return 0


def window_out(title: str, sizes: Shape, kernel, stride, padding, dilation=None,
               ceil_mode: bool = False) -> Shape:
    """Output sizes of a sliding window (convolution or pooling), as torch computes them.

    Raises when not one window fits: the (dilated) kernel is larger than the padded input
    (ceil_mode lets a pooling window hang over the border by up to stride - 1).
    """
    dilation = dilation or (1,) * len(sizes)
    out = []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        room = n + 2 * p - d * (k - 1) - 1
        o = (room + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside the input
            o -= 1
        out.append(o)
    if any(o < 1 for o in out):
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        dilated = f" (dilated to {dims(span)})" if span != tuple(kernel) else ""
        padded = (n + 2 * p for n, p in zip(sizes, padding))
        raise ShapeError(f"{title} kernel {dims(kernel)}{dilated} is larger than the padded "
                         f"input {dims(padded)}")
    return tuple(out)


def conv_macs(out_shape: Shape, in_channels: int, groups: int, kernel) -> int:
    """Multiply-accumulates of a convolution: each output value sums one kernel window."""
    return numel(out_shape) * (in_channels // groups) * numel(kernel)


def forms(*targets: str, args: tuple[str, ...] = ("x",), **kwargs) -> tuple[ImportForm, ...]:
    """The same import declaration for several targets (`F.relu`, `torch.relu`, ...)."""
    return tuple(ImportForm(t, args, **kwargs) for t in targets)


def only(name: str, value, allowed) -> None:
    """Refuse an imported argument value NetCanvas cannot represent."""
    if value not in allowed:
        raise ParamError(f"{name}={value!r} has no NetCanvas equivalent")
