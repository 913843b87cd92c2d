"""The torchvision classification zoo (random weights, small inputs) exported by torch.onnx's
dynamo exporter at its defaults imports, matches ONNX Runtime on the original file, trains a
step, and exports back to an ONNX file that imports again. Slow: minutes per model."""

from __future__ import annotations

import contextlib
import io
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
from torchvision_zoo import models

# model -> input size (the smallest each architecture allows, to keep the tier short)
ZOO = {"resnet18": 32, "mobilenet_v2": 32, "efficientnet_b0": 32, "mobilenet_v3_small": 32,
       "regnet_y_400mf": 32, "mnasnet0_5": 32, "squeezenet1_1": 64}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(models() is None, reason="torchvision is not installed")]


def _export(model, x, path) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), dynamo=True)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torchvision_model_imports_exactly_trains_and_exports_back(name, tmp_path, capsys):
    torch.manual_seed(0)
    model = getattr(models(), name)(num_classes=10).eval()
    x = torch.randn(1, 3, ZOO[name], ZOO[name])
    _export(model, x, tmp_path / "model.onnx")
    out = tmp_path / "model.netcanvas"
    assert main(["import", str(tmp_path / "model.onnx"), "-o", str(out)]) == 0, \
        capsys.readouterr().err
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
