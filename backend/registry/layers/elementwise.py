"""Two-input arithmetic under numpy broadcasting (a (C, 1, 1) gate times a (C, H, W) map,
a feature map minus a per-channel mean) and the stored tensors such arithmetic often takes
as its other operand. Add and Multiply in merge.py keep requiring one shape (residuals)."""

from __future__ import annotations

import functools

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import fmt, forms, no_macs, numel
from netcanvas.backend.registry.spec import LayerSpec, Param, Port, ShapeError


def broadcast_shape(title: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """numpy's rule on per-sample shapes: align from the right, sizes equal or one is 1."""
    rank = max(len(a), len(b))
    a1, b1 = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for m, n in zip(a1, b1):
        if m != n and 1 not in (m, n):
            raise ShapeError(f"{title} cannot broadcast {fmt(a)} with {fmt(b)}: sizes {m} "
                             f"and {n} differ and neither is 1")
        out.append(max(m, n))
    return tuple(out)


def _infer(title: str, params: dict, inputs: dict) -> dict:
    return {"y": broadcast_shape(title, tuple(inputs["x"]), tuple(inputs["other"]))}


def _build(op: str, params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Broadcast

    x, other = tuple(inputs["x"]), tuple(inputs["other"])
    rank = max(len(x), len(other))
    pad = {name: (1,) * (rank - len(s)) + s for name, s in (("x_shape", x), ("other_shape", other))
           if len(s) < rank}
    return Broadcast(op, **pad)


def _macs(params: dict, inputs: dict, outputs: dict) -> int:
    return numel(outputs["y"])


_OPS = (  # ..., what backward keeps (backend/registry/spec.py SAVED)
    ("broadcast_add", "Add (broadcast)", "add", "x + other", (
        "operator.add", "operator.iadd", "torch.add", "Tensor.add"), ()),
    ("broadcast_sub", "Subtract (broadcast)", "sub", "x − other", (
        "operator.sub", "operator.isub", "torch.sub", "Tensor.sub"), ()),
    ("broadcast_mul", "Multiply (broadcast)", "mul", "x · other", (
        "operator.mul", "operator.imul", "torch.mul", "Tensor.mul"), ("inputs",)),
    ("broadcast_div", "Divide (broadcast)", "div", "x / other", (
        "operator.truediv", "operator.itruediv", "torch.div", "Tensor.div"), ("inputs",)),
    ("maximum", "Maximum", "max", "the larger of x and other", ("torch.maximum",), ("inputs",)),
    ("minimum", "Minimum", "min", "the smaller of x and other", ("torch.minimum",), ("inputs",)),
)

for _type_id, _title, _op, _what, _calls, _saves in _OPS:
    register(LayerSpec(
        type_id=_type_id, title=_title, category="Merge",
        doc=f"{_what}, element by element, with numpy broadcasting of the per-sample shapes: "
            "sizes are matched from the right and a size of 1 (or a missing dimension) "
            "stretches to the other's. A (C, 1, 1) squeeze-excitation gate scales every "
            "position of a (C, H, W) map; a Constant Tensor of shape (3, 1, 1) normalises "
            "each colour channel. The batch is never broadcast.",
        inputs=(Port("x", doc="The left operand."), Port("other", doc="The right operand.")),
        outputs=(Port("y"),), params=(),
        infer_shape=functools.partial(_infer, _title), build=functools.partial(_build, _op),
        macs=_macs, module_prefix=_op, example_inputs={"x": (4, 5, 5), "other": (4, 1, 1)},
        imports=forms(*_calls, args=("x", "other")), saves=_saves,
    ))


def _constant_shape(params: dict, inputs: dict) -> dict:
    return {"y": tuple(params["shape"])}


def _constant_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import TensorConstant

    return TensorConstant(params["shape"], params["trainable"])


def _constant_params(params: dict, inputs: dict, outputs: dict) -> int:
    return numel(params["shape"]) if params["trainable"] else 0


register(LayerSpec(
    type_id="constant_tensor", title="Constant Tensor", category="Input/Output",
    doc="A stored tensor of the given per-sample shape, kept in the weights file beside the "
        "project (an imported model's normalisation mean, a learned bias map). It is one "
        "sample that broadcasts over the batch; feed it to a broadcasting Add, Subtract, "
        "Multiply or Divide. Made trainable it is learned like a weight.",
    inputs=(), outputs=(Port("y"),),
    params=(Param("shape", "ints", (1,), "Per-sample shape of the stored values.",
                  min=1, max=1_000_000),
            Param("trainable", "bool", False, "Learn the values during training.")),
    infer_shape=_constant_shape, build=_constant_build, count_params=_constant_params,
    macs=no_macs, key_params=("shape",), module_prefix="const", saves=(),
))
