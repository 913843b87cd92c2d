"""Layers that join several tensors: Add, Multiply (elementwise) and Concat."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import fmt, forms, no_macs, numel, resolve_dim
from netcanvas.backend.registry.spec import LayerSpec, Param, Port, ShapeError


def _shapes(title: str, inputs: dict) -> list[tuple[int, ...]]:
    shapes = [tuple(s) for s in inputs["x"]]
    if len(shapes) < 2:
        raise ShapeError(f"{title} needs at least 2 inputs, got {len(shapes)}")
    return shapes


def _elementwise(type_id: str, title: str, module: str, prefix: str, doc: str,
                 calls: tuple[str, ...], saves: tuple[str, ...]) -> None:
    def infer(params: dict, inputs: dict) -> dict:
        shapes = _shapes(title, inputs)
        for s in shapes[1:]:
            if s != shapes[0]:
                raise ShapeError(f"{title} needs inputs of one shape, got {fmt(shapes[0])} "
                                 f"and {fmt(s)}")
        return {"y": shapes[0]}

    def macs(params: dict, inputs: dict, outputs: dict) -> int:
        return (len(inputs["x"]) - 1) * numel(outputs["y"])

    def build(params: dict, inputs: dict):
        from netcanvas.backend.registry.layers import modules

        return getattr(modules, module)()

    register(LayerSpec(
        type_id=type_id, title=title, category="Merge", doc=doc,
        inputs=(Port("x", many=True, doc="Two or more tensors of one shape."),),
        outputs=(Port("y"),), params=(), infer_shape=infer, build=build, macs=macs,
        module_prefix=prefix, example_inputs={"x": [(4, 5, 5), (4, 5, 5)]}, saves=saves,
        imports=forms(*calls, args=("x", "x")),
    ))


_elementwise("add", "Add", "Add", "add",
             "Sums its inputs element by element; all must have the same shape (no "
             "broadcasting, so a mismatch is caught here rather than silently expanded). "
             "Adding a block's input to its output is a residual connection, the idea behind "
             "ResNet: the block only has to learn a correction, and gradients flow straight "
             "through the sum to early layers.",
             ("operator.add", "operator.iadd", "torch.add", "Tensor.add"), ())
_elementwise("multiply", "Multiply", "Multiply", "mul",
             "Multiplies its inputs element by element; all must have the same shape. One "
             "input squashed by a Sigmoid acts as a learned gate on the other, as in LSTMs "
             "and squeeze-and-excitation blocks.",
             ("operator.mul", "operator.imul", "torch.mul", "Tensor.mul"), ("inputs",))


def _concat_shape(params: dict, inputs: dict) -> dict:
    shapes = [tuple(s) for s in inputs["x"]]  # one input passes through (DenseNet's first layer)
    if not shapes:
        raise ShapeError("Concat needs at least 1 input, got 0")
    first = shapes[0]
    dim = resolve_dim("Concat", "dim", params["dim"], first)
    for s in shapes[1:]:
        if len(s) != len(first) or s[:dim - 1] + s[dim:] != first[:dim - 1] + first[dim:]:
            raise ShapeError(f"Concat inputs must match except in dim {params['dim']}, got "
                             f"{fmt(first)} and {fmt(s)}")
    total = sum(s[dim - 1] for s in shapes)
    return {"y": first[:dim - 1] + (total,) + first[dim:]}


def _concat_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Concat

    return Concat(params["dim"])


register(LayerSpec(
    type_id="concat", title="Concat", category="Merge",
    saves=(),
    doc="Stacks its inputs side by side along one dimension; all other dimensions must "
        "match. dim counts as in torch with the batch as 0: dim 1 joins channels of feature "
        "maps (an Inception block joins its parallel branches this way, and U-Net joins "
        "encoder and decoder features), and -1 joins the last dimension. Unlike Add it "
        "keeps every input's values apart for the next layer to combine.",
    inputs=(Port("x", many=True, doc="The tensors to join (one passes through)."),),
    outputs=(Port("y"),),
    params=(Param("dim", "int", 1, "Dimension to join along: 1 = channels, 0 is the batch "
                  "and not allowed, -1 = last.", min=-8, max=8),),
    infer_shape=_concat_shape, build=_concat_build, macs=no_macs,
    key_params=("dim",), module_prefix="cat",
    imports=forms("torch.cat", "torch.concat", args=("x", "dim"), defaults=(("dim", 0),)),
    example_inputs={"x": [(4, 5, 5), (2, 5, 5)]},
))
