"""The torchvision classification zoo (random weights, small inputs) exported by torch.onnx's
dynamo exporter at its defaults imports, matches ONNX Runtime on the original file, trains a
step, and exports back to an ONNX file that imports again. Slow: minutes per model."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx, load_weights
from netcanvas.backend.importer.save import weights_path
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze
from torchvision_zoo import models

# model -> input size (the smallest each architecture allows, to keep the tier short)
ZOO = {"alexnet": 224, "vgg11": 224, "vgg16_bn": 224, "resnet18": 32, "resnet50": 32,
       "squeezenet1_1": 64, "googlenet": 64, "densenet121": 32, "mobilenet_v2": 32,
       "mobilenet_v3_small": 32, "shufflenet_v2_x0_5": 32, "efficientnet_b0": 32,
       "mnasnet0_5": 32, "regnet_y_400mf": 32, "convnext_tiny": 32}

# googlenet's auxiliary classifiers only run in training: left out, so what is exported is
# the whole model.
ARGS = {"googlenet": {"aux_logits": False, "init_weights": True}}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(models() is None, reason="torchvision is not installed")]


def _blocks_found(name: str, project) -> None:
    """ResNet-50 comes back as at most 25 top-level nodes, its bottlenecks as blocks;
    ResNet-18's layer1 as BasicBlock x2; DenseNet-121's dense blocks as one dense layer
    repeated 6, 12, 24 and 16 times."""
    graph = load_project(project).graph
    if name == "resnet50":
        assert len(graph.nodes) <= 25 and "Bottleneck" in graph.blocks
    if name == "resnet18":
        (layer1,) = [n for n in graph.nodes.values() if n.name.endswith("layer1")]  # net_layer1
        assert (layer1.params["block"], layer1.params["repeat"]) == ("BasicBlock", 2)
    if name == "densenet121":
        repeats = sorted(n.params["repeat"] for n in graph.nodes.values()
                         if n.type_id == "block" and n.params["block"] == "_DenseLayer")
        assert repeats == [6, 12, 16, 24] and len(graph.nodes) <= 20


def _export(model, x, path) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), dynamo=True)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torchvision_model_imports_exactly_trains_and_exports_back(name, tmp_path, capsys):
    torch.manual_seed(0)
    model = getattr(models(), name)(num_classes=10, **ARGS.get(name, {})).eval()
    x = torch.randn(1, 3, ZOO[name], ZOO[name])
    _export(model, x, tmp_path / "model.onnx")
    out = tmp_path / "model.netcanvas"
    assert main(["import", str(tmp_path / "model.onnx"), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    # The report explains the parameter count: BatchNorm folded into Conv by the exporter.
    report = capsys.readouterr().out
    assert "mapped" in report
    folded = sum(int(n.replace(",", "")) for n in re.findall(
        r"([\d,]+) fewer parameters than the original", report))
    # Exact for 13 of the 15; the file cannot tell whether a folded convolution had a bias
    # of its own (vgg16_bn: 4,224 more lost) nor quite which (densenet121: 2,752 fewer).
    original = sum(p.numel() for p in model.parameters())
    assert abs(analyze(load_project(out).graph).total_params + folded - original) <= \
        0.0005 * original
    _blocks_found(name, out)
    compiled = compile_graph(load_project(out).graph)
    load_weights(compiled, weights_path(out))
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    want = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        got = compiled.module.eval()(x).numpy()
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()

    compiled.module.train()
    optimizer = torch.optim.SGD(compiled.module.parameters(), lr=1e-3)
    loss = compiled.module(torch.randn(2, *x.shape[1:])).square().mean()
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)

    compiled.module.eval()
    assert export_onnx(compiled, tmp_path / "back.onnx").ok
    assert main(["import", str(tmp_path / "back.onnx"), "-o", str(tmp_path / "b.netcanvas")]) == 0


ZOO_FILE = '''
import torch
from torch import nn
from torchvision_zoo import models


class Zoo(nn.Module):
    """A torchvision classification model by name, with seeded random weights."""

    def __init__(self, name, num_classes=10):
        super().__init__()
        torch.manual_seed(0)
        args = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
        self.net = getattr(models(), name)(num_classes=num_classes, **args)

    def forward(self, x):
        return self.net(x)
'''


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torchvision_model_imports_through_the_pytorch_path(name, tmp_path, capsys):
    (tmp_path / "zoo.py").write_text(ZOO_FILE, encoding="utf-8")
    out = tmp_path / "zoo.netcanvas"
    size = ZOO[name]
    assert main(["import", f"{tmp_path / 'zoo.py'}:Zoo", "--trust-code", "--args", repr(name),
                 "--input-shape", f"3,{size},{size}", "-o", str(out)]) == 0, \
        capsys.readouterr().err
    _blocks_found(name, out)
    torch.manual_seed(0)
    original = getattr(models(), name)(num_classes=10, **ARGS.get(name, {})).eval()
    compiled = compile_graph(load_project(out).graph)
    load_weights(compiled, weights_path(out))
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        want, got = original(x), compiled.module.eval()(x)
    assert float((want - got).abs().max()) <= 1e-4 * float(want.abs().max())


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torchvision_model_exported_with_a_dynamic_batch_imports_exactly(name, tmp_path, capsys):
    torch.manual_seed(0)
    model = getattr(models(), name)(num_classes=10, **ARGS.get(name, {})).eval()
    x = torch.randn(2, 3, ZOO[name], ZOO[name])
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(tmp_path / "model.onnx"), dynamo=True,
                          dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=64)},))
    out = tmp_path / "model.netcanvas"
    assert main(["import", str(tmp_path / "model.onnx"), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    compiled = compile_graph(load_project(out).graph)
    load_weights(compiled, weights_path(out))
    x = torch.randn(3, *x.shape[1:])  # another batch size than the export's
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    want = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        got = compiled.module.eval()(x).numpy()
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
