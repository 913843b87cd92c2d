"""Pooling over the length of (N, C, L) sequences, for the Conv1d networks: MaxPool1d and
AvgPool1d (no ceil_mode: the floor of the window count, as torch defaults)."""

from __future__ import annotations

import functools

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    LAYOUTS,
    expect_rank,
    forms,
    only,
    single,
    window_out,
)
from netcanvas.backend.registry.spec import LayerSpec, Param, Port, ShapeError

PARAMS = (
    Param("kernel_size", "int", 2, "Length of each pooling window.", min=1, max=1024),
    Param("stride", "int", 2, "Step between windows.", min=1, max=1024),
    Param("padding", "int", 0, "Border added on each end; at most half the kernel.", min=0,
          max=1024),
)


def _shape(title: str, params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    expect_rank(title, shape, (3,), LAYOUTS[1])
    kernel, stride, padding = params["kernel_size"], params["stride"], params["padding"]
    if padding > kernel // 2:
        raise ShapeError(f"{title} padding {padding} must be at most half the kernel {kernel}")
    return {"y": (shape[0], *window_out(title, shape[1:], (kernel,), (stride,), (padding,)))}


def _read(values: dict) -> dict:
    only("ceil_mode", bool(values.get("ceil_mode", False)), (False,))
    only("dilation", values.get("dilation", 1), (1, (1,)))
    only("return_indices", bool(values.get("return_indices", False)), (False,))
    only("count_include_pad", values.get("count_include_pad", True), (True,))
    stride = values.get("stride")
    out = {k: values[k] for k in ("kernel_size", "padding") if k in values}
    out = {k: v[0] if isinstance(v, tuple) else v for k, v in out.items()}
    if stride not in (None, (), []):
        out["stride"] = stride[0] if isinstance(stride, (tuple, list)) else stride
    else:
        out["stride"] = out["kernel_size"]
    return out


def _build(torch_name: str, params: dict, inputs: dict):
    from torch import nn

    return getattr(nn, torch_name)(params["kernel_size"], params["stride"], params["padding"])


for _type_id, _title, _torch, _fn, _saves, _doc in (
    ("max_pool1d", "MaxPool1d", "MaxPool1d", "F.max_pool1d", ("input",),
     "Keeps the largest value of each window along the length of a (C, L) sequence."),
    ("avg_pool1d", "AvgPool1d", "AvgPool1d", "F.avg_pool1d", ("input",),
     "Averages each window along the length of a (C, L) sequence (padding counts as zeros)."),
):
    register(LayerSpec(
        type_id=_type_id, title=_title, category="Pooling", doc=_doc,
        inputs=(Port("x"),), outputs=(Port("y"),), params=PARAMS,
        infer_shape=functools.partial(_shape, _title), build=functools.partial(_build, _torch),
        key_params=("kernel_size", "stride"), module_prefix="pool",
        example_inputs={"x": (4, 12)}, saves=_saves, roles=("pool",),
        imports=(*forms(f"nn.{_torch}", read=_read),
                 *forms(_fn, args=("x", "kernel_size", "stride", "padding"), read=_read)),
    ))
