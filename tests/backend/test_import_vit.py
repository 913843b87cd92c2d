"""torchvision's vit_b_16 (random weights, 32x32 images) imports from the PyTorch path:
patches, class token, positions, 12 encoder layers of attention, and the class token's state
to the head, with the same outputs. Slow: 86 M parameters are built twice."""

from __future__ import annotations

import sys
import time
import types

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import import_fx

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
