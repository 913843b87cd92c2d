"""Pooling and resampling over height and width: max / average / adaptive / global
pooling, max-unpooling with the pool's indices, and Upsample."""

from __future__ import annotations

import math

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    LAYOUTS,
    dims,
    expect_rank,
    fmt,
    forms,
    numel,
    only,
    single,
    window_out,
)
from netcanvas.backend.registry.spec import LayerSpec, Param, ParamError, Port, ShapeError

IMAGE = LAYOUTS[2]


def _image(title: str, inputs: dict, port: str = "x") -> tuple[int, tuple[int, int]]:
    shape = single(inputs, port)
    expect_rank(title, shape, (4,), IMAGE)
    return shape[0], shape[1:]


def _window_params(stride_doc: str) -> tuple[Param, ...]:
    return (
        Param("kernel_size", "ints", (2, 2), "Size of each pooling window.",
              min=1, max=1024, length=2),
        Param("stride", "ints", (2, 2), stride_doc, min=1, max=1024, length=2),
        Param("padding", "ints", (0, 0), "Border added on each side; at most half the kernel.",
              min=0, max=1024, length=2),
    )


def _pool_shape(title: str, params: dict, inputs: dict, dilation=None) -> dict:
    channels, sizes = _image(title, inputs)
    kernel, padding = params["kernel_size"], params["padding"]
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ShapeError(f"{title} padding {dims(padding)} must be at most half the kernel "
                         f"{dims(kernel)}")
    out = window_out(title, sizes, kernel, params["stride"], padding, dilation,
                     params["ceil_mode"])
    _ceil_needed(title, params, sizes, dilation)
    return {"y": (channels, *out)}


