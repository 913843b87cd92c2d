"""Elementwise activations and (log-)softmax."""

from __future__ import annotations

import functools

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import forms, only, resolve_dim, same_shape, single
from netcanvas.backend.registry.spec import LayerSpec, Param, Port


def simple_activation(type_id: str, title: str, torch_name: str, doc: str, params=(),
                      kwargs=(), calls=(), args=("x", "-"), read=None, saves=("input",),
                      roles=("activation",), infer=same_shape) -> None:
    """Register the elementwise activation nn.`torch_name`, built from its `kwargs` params and
    imported from that module or the functional `calls` (with these `args`)."""
    def build(p: dict, inputs: dict):
        from torch import nn

        return getattr(nn, torch_name)(**{k: p[k] for k in kwargs})

    register(LayerSpec(
        type_id=type_id, title=title, category="Activation", doc=doc,
        inputs=(Port("x"),), outputs=(Port("y"),), params=tuple(params),
        infer_shape=infer, build=build, key_params=tuple(kwargs), module_prefix=type_id,
        example_inputs={"x": (8,)}, saves=saves, roles=roles,
        imports=(*forms(f"nn.{torch_name}", read=read), *forms(*calls, args=args, read=read)),
    ))


_simple = simple_activation  # short, for the declarations below


def _exact_gelu(values: dict) -> dict:
    only("approximate", values.get("approximate", "none"), ("none",))
    return {}


_simple("relu", "ReLU", "ReLU", "max(0, x). The default hidden activation: cheap, and its "
        "gradient does not vanish for positive inputs.",
        calls=("F.relu", "torch.relu", "Tensor.relu"), saves=("output",))
_simple("leaky_relu", "Leaky ReLU", "LeakyReLU", "x for x > 0, slope·x otherwise, so units "
        "never die completely.",
        params=(Param("negative_slope", "float", 0.01, "Slope for x < 0.", min=0.0, max=1.0),),
        kwargs=("negative_slope",), calls=("F.leaky_relu",), args=("x", "negative_slope", "-"))
_simple("elu", "ELU", "ELU", "x for x > 0, alpha·(exp(x) − 1) otherwise: smooth, with negative "
        "outputs that push mean activations towards zero.",
        params=(Param("alpha", "float", 1.0, "Saturation value for x → −∞.", min=0.0, max=10.0),),
        kwargs=("alpha",), calls=("F.elu",), args=("x", "alpha", "-"))
_simple("gelu", "GELU", "GELU", "x·Φ(x), where Φ is the standard normal CDF: a smooth ReLU "
        "that lets small negative values through. The default activation of transformers.",
        calls=("F.gelu",), args=("x", "approximate"), read=_exact_gelu)
_simple("sigmoid", "Sigmoid", "Sigmoid", "1 / (1 + exp(−x)), squashing to (0, 1). Saturates, "
        "so gradients vanish in deep stacks.",
        calls=("torch.sigmoid", "F.sigmoid", "Tensor.sigmoid"), args=("x",), saves=("output",),
        roles=("activation", "saturating"))
_simple("tanh", "Tanh", "Tanh", "Hyperbolic tangent, squashing to (−1, 1). Zero-centred, "
        "unlike Sigmoid, but it saturates the same way; common in recurrent networks.",
        calls=("torch.tanh", "F.tanh", "Tensor.tanh"), args=("x",), saves=("output",),
        roles=("activation", "saturating"))


def _softmax_shape(title: str, params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    resolve_dim(title, "dim", params["dim"], shape)
    return {"y": shape}


for _type_id, _title, _torch, _doc in (
    ("softmax", "Softmax", "Softmax", ("exp(x) normalised to sum to 1 along `dim`: class "
     "probabilities. Train on logits with cross-entropy instead; use Softmax for inference.")),
    ("log_softmax", "LogSoftmax", "LogSoftmax", ("log(softmax(x)), numerically stable; pair it "
     "with an NLL Output.")),
):
    def _build(p: dict, inputs: dict, _torch=_torch):
        from torch import nn

        return getattr(nn, _torch)(dim=p["dim"])

    register(LayerSpec(
        type_id=_type_id, title=_title, category="Activation", doc=_doc,
        inputs=(Port("x"),), outputs=(Port("y"),),
        params=(Param("dim", "int", -1, "Dimension that sums to one (1 = first after batch, "
                      "-1 = last).", min=-8, max=8),),
        infer_shape=functools.partial(_softmax_shape, _title), build=_build, key_params=("dim",),
        module_prefix=_type_id, example_inputs={"x": (10,)}, saves=("output",),
        roles=("activation",),
        imports=forms(f"nn.{_torch}", f"F.{_type_id}", f"torch.{_type_id}",
                      f"Tensor.{_type_id}", args=("x", "dim")),
    ))
