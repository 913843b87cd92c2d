"""LayerNorm over the channels of each position of a feature map (ConvNeXt's LayerNorm2d):
(N, C, H, W) normalised over C alone, with a learned scale and shift per channel."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import expect_rank, single
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, ParamError, Port


def _shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    expect_rank("LayerNorm (channels)", shape, (3, 4, 5), "(N, C, ...)")
    return {"y": shape}


def _params(params: dict, inputs: dict, outputs: dict) -> int:
    return 2 * single(inputs)[0] if params["elementwise_affine"] else 0


def _build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import LayerNormChannels

    return LayerNormChannels(single(inputs)[0], params["eps"], params["elementwise_affine"])


def _read(values: dict) -> dict:
    if "channels" not in values and len(values.get("normalized_shape", ())) != 1:
        raise ParamError(f"normalized_shape {values.get('normalized_shape')!r}: the channels "
                         "alone are normalised")
    return {"eps": values["eps"], "elementwise_affine": values["elementwise_affine"]}


register(LayerSpec(
    type_id="layer_norm_channels", title="LayerNorm (channels)", category="Normalization",
    doc="Normalises the C values at each position of a (C, H, W) feature map to zero mean "
        "and unit variance, then scales and shifts each channel: a LayerNorm over channels, "
        "as ConvNeXt uses between its stages. Independent of the batch, like LayerNorm.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("eps", "float", 1e-6, "Added to the variance for stability.", min=0.0,
                  max=1.0),
            Param("elementwise_affine", "bool", True, "Learn a scale and shift per channel.")),
    infer_shape=_shape, build=_build, count_params=_params, module_prefix="ln",
    example_inputs={"x": (4, 5, 5)}, saves=("input",),  # and a mean and 1/std per position
    imports=(ImportForm("torchvision.models.convnext.LayerNorm2d", read=_read),
             ImportForm("netcanvas.LayerNormChannels", read=_read)),
))