def _ceil_needed(title: str, params: dict, sizes, dilation=None) -> bool:
    """Whether ceil_mode changes the output. Where its last window would start past the
    input, torch drops that window but ONNX keeps it, so such a pool is built without
    ceil_mode when the floor gives the same size; a pool that needs ceil_mode in one
    dimension and drops a window in the other cannot be exported and is refused."""
    if not params["ceil_mode"]:
        return False
    needed, dropped = [], []
    for n, k, st, p, d in zip(sizes, params["kernel_size"], params["stride"],
                              params["padding"], dilation or (1, 1)):
        room = n + 2 * p - d * (k - 1) - 1
        ceil = -(-room // st) + 1
        kept = ceil - 1 if (ceil - 1) * st >= n + p else ceil  # torch's rule
        needed.append(kept > room // st + 1)
        dropped.append(kept < ceil)
    if any(dropped) and any(needed):
        raise ShapeError(f"{title} ceil_mode with stride {dims(params['stride'])} on a "
                         f"{dims(sizes)} input would start a window past the input, which "
                         "ONNX computes differently; turn ceil_mode off or change the stride")
    return any(needed)


def _pool_macs(params: dict, inputs: dict, outputs: dict) -> int:
    return numel(outputs["y"]) * numel(params["kernel_size"])


def _ceil_mode() -> Param:
    return Param("ceil_mode", "bool", False, "Round the output size up, so a partial window "
                 "at the border still produces an output.")


def _read_window(values: dict) -> dict:
    """Pooling arguments as torch takes them: stride None (or empty) means the kernel."""
    only("divisor_override", values.get("divisor_override"), (None,))
    params = {k: v for k, v in values.items() if k != "divisor_override"}
    params.pop("return_indices", None)
    if params.get("stride") in (None, (), []):
        params["stride"] = params["kernel_size"]
    return params


WINDOW_ARGS = ("x", "kernel_size", "stride", "padding")

# ---- MaxPool2d ------------------------------------------------------------------------


def _max_pool_shape(params: dict, inputs: dict) -> dict:
    y = _pool_shape("MaxPool2d", params, inputs, params["dilation"])["y"]
    return {"y": y, "indices": y}


def _max_pool_build(params: dict, inputs: dict, return_indices: bool = True):
    from torch import nn

    ceil = _ceil_needed("MaxPool2d", params, single(inputs)[1:], params["dilation"])
    return nn.MaxPool2d(tuple(params["kernel_size"]), tuple(params["stride"]),
                        tuple(params["padding"]), tuple(params["dilation"]),
                        return_indices=return_indices, ceil_mode=ceil)


def _max_pool_build_values_only(params: dict, inputs: dict):
    return _max_pool_build(params, inputs, return_indices=False)


register(LayerSpec(
    type_id="max_pool2d", title="MaxPool2d", category="Pooling",
    saves=("input", "indices"), roles=("pool",),
    doc="Keeps the largest value of each window, channel by channel: the strongest response "
        "of a feature detector survives while the image shrinks (2x2 windows with stride 2 "
        "halve height and width and keep a quarter of the values). It has no weights, adds "
        "a little tolerance to small shifts and cheaply widens what later layers see. The "
        "second output, indices, records where each maximum came from, so a MaxUnpool2d in "
        "a decoder can put values back in place.",
    inputs=(Port("x"),),
    outputs=(Port("y"), Port("indices", doc="Flat H*W position of each maximum.",
                             dtype="index")),
    params=(*_window_params("Step between windows; equal to the kernel for no overlap."),
            Param("dilation", "ints", (1, 1), "Spacing between the window's taps.",
                  min=1, max=1024, length=2),
            _ceil_mode()),
    infer_shape=_max_pool_shape, build=_max_pool_build,
    build_first_output=_max_pool_build_values_only, macs=_pool_macs,
    key_params=("kernel_size", "stride"), module_prefix="pool", aliases=("pool",),
    example_inputs={"x": (4, 8, 8)},
    imports=(*forms("nn.MaxPool2d", read=_read_window),
             *forms("F.max_pool2d", args=(*WINDOW_ARGS, "dilation", "ceil_mode", "return_indices"),
                    read=_read_window)),
))


# ---- MaxUnpool2d ----------------------------------------------------------------------


def _unpool_shape(params: dict, inputs: dict) -> dict:
    title = "MaxUnpool2d"
    channels, sizes = _image(title, inputs)
    indices = single(inputs, "indices")
    if indices != single(inputs):
        raise ShapeError(f"{title} indices {fmt(indices)} must have the shape of x "
                         f"{fmt(single(inputs))}; take both from the same MaxPool2d")
    stride = params["stride"]
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(
        sizes, stride, params["padding"], params["kernel_size"]))
    if any(d < 1 for d in default):
        raise ShapeError(f"{title} output would be {dims(default)}: padding "
                         f"{dims(params['padding'])} crops more than the layer produces")
    wanted = params["output_size"]
    if wanted is None:
        return {"y": (channels, *default)}
    if not all(d - s < w < d + s for w, d, s in zip(wanted, default, stride)):
        low = dims(max(d - s + 1, 1) for d, s in zip(default, stride))
        high = dims(d + s - 1 for d, s in zip(default, stride))
        raise ShapeError(f"{title} output_size {dims(wanted)} cannot come from a "
                         f"{dims(sizes)} input with stride {dims(stride)}: choose between "
                         f"{low} and {high}")
    return {"y": (channels, *wanted)}


def _unpool_build(params: dict, inputs: dict):
    from torch import nn

    args = tuple(params["kernel_size"]), tuple(params["stride"]), tuple(params["padding"])
    if params["output_size"] is None:
        return nn.MaxUnpool2d(*args)
    from netcanvas.backend.registry.layers.modules import MaxUnpool2dTo

    return MaxUnpool2dTo(*args, output_size=tuple(params["output_size"]))


register(LayerSpec(
    type_id="max_unpool2d", title="MaxUnpool2d", category="Pooling",
    saves=("index_inputs",),
    doc="The partial inverse of MaxPool2d: each value is written back to the position its "
        "maximum came from (the pool's indices output) and every other position is zero. "
        "Encoder-decoder segmentation networks (SegNet) use it to restore the exact "
        "locations of features lost by pooling. Use the same kernel, stride and padding as "
        "the pool; when the pooled size was odd, set output_size to the pool's input size.",
    inputs=(Port("x"), Port("indices", doc="From a MaxPool2d's indices output.",
                            dtype="index")),
    outputs=(Port("y"),),
    params=(*_window_params("Step between windows; as in the matching MaxPool2d."),
            Param("output_size", "ints", None, "Exact output height and width; empty for "
                  "the default (in - 1) * stride - 2 * padding + kernel.",
                  min=1, max=1_000_000, length=2, optional=True)),
    infer_shape=_unpool_shape, build=_unpool_build,
    key_params=("kernel_size", "stride"), module_prefix="unpool",
    imports=forms("nn.MaxUnpool2d", read=_read_window),
    example_inputs={"x": (4, 4, 4), "indices": (4, 4, 4)},
))


# ---- AvgPool2d ------------------------------------------------------------------------


def _avg_pool_build(params: dict, inputs: dict):
    from torch import nn

    return nn.AvgPool2d(tuple(params["kernel_size"]), tuple(params["stride"]),
                        tuple(params["padding"]),
                        ceil_mode=_ceil_needed("AvgPool2d", params, single(inputs)[1:]),
                        count_include_pad=params["count_include_pad"])


register(LayerSpec(
    type_id="avg_pool2d", title="AvgPool2d", category="Pooling",
    saves=("input",), roles=("pool",),
    doc="Replaces each window by its mean, channel by channel. Like max pooling it shrinks "
        "the image (2x2, stride 2 halves height and width) without weights, but it keeps "
        "a smoothed summary of the whole window rather than its strongest response.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(*_window_params("Step between windows; equal to the kernel for no overlap."),
            _ceil_mode(),
            Param("count_include_pad", "bool", True, "Count padded zeros in the mean.")),
    infer_shape=lambda p, i: _pool_shape("AvgPool2d", p, i), build=_avg_pool_build,
    macs=_pool_macs, key_params=("kernel_size", "stride"), module_prefix="pool", aliases=("pool",),
    example_inputs={"x": (4, 8, 8)},
    imports=(*forms("nn.AvgPool2d", read=_read_window),
             *forms("F.avg_pool2d", args=(*WINDOW_ARGS, "ceil_mode", "count_include_pad",
                                          "divisor_override"), read=_read_window)),
))


