"""DenseNet's dense layers come back as blocks that repeat: each layer's growing
concatenation is rewritten as the running concatenation joined with the layer's output
(exact), so a dense block is one DenseLayer instance with Repeat ×N, through the PyTorch
path and from ONNX, with the outputs unchanged."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer import import_fx, trace
from torchvision_zoo import models

pytestmark = pytest.mark.skipif(models() is None, reason="torchvision is not installed")


def _small_densenet():
    from torchvision.models.densenet import DenseNet

    torch.manual_seed(0)
    return DenseNet(growth_rate=4, block_config=(2, 3), num_init_features=8, bn_size=2,
                    num_classes=3).eval()


def _check(imported, model, x) -> None:
    blocks = {n.name: n for n in imported.graph.nodes.values() if n.type_id == "block"}
    dense = {k: n.params["repeat"] for k, n in blocks.items()
             if n.params["block"] == "_DenseLayer"}
    assert dense == {"features_denseblock1": 2, "features_denseblock2": 3}, blocks
    inner = [n.type_id for n in imported.graph.blocks["_DenseLayer"].graph.nodes.values()]
    assert inner.count("concat") == 1 and inner.count("conv2d") == 2
    compiled = compile_graph(imported.graph)
    compiled.module.load_state_dict(imported.weights)
    with torch.no_grad():
        got, want = compiled.module.eval()(x), model(x)
    assert float((got - want).abs().max()) <= 1e-5 * float(want.abs().max())


def test_densenet_dense_layers_repeat_through_the_pytorch_path():
    model = _small_densenet()
    imported = import_fx(trace(model), [(3, 32, 32)])
    assert len(imported.graph.nodes) < 20
    _check(imported, model, torch.randn(2, 3, 32, 32))


@pytest.mark.onnx
def test_densenet_dense_layers_repeat_from_onnx(tmp_path):
    from netcanvas.backend.importer.onnx_fx import onnx_to_fx

    model = _small_densenet()
    x = torch.randn(1, 3, 32, 32)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(tmp_path / "d.onnx"), dynamo=True)
    gm, shapes, names = onnx_to_fx(tmp_path / "d.onnx")
    _check(import_fx(gm, shapes, names), model, torch.randn(2, 3, 32, 32))
