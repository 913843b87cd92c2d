"""The registry as data: declarations are complete and consistent, params validate with
messages naming the field, shape errors read well, and importing it never imports torch."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from netcanvas.backend.registry import (
    CATEGORIES,
    REGISTRY,
    LayerSpec,
    Param,
    ParamError,
    ShapeError,
    get,
    register,
)

REQUIRED = {
    "input", "output", "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d",
    "max_unpool2d", "avg_pool2d", "adaptive_avg_pool2d", "global_avg_pool2d", "upsample",
    "batch_norm1d", "batch_norm2d", "layer_norm", "dropout", "dropout2d", "flatten",
    "reshape", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax",
    "log_softmax", "add", "concat", "multiply", "identity",
}
SPECS = list(REGISTRY.values())
PARAMS = [(s.type_id, p) for s in SPECS for p in s.params]


def test_registry_imports_without_torch():
    code = ("import sys, netcanvas.backend.registry as r; "
            "assert len(r.REGISTRY) > 30; "
            "assert 'torch' not in sys.modules, 'registry imported torch'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_required_layer_is_registered():
    assert REQUIRED <= set(REGISTRY)


def test_every_category_has_layers_and_unknown_ones_are_refused():
    assert {s.category for s in SPECS} == set(CATEGORIES)
    bogus = LayerSpec("bogus", "Bogus", "Nope", "doc", (), (), (), lambda p, i: {}, None)
    with pytest.raises(AssertionError, match="unknown category"):
        register(bogus)
    with pytest.raises(KeyError, match="unknown layer type 'bogus'"):
        get("bogus")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type_id)
def test_declaration_is_complete(spec):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.type_id)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.module_prefix)
    assert spec.title and len(spec.doc) >= 60 and spec.doc.rstrip().endswith(".")
    names = [p.name for p in spec.params]
    assert len(set(names)) == len(names)
    assert set(spec.key_params) <= set(names)
    assert len(spec.key_params) <= 3
    ports = [p.name for p in spec.inputs] + [p.name for p in spec.outputs]
    assert len({p.name for p in spec.inputs}) == len(spec.inputs)
    assert all(p.dtype in ("float", "index") for p in spec.inputs + spec.outputs), ports
    for p in spec.params:
        assert p.doc, f"{spec.type_id}.{p.name} has no doc"
        assert p.validate(p.default) == p.default
    if spec.type_id != "input":
        required = {p.name for p in spec.inputs if not p.optional}
        assert required <= set(spec.example_inputs) <= {p.name for p in spec.inputs}
        assert spec.infer_shape(spec.defaults(), spec.example_inputs)


def test_port_conventions():
    for spec in SPECS:
        if len(spec.inputs) == 1:
            assert spec.inputs[0].name == "x"
        if len(spec.outputs) == 1:
            assert spec.outputs[0].name == "y"
    assert [p.name for p in get("max_pool2d").outputs] == ["y", "indices"]
    assert [(p.name, p.dtype) for p in get("max_unpool2d").inputs] == [
        ("x", "float"), ("indices", "index")]
    for type_id in ("add", "concat", "multiply"):
        (port,) = get(type_id).inputs
        assert port.name == "x" and port.many


@pytest.mark.parametrize("type_id, param", PARAMS, ids=lambda v: getattr(v, "name", v))
def test_param_rejects_wrong_types_naming_the_field(type_id, param):
    wrong = {"bool": [1, "yes", None], "int": ["3", 2.5, True, None, [1]],
             "float": ["0.5", True, None, float("nan"), float("inf")],
             "choice": ["no-such-choice", 1, None], "str": [3, None],
             "ints": ["3", [1.5], [True], [], None, {"a": 1}]}[param.kind]
    if param.optional:
        wrong = [w for w in wrong if w is not None]
    for value in wrong:
        with pytest.raises(ParamError, match=rf"^{param.name}: "):
            param.validate(value)


@pytest.mark.parametrize("type_id, param", [(t, p) for t, p in PARAMS if p.kind != "bool"
                                            and (p.min is not None or p.max is not None)],
                         ids=lambda v: getattr(v, "name", v))
def test_param_rejects_out_of_range_values_naming_the_field(type_id, param):
    def bad(value):
        return [value] * (param.length or 1) if param.kind == "ints" else value

    step = 1 if param.kind in ("int", "ints") else abs(param.min) * 0.5 if param.min else 0.5
    if param.min is not None:
        with pytest.raises(ParamError, match=rf"^{param.name}: must be at least"):
            param.validate(bad(param.min - step))
    if param.max is not None:
        with pytest.raises(ParamError, match=rf"^{param.name}: must be at most"):
            param.validate(bad(param.max + 1))


def test_param_coercion():
    kernel = get("conv2d").param("kernel_size")
    assert kernel.validate(3) == (3, 3)
    assert kernel.validate([3, 5]) == (3, 5)
    assert kernel.validate(3.0) == (3, 3)
    with pytest.raises(ParamError, match="kernel_size: expected 2 integers, got 3"):
        kernel.validate([1, 2, 3])
    assert get("linear").param("out_features").validate(4.0) == 4
    assert get("dropout").param("p").validate(1) == 1.0
    assert get("max_unpool2d").param("output_size").validate(None) is None


def test_validate_params_fills_defaults_and_refuses_unknown_names():
    conv = get("conv2d")
    params = conv.validate_params({"out_channels": 8})
    assert params["out_channels"] == 8 and params["kernel_size"] == (3, 3)
    with pytest.raises(ParamError, match="^kernel: Conv2d has no such parameter"):
        conv.validate_params({"kernel": 3})


def shape_error(type_id: str, inputs: dict, **params) -> str:
    spec = get(type_id)
    with pytest.raises(ShapeError) as info:
        spec.infer_shape(spec.validate_params(params), inputs)
    return str(info.value)


@pytest.mark.parametrize("type_id, inputs, params, message", [
    ("conv2d", {"x": (64,)}, {}, "Conv2d expects 4-D input (N, C, H, W), got (N, 64)"),
    ("conv1d", {"x": (3, 8, 8)}, {}, "Conv1d expects 3-D input (N, C, L), got (N, 3, 8, 8)"),
    ("conv2d", {"x": (1, 3, 3)}, {"kernel_size": 5},
     "Conv2d kernel 5x5 is larger than the padded input 3x3"),
    ("conv2d", {"x": (1, 3, 3)}, {"kernel_size": 2, "dilation": 3},
     "Conv2d kernel 2x2 (dilated to 4x4) is larger than the padded input 3x3"),
    ("conv2d", {"x": (6, 8, 8)}, {"groups": 4},
     "Conv2d groups 4 must divide the 6 input channels"),
    ("conv2d", {"x": (4, 8, 8)}, {"groups": 4, "out_channels": 6},
     "Conv2d groups 4 must divide out_channels 6"),
    ("conv2d", {"x": (4, 8, 8)}, {"padding_mode": "same", "stride": 2},
     "Conv2d padding 'same' needs stride 1, got stride 2x2; use explicit padding"),
    ("conv_transpose2d", {"x": (4, 8, 8)}, {"stride": 1, "output_padding": 1},
     ("ConvTranspose2d output_padding 1x1 must be smaller than the stride 1x1 or the "
     "dilation 1x1")),
    ("max_pool2d", {"x": (4, 8, 8)}, {"kernel_size": 2, "padding": 2},
     "MaxPool2d padding 2x2 must be at most half the kernel 2x2"),
    ("max_unpool2d", {"x": (4, 3, 3), "indices": (4, 4, 4)}, {},
     ("MaxUnpool2d indices (N, 4, 4, 4) must have the shape of x (N, 4, 3, 3); take both "
     "from the same MaxPool2d")),
    ("max_unpool2d", {"x": (4, 3, 3), "indices": (4, 3, 3)}, {"output_size": 9},
     ("MaxUnpool2d output_size 9x9 cannot come from a 3x3 input with stride 2x2: choose "
     "between 5x5 and 7x7")),
    ("upsample", {"x": (4, 3, 3)}, {"scale_factor": 0.2},
     "Upsample would shrink 3x3 to 0x0; use a larger scale_factor"),
    ("batch_norm1d", {"x": (4, 3, 3)}, {},
     "BatchNorm1d expects 2-D or 3-D input (N, C) or (N, C, L), got (N, 4, 3, 3)"),
    ("layer_norm", {"x": (4, 3)}, {"dims": 3},
     "LayerNorm cannot normalise the last 3 dims of (N, 4, 3): a sample has only 2"),
    ("dropout2d", {"x": (16,)}, {}, "Dropout2d expects 4-D input (N, C, H, W), got (N, 16)"),
    ("flatten", {"x": (4, 3)}, {"start_dim": 0},
     ("Flatten start_dim 0 is the batch dimension for a (N, 4, 3) input; use 1 to 2, or -1 "
     "for the last")),
    ("reshape", {"x": (4, 3)}, {"shape": (5, 2)},
     "Reshape cannot turn (N, 4, 3) (12 values) into (N, 5, 2) (10 values)"),
    ("reshape", {"x": (4, 3)}, {"shape": (5, -1)},
     "Reshape cannot fill -1 in (N, 5, -1): 12 values of (N, 4, 3) are not a multiple of 5"),
    ("reshape", {"x": (4, 3)}, {"shape": (-1, -1)},
     "Reshape target (N, -1, -1) may contain -1 only once"),
    ("add", {"x": [(64, 8, 8), (32, 8, 8)]}, {},
     "Add needs inputs of one shape, got (N, 64, 8, 8) and (N, 32, 8, 8)"),
    ("add", {"x": [(1, 8), (4, 8)]}, {}, ("Add needs inputs of one shape, got (N, 1, 8) and "
     "(N, 4, 8)")),
    ("multiply", {"x": [(8,)]}, {}, "Multiply needs at least 2 inputs, got 1"),
    ("concat", {"x": [(4, 8, 8), (2, 4, 4)]}, {},
     "Concat inputs must match except in dim 1, got (N, 4, 8, 8) and (N, 2, 4, 4)"),
    ("softmax", {"x": (10,)}, {"dim": 2},
     "Softmax dim 2 is out of range for a (N, 10) input; use 1, or -1 for the last"),
    ("output", {"x": (10, 4)}, {},
     ("Output with cross_entropy loss expects class scores (N, classes), got (N, 10, 4); "
     "add a Flatten and a Linear before the Output")),
])
def test_shape_errors_are_readable(type_id, inputs, params, message):
    assert shape_error(type_id, inputs, **params) == message


@pytest.mark.parametrize("type_id, inputs, params, shape", [
    ("conv2d", {"x": (3, 32, 32)}, {"out_channels": 8, "kernel_size": 5, "stride": 2,
                                    "padding": 2}, (8, 16, 16)),
    ("conv2d", {"x": (3, 32, 32)}, {"kernel_size": 1}, (16, 32, 32)),
    ("conv1d", {"x": (2, 100)}, {"kernel_size": 7, "dilation": 4}, (16, 76)),
    ("conv_transpose2d", {"x": (8, 7, 7)}, {}, (16, 14, 14)),
    ("max_pool2d", {"x": (3, 7, 7)}, {"ceil_mode": True}, (3, 4, 4)),
    ("avg_pool2d", {"x": (3, 7, 7)}, {"kernel_size": 3, "stride": 2, "padding": 1},
     (3, 4, 4)),
    ("global_avg_pool2d", {"x": (512, 7, 7)}, {}, (512,)),
    ("adaptive_avg_pool2d", {"x": (512, 13, 13)}, {"output_size": 7}, (512, 7, 7)),
    ("upsample", {"x": (3, 5, 5)}, {"scale_factor": 1.5}, (3, 7, 7)),
    ("flatten", {"x": (64, 7, 7)}, {}, (3136,)),
    ("flatten", {"x": (64, 7, 7)}, {"start_dim": 2}, (64, 49)),
    ("reshape", {"x": (3136,)}, {"shape": (64, -1, 7)}, (64, 7, 7)),
    ("concat", {"x": [(16, 8, 8), (32, 8, 8), (8, 8, 8)]}, {}, (56, 8, 8)),
    ("concat", {"x": [(4, 2), (4, 3)]}, {"dim": -1}, (4, 5)),
])
def test_inferred_shapes(type_id, inputs, params, shape):
    spec = get(type_id)
    assert spec.infer_shape(spec.validate_params(params), inputs)["y"] == shape


def test_param_counts_of_known_layers():
    conv = get("conv2d")
    params = conv.validate_params({"out_channels": 64, "kernel_size": 3})
    assert conv.count_params(params, {"x": (3, 224, 224)}, {}) == 64 * 3 * 9 + 64
    depthwise = conv.validate_params({"out_channels": 32, "groups": 32, "bias": False})
    assert conv.count_params(depthwise, {"x": (32, 8, 8)}, {}) == 32 * 9
    bn = get("batch_norm2d")
    assert bn.count_params(bn.defaults(), {"x": (64, 8, 8)}, {}) == 128
    ln = get("layer_norm")
    assert ln.count_params(ln.validate_params({"dims": 2}), {"x": (4, 6, 5)}, {}) == 60


def test_param_declaration_asserts_its_own_consistency():
    with pytest.raises(AssertionError, match="unknown kind"):
        Param("x", "complex", 1)
    with pytest.raises(AssertionError, match="default not in choices"):
        Param("mode", "choice", "c", choices=("a", "b"))