# ---- Adaptive and global average pooling -----------------------------------------------


def _adaptive_shape(params: dict, inputs: dict) -> dict:
    channels, _ = _image("AdaptiveAvgPool2d", inputs)
    return {"y": (channels, *params["output_size"])}


def _input_macs(params: dict, inputs: dict, outputs: dict) -> int:
    return numel(single(inputs))


def _read_output_size(values: dict) -> dict:
    size = values["output_size"]
    size = (size, size) if isinstance(size, int) else tuple(size)
    if None in size:
        raise ParamError(f"output_size {size!r}: None (keep the input size) is not supported")
    return {"output_size": size}


def _adaptive_build(params: dict, inputs: dict):
    from torch import nn

    return nn.AdaptiveAvgPool2d(tuple(params["output_size"]))


register(LayerSpec(
    type_id="adaptive_avg_pool2d", title="AdaptiveAvgPool2d", category="Pooling",
    saves=(),  # backward spreads the gradient over each window: it needs only the shape
    doc="Average pooling that chooses its own windows so the output always has "
        "output_size height and width, whatever the input size. VGG and ResNet use it "
        "before their classifier so the same network accepts several image sizes.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("output_size", "ints", (1, 1), "Output height and width.",
                  min=1, max=65536, length=2),),
    infer_shape=_adaptive_shape, build=_adaptive_build, macs=_input_macs,
    key_params=("output_size",), module_prefix="pool", aliases=("pool",),
    example_inputs={"x": (4, 7, 7)},
    imports=forms("nn.AdaptiveAvgPool2d", "F.adaptive_avg_pool2d", args=("x", "output_size"),
                  read=_read_output_size),
))


