"""Convolutions: Conv1d, Conv2d and the transposed (up-sampling) Conv2d."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    LAYOUTS,
    bias,
    conv_macs,
    dims,
    expect_rank,
    numel,
    only,
    single,
    window_out,
)
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError

BIG = 1_000_000  # generous caps: absurd sizes are reported by the analysis, not refused here
CHANNEL_BIAS = bias("Learn one additive bias per output channel.")


def _spatial_params(nd: int) -> tuple[Param, ...]:
    return (
        Param("kernel_size", "ints", (3,) * nd, "Size of the sliding window.",
              min=1, max=1024, length=nd),
        Param("stride", "ints", (1,) * nd, "Step between windows; 2 halves the size.",
              min=1, max=1024, length=nd),
        Param("padding", "ints", (0,) * nd, "Zeros added on each side of the input.",
              min=0, max=1024, length=nd),
    )


def _dilation(nd: int) -> Param:
    return Param("dilation", "ints", (1,) * nd, "Spacing between kernel taps: a 3-wide "
                 "kernel with dilation 2 covers 5 inputs.", min=1, max=1024, length=nd)


def _conv_input(title: str, nd: int, inputs: dict) -> tuple[int, tuple[int, ...]]:
    shape = single(inputs)
    expect_rank(title, shape, (nd + 2,), LAYOUTS[nd])
    return shape[0], shape[1:]


def _check_groups(title: str, params: dict, in_channels: int) -> None:
    g = params["groups"]
    if in_channels % g:
        raise ShapeError(f"{title} groups {g} must divide the {in_channels} input channels")
    if params["out_channels"] % g:
        raise ShapeError(f"{title} groups {g} must divide out_channels {params['out_channels']}")


def _read_conv(values: dict) -> dict:
    """nn.Conv*d's attributes: padding may be "same" / "valid"; only zero padding."""
    only("padding_mode", values.get("padding_mode", "zeros"), ("zeros",))
    params = {k: values[k] for k in ("out_channels", "kernel_size", "stride", "dilation",
                                     "groups", "bias")}
    padding = values["padding"]
    if padding == "same":
        params["padding_mode"] = "same"
    else:
        params["padding"] = 0 if padding == "valid" else padding
    return params


def _grouping(params: dict, inputs: dict) -> str:
    """"depthwise 3×3" (a group per input channel), "groups 4", or "" (one group)."""
    groups = params["groups"]
    if groups == 1:
        return ""
    if groups == single(inputs)[0]:
        return "depthwise " + "×".join(str(k) for k in params["kernel_size"])
    return f"groups {groups}"


def _conv(nd: int) -> None:
    title = f"Conv{nd}d"

    def infer(params: dict, inputs: dict) -> dict:
        channels, sizes = _conv_input(title, nd, inputs)
        _check_groups(title, params, channels)
        if params["padding_mode"] == "same":
            if any(s != 1 for s in params["stride"]):
                raise ShapeError(f"{title} padding 'same' needs stride 1, got stride "
                                 f"{dims(params['stride'])}; use explicit padding")
            out = sizes
        else:
            out = window_out(title, sizes, params["kernel_size"], params["stride"],
                             params["padding"], params["dilation"])
        return {"y": (params["out_channels"], *out)}

    def count(params: dict, inputs: dict, outputs: dict) -> int:
        c_in = single(inputs)[0]
        weights = params["out_channels"] * (c_in // params["groups"]) * numel(params["kernel_size"])
        return weights + (params["out_channels"] if params["bias"] else 0)

    def macs(params: dict, inputs: dict, outputs: dict) -> int:
        return conv_macs(outputs["y"], single(inputs)[0], params["groups"], params["kernel_size"])

    def build(params: dict, inputs: dict):
        from torch import nn

        same = params["padding_mode"] == "same"
        return getattr(nn, title)(
            single(inputs)[0], params["out_channels"], tuple(params["kernel_size"]),
            stride=tuple(params["stride"]),
            padding="same" if same else tuple(params["padding"]),
            dilation=tuple(params["dilation"]), groups=params["groups"], bias=params["bias"])

    layout = "channels x length" if nd == 1 else "channels x height x width"
    register(LayerSpec(
        type_id=f"conv{nd}d", title=title, category="Convolution",
        saves=("input",),
        doc=f"Slides out_channels learned filters over a {layout} input; each output value "
            "is a weighted sum of one kernel-sized window across the input channels, so the "
            "same pattern detector is reused at every position. Stride is the step between "
            "windows (stride 2 halves the size); padding adds zeros at the borders so edge "
            "pixels are covered (padding 'same' keeps the size, stride 1 only); dilation "
            "spreads the taps apart to see further at no extra cost. A 1x1 kernel mixes "
            "channels at each position without looking at neighbours. Groups split the "
            "channels into independent stacks (groups = channels is a depthwise "
            "convolution). in_channels comes from the input.",
        inputs=(Port("x"),), outputs=(Port("y"),),
        params=(
            Param("out_channels", "int", 16, "Number of filters, i.e. output channels.",
                  min=1, max=BIG),
            *_spatial_params(nd),
            Param("padding_mode", "choice", "explicit", "'explicit' uses `padding`; "
                  "'same' pads so the output has the input's size (stride 1).",
                  choices=("explicit", "same")),
            _dilation(nd),
            Param("groups", "int", 1, "Independent channel groups; must divide both the "
                  "input and output channels.", min=1, max=BIG),
            CHANNEL_BIAS,
        ),
        infer_shape=infer, build=build, count_params=count, macs=macs,
        key_params=("out_channels", "kernel_size", "stride"), variant=_grouping,
        module_prefix="conv",
        example_inputs={"x": (3,) + (16,) * nd}, imports=(ImportForm(f"nn.{title}", read=_read_conv),),
    ))


_conv(1)
_conv(2)


def _deconv_shape(params: dict, inputs: dict) -> dict:
    title = "ConvTranspose2d"
    _, sizes = _conv_input(title, 2, inputs)
    stride, dilation, extra = params["stride"], params["dilation"], params["output_padding"]
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ShapeError(f"{title} output_padding {dims(extra)} must be smaller than the "
                         f"stride {dims(stride)} or the dilation {dims(dilation)}")
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        sizes, stride, params["padding"], dilation, params["kernel_size"], extra))
    if any(o < 1 for o in out):
        raise ShapeError(f"{title} output would be {dims(out)}: padding "
                         f"{dims(params['padding'])} crops more than the layer produces")
    return {"y": (params["out_channels"], *out)}


