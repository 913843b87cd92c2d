"""Fully connected layers."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import bias, single
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError


def _linear_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    if not shape:
        raise ShapeError("Linear expects at least (N, features), got (N,)")
    return {"y": shape[:-1] + (params["out_features"],)}


def _linear_params(params: dict, inputs: dict, outputs: dict) -> int:
    fan_in = single(inputs)[-1]
    return fan_in * params["out_features"] + (params["out_features"] if params["bias"] else 0)


def _linear_macs(params: dict, inputs: dict, outputs: dict) -> int:
    shape = single(inputs)
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows * shape[-1] * params["out_features"]


def _linear_build(params: dict, inputs: dict):
    from torch import nn

    return nn.Linear(single(inputs)[-1], params["out_features"], bias=params["bias"])


register(LayerSpec(
    type_id="linear", title="Linear", category="Dense",
    saves=("input",),
    doc="A fully connected layer y = xWᵀ + b on the last dimension. Its input size comes "
        "from the incoming tensor. One Linear followed by an MSE Output is linear regression.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(
        Param("out_features", "int", 10, "Number of output units.", min=1, max=1_000_000_000),
        bias("Learn an additive bias."),
    ),
    infer_shape=_linear_shape, build=_linear_build, count_params=_linear_params,
    macs=_linear_macs, key_params=("out_features",), module_prefix="fc", aliases=("fc", "dense"),
    example_inputs={"x": (16,)}, imports=(ImportForm("nn.Linear"),),
))

