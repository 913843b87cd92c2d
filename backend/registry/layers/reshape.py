"""Layers that only rearrange values: Flatten, Reshape, Identity."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    fmt,
    forms,
    identity_build,
    no_macs,
    numel,
    resolve_dim,
    same_shape,
    single,
)
from netcanvas.backend.registry.spec import BATCH, LayerSpec, Param, ParamError, Port, ShapeError


def _flatten_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    start = resolve_dim("Flatten", "start_dim", params["start_dim"], shape)
    end = resolve_dim("Flatten", "end_dim", params["end_dim"], shape)
    if start > end:
        raise ShapeError(f"Flatten start_dim {params['start_dim']} comes after end_dim "
                         f"{params['end_dim']} for a {fmt(shape)} input")
    return {"y": shape[:start - 1] + (numel(shape[start - 1:end]),) + shape[end:]}


def _flatten_build(params: dict, inputs: dict):
    from torch import nn

    return nn.Flatten(params["start_dim"], params["end_dim"])


DIM_DOC = "counted as in torch: 0 is the batch, 1 the first per-sample dim, -1 the last"

register(LayerSpec(
    type_id="flatten", title="Flatten", category="Reshape",
    saves=(), view=True, roles=("pass_through",),
    doc="Joins dimensions into one without changing any value: with the defaults each "
        "sample's (C, H, W) feature map becomes a vector of C*H*W values, which is what a "
        "Linear layer after convolutions needs. The batch dimension is kept.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("start_dim", "int", 1, f"First dimension joined, {DIM_DOC}.", min=-8, max=8),
            Param("end_dim", "int", -1, f"Last dimension joined, {DIM_DOC}.", min=-8, max=8)),
    infer_shape=_flatten_shape, build=_flatten_build, macs=no_macs,
    key_params=("start_dim",), module_prefix="flatten", example_inputs={"x": (4, 3, 3)},
    imports=(*forms("nn.Flatten"), *forms("torch.flatten", "Tensor.flatten",
                                          args=("x", "start_dim", "end_dim"),
                                          defaults=(("start_dim", 0),))),
))


def _reshape_shape(params: dict, inputs: dict) -> dict:
    shape, target = single(inputs), tuple(params["shape"])
    if 0 in target:
        raise ShapeError(f"Reshape target {fmt(target)} has a 0-size dimension")
    if target.count(-1) > 1:
        raise ShapeError(f"Reshape target {fmt(target)} may contain -1 only once")
    have, known = numel(shape), numel(d for d in target if d != -1)
    if -1 in target:
        if have % known:
            raise ShapeError(f"Reshape cannot fill -1 in {fmt(target)}: {have} values of "
                             f"{fmt(shape)} are not a multiple of {known}")
        target = tuple(have // known if d == -1 else d for d in target)
    elif known != have:
        raise ShapeError(f"Reshape cannot turn {fmt(shape)} ({have} values) into "
                         f"{fmt(target)} ({known} values)")
    return {"y": target}


def _read_reshape(values: dict) -> dict:
    """`x.view(x.size(0), 16, -1)` or `x.reshape((-1, 64))`: the first entry is the batch."""
    shape = values["shape"]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    rest = tuple(shape[1:])
    if not shape or not (shape[0] is BATCH or (shape[0] == -1 and -1 not in rest)):
        raise ParamError(f"shape {shape!r} does not keep the batch as its first dimension")
    if any(d is BATCH for d in rest):
        raise ParamError(f"shape {shape!r} moves the batch dimension")
    return {"shape": rest}


def _reshape_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Reshape

    return Reshape(tuple(params["shape"]))


register(LayerSpec(
    type_id="reshape", title="Reshape", category="Reshape",
    saves=(), view=True, roles=("pass_through",),
    doc="Rearranges each sample's values into a new shape with the same number of values, "
        "read in row-major order; the batch dimension is kept. One entry may be -1 to be "
        "computed from the others: shape 16, -1 turns a 64-vector into 16x4. Used to turn "
        "a Linear layer's output back into a feature map for a decoder.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("shape", "ints", (-1,), "Target shape of one sample; one -1 allowed.",
                  min=-1, max=1_000_000_000),),
    infer_shape=_reshape_shape, build=_reshape_build, macs=no_macs,
    key_params=("shape",), module_prefix="reshape", example_inputs={"x": (4, 3, 3)},
    imports=(*forms("Tensor.view", "Tensor.reshape", args=("x", "*shape"), read=_read_reshape),
             *forms("torch.reshape", args=("x", "shape"), read=_read_reshape)),
))


register(LayerSpec(
    type_id="identity", title="Identity", category="Reshape",
    saves=(), view=True, roles=("pass_through",),
    doc="Passes its input through unchanged. Useful as a named junction in a graph, as a "
        "placeholder while experimenting, or as the shortcut branch of a residual block.",
    inputs=(Port("x"),), outputs=(Port("y"),), params=(),
    infer_shape=same_shape, build=identity_build, macs=no_macs,
    module_prefix="identity", example_inputs={"x": (8,)},
    imports=(*forms("nn.Identity"), *forms("Tensor.contiguous", args=("x",))),
))