def _global_shape(params: dict, inputs: dict) -> dict:
    channels, _ = _image("GlobalAvgPool2d", inputs)
    return {"y": (channels,)}


def _read_spatial_mean(values: dict) -> dict:
    """`x.mean(dim=(2, 3))`: a mean over height and width, and nothing else."""
    dim = values.get("dim")
    if tuple(dim or ()) not in ((2, 3), (-2, -1), (3, 2), (-1, -2)) or values.get("keepdim"):
        raise ParamError(f"mean over dim={dim!r} (keepdim={bool(values.get('keepdim'))}) is "
                         "not a global average pool")
    return {}


def _global_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import GlobalAvgPool2d

    return GlobalAvgPool2d()


register(LayerSpec(
    type_id="global_avg_pool2d", title="GlobalAvgPool2d", category="Pooling",
    saves=(),  # a mean: backward needs only the shape
    doc="Averages each channel over all of height and width, turning a (C, H, W) feature "
        "map into a flat vector of C values, ready for a Linear classifier (no Flatten "
        "needed). It replaces large fully connected layers in modern CNNs (ResNet) and "
        "makes the network indifferent to the input size.",
    inputs=(Port("x"),), outputs=(Port("y"),), params=(),
    infer_shape=_global_shape, build=_global_build, macs=_input_macs,
    module_prefix="gap", aliases=("pool",), example_inputs={"x": (8, 4, 4)},
    imports=forms("Tensor.mean", "torch.mean", args=("x", "dim", "keepdim"),
                  read=_read_spatial_mean),
))


# ---- Upsample -------------------------------------------------------------------------


def _upsample_shape(params: dict, inputs: dict) -> dict:
    channels, sizes = _image("Upsample", inputs)
    out = tuple(math.floor(float(n) * params["scale_factor"]) for n in sizes)
    if any(o < 1 for o in out):
        raise ShapeError(f"Upsample would shrink {dims(sizes)} to {dims(out)}; use a larger "
                         "scale_factor")
    return {"y": (channels, *out)}


def _read_upsample(values: dict) -> dict:
    """nn.Upsample / F.interpolate by one scale factor for height and width."""
    only("size", values.get("size"), (None,))
    only("align_corners", values.get("align_corners"), (None, False))
    scale = values.get("scale_factor")
    if isinstance(scale, (tuple, list)):
        if len(set(scale)) != 1:
            raise ParamError(f"scale_factor={scale!r}: one factor for height and width only")
        scale = scale[0]
    return {"scale_factor": scale, "mode": values.get("mode", "nearest")}


def _upsample_build(params: dict, inputs: dict):
    from torch import nn

    return nn.Upsample(scale_factor=params["scale_factor"], mode=params["mode"])


register(LayerSpec(
    type_id="upsample", title="Upsample", category="Pooling",
    saves=(),
    doc="Enlarges height and width by scale_factor without learning anything: 'nearest' "
        "repeats pixels, 'bilinear' interpolates smoothly between them. Followed by a "
        "convolution it is a common, artefact-free alternative to ConvTranspose2d in "
        "decoders.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("scale_factor", "float", 2.0, "Size multiplier for height and width; "
                  "the result is rounded down.", min=0.01, max=64.0),
            Param("mode", "choice", "nearest", "How new pixels are filled.",
                  choices=("nearest", "bilinear"))),
    infer_shape=_upsample_shape, build=_upsample_build,
    key_params=("scale_factor", "mode"), module_prefix="up", example_inputs={"x": (4, 4, 4)},
    imports=(*forms("nn.Upsample", read=_read_upsample),
             *forms("F.interpolate", args=("x", "size", "scale_factor", "mode", "align_corners"),
                    read=_read_upsample)),
))
