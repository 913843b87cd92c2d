"""Layers that reorder dimensions: Permute, Transpose, and ShuffleNet's channel shuffle."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    expect_rank,
    fmt,
    forms,
    no_macs,
    resolve_dim,
    single,
)
from netcanvas.backend.registry.spec import LayerSpec, Param, ParamError, Port, ShapeError

DIMS_DOC = "counted as in torch, the batch as 0 (it must stay first)"


def _permute_shape(params: dict, inputs: dict) -> dict:
    shape, dims = single(inputs), tuple(params["dims"])
    rank = len(shape) + 1
    if sorted(dims) != list(range(rank)):
        raise ShapeError(f"Permute dims {dims} are not an order of 0..{rank - 1} for a "
                         f"{fmt(shape)} input")
    if dims[0] != 0:
        raise ShapeError(f"Permute dims {dims} move the batch dimension; keep 0 first")
    full = (None, *shape)
    return {"y": tuple(full[d] for d in dims[1:])}


def _read_permute(values: dict) -> dict:
    dims = values["dims"]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if any(not isinstance(d, int) for d in dims):
        raise ParamError(f"dims {dims!r} must be whole numbers")
    return {"dims": tuple(dims)}


def _permute_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Permute

    rank = len(single(inputs)) + 1
    return Permute(tuple(d % rank for d in params["dims"]))


register(LayerSpec(
    type_id="permute", title="Permute", category="Reshape",
    doc="Reorders the dimensions of each sample without changing any value: dims (0, 2, 3, "
        "1) turns (N, C, H, W) into (N, H, W, C), as a ConvNeXt block does around its "
        "LayerNorm and Linear layers. dims are " + DIMS_DOC + ".",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("dims", "ints", (0, 2, 3, 1), f"The new order of the dimensions, {DIMS_DOC}.",
                  min=-8, max=8),),
    infer_shape=_permute_shape, build=_permute_build, macs=no_macs, key_params=("dims",),
    module_prefix="permute", example_inputs={"x": (4, 5, 6)}, saves=(), view=True,
    roles=("pass_through",),
    imports=(*forms("Tensor.permute", args=("x", "*dims"), read=_read_permute),
             *forms("torch.permute", args=("x", "dims"), read=_read_permute)),
))


def _transpose_shape(params: dict, inputs: dict) -> dict:
    shape = list(single(inputs))
    a = resolve_dim("Transpose", "dim0", params["dim0"], tuple(shape)) - 1
    b = resolve_dim("Transpose", "dim1", params["dim1"], tuple(shape)) - 1
    shape[a], shape[b] = shape[b], shape[a]
    return {"y": tuple(shape)}


def _transpose_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Transpose

    return Transpose(params["dim0"], params["dim1"])


register(LayerSpec(
    type_id="transpose", title="Transpose", category="Reshape",
    doc="Swaps two dimensions of each sample: dims 1 and 2 turn a (N, L, C) sequence into "
        "(N, C, L) for a Conv1d. dims are " + DIMS_DOC + ".",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("dim0", "int", 1, f"One dimension, {DIMS_DOC}.", min=-8, max=8),
            Param("dim1", "int", 2, f"The other, {DIMS_DOC}.", min=-8, max=8)),
    infer_shape=_transpose_shape, build=_transpose_build, macs=no_macs,
    key_params=("dim0", "dim1"), module_prefix="transpose", example_inputs={"x": (4, 5, 6)},
    saves=(), view=True, roles=("pass_through",),
    imports=forms("Tensor.transpose", "torch.transpose", "Tensor.swapaxes", "torch.swapaxes",
                  args=("x", "dim0", "dim1")),
))


def _shuffle_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    expect_rank("Channel Shuffle", shape, (3, 4, 5), "(N, C, ...)")
    if shape[0] % params["groups"]:
        raise ShapeError(f"Channel Shuffle groups {params['groups']} do not divide "
                         f"{shape[0]} channels")
    return {"y": shape}


def _shuffle_build(params: dict, inputs: dict):
    from torch import nn

    return nn.ChannelShuffle(params["groups"])


register(LayerSpec(
    type_id="channel_shuffle", title="Channel Shuffle", category="Reshape",
    doc="Interleaves the channels of `groups` groups, so that the next grouped convolution "
        "sees channels from every group (ShuffleNet): (N, g·c, H, W) is viewed as (N, g, c, "
        "H, W), the two channel axes are swapped and it is viewed back.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("groups", "int", 2, "Number of channel groups.", min=1, max=1024),),
    infer_shape=_shuffle_shape, build=_shuffle_build, macs=no_macs, key_params=("groups",),
    module_prefix="shuffle", example_inputs={"x": (4, 5, 5)}, saves=(), roles=("pass_through",),
    imports=(*forms("nn.ChannelShuffle"),
             *forms("F.channel_shuffle", "torch.channel_shuffle", args=("x", "groups"))),
))
