"""Layers that keep part of a tensor: Narrow (a contiguous range along one dimension, what
an ONNX Split or Slice and torch's chunk produce, piece by piece)."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import fmt, forms, no_macs, resolve_dim, single
from netcanvas.backend.registry.spec import LayerSpec, Param, Port, ShapeError


def _narrow_shape(params: dict, inputs: dict) -> dict:
    shape = list(single(inputs))
    dim = resolve_dim("Narrow", "dim", params["dim"], tuple(shape)) - 1
    start, length = params["start"], params["length"]
    if start + length > shape[dim]:
        raise ShapeError(f"Narrow range {start}..{start + length - 1} is outside dim "
                         f"{params['dim']} of size {shape[dim]} in {fmt(tuple(shape))}")
    shape[dim] = length
    return {"y": tuple(shape)}


def _narrow_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Narrow

    return Narrow(params["dim"], params["start"], params["length"])


register(LayerSpec(
    type_id="narrow", title="Narrow", category="Reshape",
    doc="Keeps `length` consecutive entries of one dimension, from `start`: with dim 1 it "
        "keeps a range of channels, as ShuffleNet does when it splits its feature map in "
        "two halves. dim counts as in torch with the batch as 0.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("dim", "int", 1, "The dimension to cut, counted as in torch (0 is the "
                  "batch and not allowed, -1 the last).", min=-8, max=8),
            Param("start", "int", 0, "First entry kept.", min=0),
            Param("length", "int", 1, "How many entries are kept.", min=1)),
    infer_shape=_narrow_shape, build=_narrow_build, macs=no_macs,
    key_params=("dim", "start", "length"), module_prefix="narrow",
    example_inputs={"x": (4, 5, 5)}, saves=(), view=True, roles=("pass_through",),
    imports=forms("Tensor.narrow", "torch.narrow", args=("x", "dim", "start", "length")),
))
