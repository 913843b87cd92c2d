"""Helpers shared by layer declarations."""

from __future__ import annotations

import math

from ..spec import Shape, ShapeError


def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt(shape: Shape) -> str:
    return "(N, " + ", ".join(str(d) for d in shape) + ")" if shape else "(N,)"


def single(inputs: dict, port: str = "x") -> Shape:
    return tuple(inputs[port])


def expect_rank(title: str, shape: Shape, ranks: tuple[int, ...], layout: str) -> None:
    """Raise a ShapeError such as "expects 4-D input (N, C, H, W), got (N, 64)"."""
    if len(shape) + 1 not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise ShapeError(f"{title} expects {want} input {layout}, got {fmt(shape)}")


def same_shape(params: dict, inputs: dict) -> dict:
    return {"y": single(inputs)}
