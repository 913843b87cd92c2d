"""Every registered layer exports: to ONNX (verified by ONNX Runtime at another batch size)
and to standalone code that reproduces it exactly. Layers added later are picked up."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx, export_python
from netcanvas.backend.graph import Graph
from netcanvas.backend.registry import REGISTRY

torch.set_num_threads(2)
pytestmark = pytest.mark.onnx  # one ONNX export per layer: the onnx tier

# Inputs for a layer that declares no `example_inputs`: by type, else by category.
INPUTS_BY_TYPE: dict[str, dict] = {}
INPUTS_BY_CATEGORY = {
    "Convolution": {"x": (3, 8, 8)}, "Pooling": {"x": (4, 8, 8)},
    "Normalization": {"x": (4, 6, 6)}, "Merge": {"x": [(4, 5, 5), (4, 5, 5)]},
}
DEFAULT_INPUTS = {"x": (8,)}
LAYERS = sorted(t for t in REGISTRY if t not in ("input", "output"))
# Non-default settings that take other code paths in torch, the exporter or the code writer.
VARIANTS = [
    ("conv2d", {"out_channels": 6, "padding_mode": "same", "groups": 3, "dilation": (2, 2),
                "bias": False}),
    ("conv_transpose2d", {"kernel_size": (3, 3), "padding": (1, 1), "output_padding": (1, 1)}),
    ("max_unpool2d", {"output_size": (9, 9)}),
    ("avg_pool2d", {"padding": (1, 1), "ceil_mode": True, "count_include_pad": False}),
    ("upsample", {"mode": "bilinear", "scale_factor": 1.5}),
    ("layer_norm", {"dims": 2, "elementwise_affine": False}),
]


def example_inputs(type_id: str) -> dict:
    spec = REGISTRY[type_id]
    return (spec.example_inputs or INPUTS_BY_TYPE.get(type_id)
            or INPUTS_BY_CATEGORY.get(spec.category) or DEFAULT_INPUTS)


def layer_graph(type_id: str, params: dict | None = None) -> Graph:
    """Input(s) -> layer -> Output per float output port. An index port (MaxUnpool2d's
    indices) is fed by a MaxPool2d over an input twice the size, whose values feed "x"."""
    spec, shapes = REGISTRY[type_id], example_inputs(type_id)
    g = Graph()
    layer = g.add(type_id, "layer", **(params or {}))
    index_ports = [p.name for p in spec.inputs if p.dtype == "index"]
    if index_ports:
        c, h, w = shapes[index_ports[0]]
        size = (params or {}).get("output_size") or (2 * h, 2 * w)
        pool = g.add("max_pool2d", "pool")
        g.connect(g.add("input", "image", shape=(c, *size)), pool)
        g.connect(pool, layer, "y", "x")
        for port in index_ports:
            g.connect(pool, layer, "indices", port)
    for port in spec.inputs:
        if index_ports and port.name in ("x", *index_ports) or port.name not in shapes:
            continue  # an optional port the example leaves unwired
        for i, shape in enumerate(shapes[port.name] if port.many else [shapes[port.name]]):
            g.connect(g.add("input", f"{port.name}{i}", shape=shape), layer, "y", port.name)
    for port in spec.outputs:
        if port.dtype == "float":
            g.connect(layer, g.add("output", f"out_{port.name}", loss="none"), port.name, "x")
    return g


@pytest.mark.parametrize("type_id, params", [(t, {}) for t in LAYERS] + VARIANTS,
                         ids=[*LAYERS, *(f"{t}-variant" for t, _ in VARIANTS)])
def test_every_layer_exports_to_verified_onnx_and_to_exact_code(type_id, params, tmp_path):
    model = compile_graph(layer_graph(type_id, params))
    report = export_onnx(model, tmp_path / f"{type_id}.onnx")
    assert report.ok, f"{type_id}: ONNX differs from PyTorch by {report.max_abs_diff:g}"
    assert report.verified_batch != report.exported_batch

    path = tmp_path / f"{type_id}.py"
    export_python(model, path)
    spec = importlib.util.spec_from_file_location(f"layer_{type_id}", path)
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    net = code.Net()
    net.load_state_dict(model.module.state_dict())
    inputs = model.example_inputs(batch=3)
    with torch.no_grad():
        want, got = model.module.eval()(*inputs), net.eval()(*inputs)
    want, got = (v if isinstance(v, tuple) else (v,) for v in (want, got))  # several ports
    assert len(want) == len(got) and all(map(torch.equal, want, got))
