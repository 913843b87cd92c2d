"""Dropout: random zeroing during training, a no-op at evaluation time."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    LAYOUTS,
    expect_rank,
    forms,
    no_macs,
    same_shape,
    single,
)
from netcanvas.backend.registry.spec import LayerSpec, Param, Port


def _dropout(type_id: str, torch_name: str, p: float, saves: str, doc: str, infer,
             example: tuple[int, ...]) -> None:
    """Register nn.`torch_name` (F.`type_id` imports as it too), zeroing with probability p."""
    def build(params: dict, inputs: dict):
        from torch import nn

        return getattr(nn, torch_name)(params["p"])

    register(LayerSpec(
        type_id=type_id, title=torch_name, category="Regularization",
        saves=(saves,), roles=("dropout", "pass_through"), doc=doc,
        inputs=(Port("x"),), outputs=(Port("y"),),
        params=(Param("p", "float", p, "Probability that a value is zeroed.", min=0.0,
                      max=1.0),),
        infer_shape=infer, build=build, key_params=("p",), module_prefix="drop",
        example_inputs={"x": example},
        imports=(*forms(f"nn.{torch_name}"), *forms(f"F.{type_id}", args=("x", "p", "-", "-"))),
    ))


_dropout(
    "dropout", "Dropout", 0.5, "mask",
    "During training, zeroes each value with probability p and scales the survivors by "
    "1/(1-p), so no unit can rely on any other being present; this curbs overfitting. "
    "At evaluation time it passes its input through unchanged.",
    same_shape, (16,))


def _dropout2d_shape(params: dict, inputs: dict) -> dict:
    expect_rank("Dropout2d", single(inputs), (4,), LAYOUTS[2])
    return same_shape(params, inputs)


_dropout(
    "dropout2d", "Dropout2d", 0.2, "channel_mask",
    "Dropout for feature maps: zeroes whole channels with probability p during "
    "training. Neighbouring pixels are strongly correlated, so dropping single values "
    "barely regularises a CNN; dropping an entire channel does. A no-op at evaluation.",
    _dropout2d_shape, (4, 6, 6))


def _stochastic_depth_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import StochasticDepth

    return StochasticDepth(params["p"], params["mode"])


register(LayerSpec(
    type_id="stochastic_depth", title="Stochastic Depth", category="Regularization",
    doc="In training, drops a residual branch's output with probability p, per sample "
        "(row) or for the whole batch, and scales the kept ones by 1/(1 − p), so a deep "
        "network trains as an ensemble of shallower ones (EfficientNet, ConvNeXt). The "
        "identity at evaluation, exactly as torchvision defines it.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("p", "float", 0.1, "Probability of dropping the branch.", min=0.0, max=1.0),
            Param("mode", "choice", "row", "row: per sample; batch: for the whole batch.",
                  choices=("row", "batch"))),
    infer_shape=same_shape, build=_stochastic_depth_build, macs=no_macs, key_params=("p",),
    module_prefix="sd", example_inputs={"x": (4, 5, 5)},
    saves=("mask",), roles=("dropout", "pass_through"),  # its mask: one value per sample
    imports=forms("torchvision.ops.stochastic_depth.stochastic_depth",
                  args=("x", "p", "mode", "-")),
))
