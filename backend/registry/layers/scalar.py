"""The pieces of a computational circuit (the course's f(x, y, z) = z(x + y)): a Constant
source with a value, and the elementwise arithmetic Add and Multiply lack (Subtract,
Divide, Power, Exp). They work on tensors of any shape as well as on scalars."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import fmt, same_shape
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError


def _constant_shape(params: dict, inputs: dict) -> dict:
    return {"y": (1,)}


def _constant_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Constant

    return Constant(params["value"], params["trainable"])


def _constant_params(params: dict, inputs: dict, outputs: dict) -> int:
    return 1 if params["trainable"] else 0


register(LayerSpec(
    type_id="constant", title="Constant", category="Input/Output",
    saves=(),
    doc="A scalar with a value you set: an input of a circuit such as f = z(x + y), where "
        "the Circuit view shows each wire's value and the gradient of the output with "
        "respect to it. It is one number per sample and broadcasts over the batch; made "
        "trainable it becomes a learned scalar.",
    inputs=(), outputs=(Port("y"),),
    params=(Param("value", "float", 1.0, "The number this node outputs.",
                  min=-1e6, max=1e6),
            Param("trainable", "bool", False, "Learn the value during training.")),
    infer_shape=_constant_shape, build=_constant_build, count_params=_constant_params,
    key_params=("value",), module_prefix="const",
    imports=(ImportForm("netcanvas.Constant"),),  # as `netcanvas code` writes it
))


def _binary(type_id: str, title: str, module: str, prefix: str, doc: str,
            saves: tuple[str, ...]) -> None:
    def infer(params: dict, inputs: dict) -> dict:
        x, other = tuple(inputs["x"]), tuple(inputs["other"])
        if x != other:
            raise ShapeError(f"{title} needs inputs of one shape, got {fmt(x)} and {fmt(other)}")
        return {"y": x}

    def build(params: dict, inputs: dict):
        from netcanvas.backend.registry.layers import modules

        return getattr(modules, module)()

    register(LayerSpec(
        type_id=type_id, title=title, category="Merge", doc=doc,
        inputs=(Port("x", doc="The left operand."), Port("other", doc="The right operand.")),
        outputs=(Port("y"),), params=(), infer_shape=infer, build=build,
        module_prefix=prefix, example_inputs={"x": (4, 5, 5), "other": (4, 5, 5)}, saves=saves,
    ))


_binary("subtract", "Subtract", "Subtract", "sub",
        "x − other, element by element; both inputs must have the same shape. Its local "
        "gradients are +1 and −1: the output's gradient flows back unchanged to x and "
        "negated to other.", ())
_binary("divide", "Divide", "Divide", "div",
        "x / other, element by element; both inputs must have the same shape. Its local "
        "gradients are 1/other for x and −x/other² for other.", ("inputs",))


def _unary(type_id: str, title: str, doc: str, saves: tuple[str, ...], params=(),
           key_params=()) -> None:
    def build(p: dict, inputs: dict):
        from netcanvas.backend.registry.layers import modules

        cls = getattr(modules, title)
        return cls(**{k: p[k] for k in key_params})

    register(LayerSpec(
        type_id=type_id, title=title, category="Activation", doc=doc,
        inputs=(Port("x"),), outputs=(Port("y"),), params=tuple(params),
        infer_shape=same_shape, build=build, key_params=tuple(key_params),
        module_prefix=type_id, example_inputs={"x": (8,)}, saves=saves,
    ))


_unary("power", "Power", "x raised to a fixed exponent, element by element (2 squares, 0.5 "
       "takes the square root of non-negative inputs). Its local gradient is "
       "exponent·x^(exponent − 1).", ("input",),
       params=(Param("exponent", "float", 2.0, "The power each element is raised to."),), key_params=("exponent",))
_unary("exp", "Exp", "e to the power x, element by element. Its local gradient is its own "
       "output, so it grows as fast as the value does.", ("output",))
