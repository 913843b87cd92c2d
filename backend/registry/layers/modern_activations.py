"""The activations of post-2017 CNNs: ReLU6 / Hardtanh (Clip), Hardswish, Hardsigmoid
(MobileNetV3), SiLU (EfficientNet, RegNet), Mish."""

from __future__ import annotations

from netcanvas.backend.registry.layers.activations import simple_activation as _simple
from netcanvas.backend.registry.layers.common import same_shape
from netcanvas.backend.registry.spec import Param, ParamError, ShapeError


def _read_hardtanh(values: dict) -> dict:
    low, high = values.get("min_val", -1.0), values.get("max_val", 1.0)
    if low >= high:
        raise ParamError(f"min_val {low} must be below max_val {high}")
    return {"min_val": float(low), "max_val": float(high)}


def _hardtanh_shape(params: dict, inputs: dict) -> dict:
    if params["min_val"] >= params["max_val"]:
        raise ShapeError(f"Hardtanh min_val {params['min_val']:g} must be below max_val "
                         f"{params['max_val']:g}")
    return same_shape(params, inputs)


_simple("relu6", "ReLU6", "ReLU6", "min(max(0, x), 6): a ReLU capped at 6, which keeps "
        "activations in a range low-precision arithmetic represents well (MobileNetV2).",
        calls=("F.relu6",))
_simple("hardtanh", "Hardtanh", "Hardtanh", "x clipped to [min_val, max_val]: the ONNX "
        "Clip. With 0 and 6 it is ReLU6.",
        params=(Param("min_val", "float", -1.0, "Lower bound.", min=-1e6, max=1e6),
                Param("max_val", "float", 1.0, "Upper bound.", min=-1e6, max=1e6)),
        kwargs=("min_val", "max_val"), calls=("F.hardtanh",),
        args=("x", "min_val", "max_val", "-"), read=_read_hardtanh, infer=_hardtanh_shape)
_simple("hardswish", "Hardswish", "Hardswish", "x · ReLU6(x + 3) / 6: a cheap, piecewise "
        "version of SiLU (MobileNetV3).", calls=("F.hardswish",))
_simple("hardsigmoid", "Hardsigmoid", "Hardsigmoid", "ReLU6(x + 3) / 6: a cheap, piecewise "
        "sigmoid, the gate of MobileNetV3's squeeze-excitation.", calls=("F.hardsigmoid",))
_simple("silu", "SiLU", "SiLU", "x · sigmoid(x) (also called Swish): smooth and "
        "non-monotonic; the activation of EfficientNet and RegNet.", calls=("F.silu",))
_simple("mish", "Mish", "Mish", "x · tanh(softplus(x)): smooth like SiLU, slightly "
        "different in the negative range (YOLOv4).", calls=("F.mish",))