def _deconv_params(params: dict, inputs: dict, outputs: dict) -> int:
    weights = single(inputs)[0] * params["out_channels"] * numel(params["kernel_size"])
    return weights + (params["out_channels"] if params["bias"] else 0)


def _deconv_macs(params: dict, inputs: dict, outputs: dict) -> int:
    # Every input value is scattered through a whole kernel into every output channel.
    return numel(single(inputs)) * params["out_channels"] * numel(params["kernel_size"])


def _read_deconv(values: dict) -> dict:
    only("padding_mode", values.get("padding_mode", "zeros"), ("zeros",))
    only("groups", values.get("groups", 1), (1,))
    return {k: values[k] for k in ("out_channels", "kernel_size", "stride", "padding",
                                   "output_padding", "dilation", "bias")}


def _deconv_build(params: dict, inputs: dict):
    from torch import nn

    return nn.ConvTranspose2d(
        single(inputs)[0], params["out_channels"], tuple(params["kernel_size"]),
        stride=tuple(params["stride"]), padding=tuple(params["padding"]),
        output_padding=tuple(params["output_padding"]), dilation=tuple(params["dilation"]),
        bias=params["bias"])


register(LayerSpec(
    type_id="conv_transpose2d", title="ConvTranspose2d", category="Convolution",
    saves=("input",),
    doc="The transpose of a convolution, often called a deconvolution: each input value "
        "stamps a learned kernel-sized patch onto the output, stride apart, so the image "
        "grows (kernel 2, stride 2 doubles height and width). Used in decoders and "
        "segmentation networks to go back up to full resolution. Padding here trims the "
        "output's borders; output_padding adds rows and columns on one side to reach an "
        "exact size when the stride does not divide evenly.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(
        Param("out_channels", "int", 16, "Number of output channels.", min=1, max=BIG),
        Param("kernel_size", "ints", (2, 2), "Size of the stamped patch.",
              min=1, max=1024, length=2),
        Param("stride", "ints", (2, 2), "Spacing of the patches: the up-sampling factor.",
              min=1, max=1024, length=2),
        Param("padding", "ints", (0, 0), "Rows and columns trimmed from each border.",
              min=0, max=1024, length=2),
        Param("output_padding", "ints", (0, 0), "Extra rows/columns added on one side; "
              "smaller than the stride or the dilation.", min=0, max=1024, length=2),
        _dilation(2),
        CHANNEL_BIAS,
    ),
    infer_shape=_deconv_shape, build=_deconv_build, count_params=_deconv_params,
    macs=_deconv_macs, key_params=("out_channels", "kernel_size", "stride"),
    module_prefix="deconv", aliases=("deconv", "upconv"), example_inputs={"x": (8, 7, 7)},
    imports=(ImportForm("nn.ConvTranspose2d", read=_read_deconv),),
))
