"""torchvision's vit_b_16 (random weights, 32x32 images) imports from the PyTorch path and
from ONNX: patches, class token, positions, 12 encoder layers of attention, and the class
token's state to the head, with the same outputs. Slow: 86 M parameters are built twice."""

from __future__ import annotations

import contextlib
import io
import sys
import time
import types
import warnings

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import import_fx
from torch import nn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vit_b_16():
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(name, types.ModuleType(name))  # installed --no-deps
    models = pytest.importorskip("torchvision.models")
    torch.manual_seed(0)
    model = models.vit_b_16(weights=None, image_size=32).eval()
    torch.nn.init.normal_(model.heads.head.weight, std=0.02)  # torchvision zeroes the head
    return model


def test_vit_b_16_imports_with_the_same_outputs(vit_b_16):
    start = time.perf_counter()
    result = import_fx(trace(vit_b_16), [(3, 32, 32)])
    print(f"vit_b_16 import: {time.perf_counter() - start:.2f} s")
    _check(result, vit_b_16)


@pytest.mark.onnx
@pytest.mark.parametrize("dynamic", [False, True], ids=["batch 1", "dynamic batch"])
def test_vit_b_16_imports_from_onnx_with_the_same_outputs(vit_b_16, tmp_path, dynamic):
    """The exporter decomposes each attention into 31 ops (38 with a dynamic batch); they
    come back as one layer, so the encoder layers fold as in the PyTorch path, and the
    outputs match ONNX Runtime."""
    import onnxruntime
    from netcanvas.backend.importer.onnx_fx import onnx_to_fx

    path = tmp_path / "vit.onnx"
    batch = {"dynamic_shapes": ({0: torch.export.Dim("batch", min=1, max=64)},)} \
        if dynamic else {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(vit_b_16, (torch.randn(2 if dynamic else 1, 3, 32, 32),), str(path),
                          dynamo=True, **batch)
    gm, shapes, names = onnx_to_fx(path)
    model = _check(import_fx(gm, shapes, names), vit_b_16)
    session = onnxruntime.InferenceSession(str(path))
    x = torch.randn(3 if dynamic else 1, 3, 32, 32)
    want = torch.from_numpy(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0])
    with torch.no_grad():
        got = model(x)
    assert float((want - got).abs().max() / want.abs().max()) < 1e-4


def _check(result, vit_b_16) -> nn.Module:
    """The import's structure, and its outputs against vit_b_16's own (batch of 2)."""
    counts: dict[str, int] = {}
    for node in result.graph.nodes.values():
        counts[node.type_id] = counts.get(node.type_id, 0) + 1
    # the 12 encoder layers come back as one EncoderBlock instance with Repeat x12
    assert counts["block"] == 1 and counts["class_token"] == 1
    (encoder,) = [n for n in result.graph.nodes.values() if n.type_id == "block"]
    assert encoder.params["block"] == "EncoderBlock" and encoder.params["repeat"] == 12
    (definition,) = result.graph.blocks.values()
    assert [n.type_id for n in definition.graph.nodes.values()].count("multihead_attention") == 1
    assert counts["sequence_pool"] == 1  # x[:, 0]: the class token's final state
    model = compile_graph(result.graph)
    model.module.load_state_dict(result.weights)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        want, got = vit_b_16(x), model.module.eval()(x)
    assert float((want - got).abs().max() / want.abs().max()) < 1e-4
    return model.module.eval()
