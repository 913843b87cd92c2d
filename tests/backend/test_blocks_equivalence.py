"""Blocks compile to real nested modules: the same weights give the same outputs as the
flattened graph, in torch, in the generated code and in ONNX Runtime; parameter counts are
unchanged; the CLI reports and writes them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.blocks.expand import flat_state_dict, flatten
from netcanvas.backend.blocks.inside import new_instance
from netcanvas.backend.blocks.library import add_builtin
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import python_source
from netcanvas.backend.export.onnx_export import export_onnx
from netcanvas.backend.graph import BLOCK
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def small_net() -> Project:
    """A ResNet stage (repeated, first repetition strides) then a nested VGG block."""
    p = Project()
    for name in ("BasicBlock", "VGGBlock"):
        add_builtin(p.blocks, name)
    g = p.graph
    x = g.add("input", name="image", shape=(3, 16, 16))
    stem = g.add("conv2d", name="stem", out_channels=8, padding=(1, 1))
    layer1 = g.add_node(new_instance(g, "BasicBlock", "layer1", repeat=2, channels=16, stride=2))
    stage = g.add_node(new_instance(g, "VGGBlock", "stage", channels=24, convs=3))
    pool = g.add("global_avg_pool2d")
    fc = g.add("linear", out_features=5)
    out = g.add("output", name="logits")
    for a, b in [(x, stem), (stem, layer1), (layer1, stage), (stage, pool), (pool, fc), (fc, out)]:
        g.connect(a, b)
    return p


def compare(project: Project, tmp_path: Path, batch: int = 3) -> None:
    torch.manual_seed(0)
    blocked = compile_graph(project.graph)
    flat_project = flatten(project)
    assert not any(n.type_id == BLOCK for n in flat_project.graph.nodes.values())
    flat = compile_graph(flat_project.graph)
    count = sum(p.numel() for p in blocked.module.parameters())
    assert count == sum(p.numel() for p in flat.module.parameters())
    assert count == analyze(project.graph).total_params == analyze(flat_project.graph).total_params
    flat.module.load_state_dict(flat_state_dict(blocked.module.state_dict()))
    namespace: dict = {}
    exec(python_source(blocked, "Net"), namespace)  # noqa: S102 - the code under test
    written = namespace["Net"]()
    written.load_state_dict(blocked.module.state_dict())
    inputs = blocked.example_inputs(batch=batch, generator=torch.Generator().manual_seed(1))
    outs = []
    with torch.no_grad():
        for module in (blocked.module, flat.module, written):
            out = module.eval()(*inputs)
            outs.append(out if isinstance(out, tuple) else (out,))
    for got in outs[1:]:
        assert all(torch.equal(a, b) for a, b in zip(outs[0], got))
    feeds = {n: t.numpy() for n, t in zip(blocked.input_names, inputs)}
    runs = []
    for name, model in (("blocked", blocked), ("flat", flat)):
        report = export_onnx(model, tmp_path / f"{name}.onnx")
        assert report.ok
        session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
        runs.append(session.run(None, feeds))
    for a, b, ref in zip(*runs, outs[0]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, ref.numpy(), atol=1e-5, rtol=1e-4)


@pytest.mark.slow
def test_nested_repeated_blocks_match_their_flattened_graph(tmp_path):
    project = small_net()
    model = compile_graph(project.graph, device="meta").module
    names = {n for n, _ in model.named_modules()}
    assert {"layer1.0.conv1", "layer1.0.down_conv", "layer1.1.conv2",
            "stage.convs.2.conv"} <= names
    assert type(model.layer1[1].down_conv).__name__ == "Identity"  # same channels, stride 1
    compare(project, tmp_path)


@pytest.mark.slow
def test_two_output_block_with_pool_indices_matches_its_flattened_graph(tmp_path):
    compare(load_project(EXAMPLES / "segmentation_unpool.netcanvas"), tmp_path)


@pytest.mark.slow
def test_resnet18_example_matches_its_flattened_graph(tmp_path):
    project = load_project(EXAMPLES / "resnet18.netcanvas")
    project.graph.set_param(project.graph.by_name("image").id, "shape", (3, 32, 32))
    compare(project, tmp_path, batch=2)


def test_check_reports_resnet18_from_blocks(capsys):
    path = EXAMPLES / "resnet18.netcanvas"
    data = json.loads(path.read_text())
    assert len(data["graph"]["nodes"]) <= 20
    assert list(data["blocks"]) == ["BasicBlock"]
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "11,689,512 parameters" in out
    assert re.search(r"layer2 +BasicBlock ×2", out)


@pytest.mark.parametrize("name, classes", [
    ("resnet18", ["BasicBlock"]), ("vgg16", ["ConvReLU", "VGGBlock"]),
    ("segmentation_unpool", ["EncoderDecoder"]), ("inception_block", ["Inception"])])
def test_code_writes_one_class_per_block_definition(name, classes, capsys):
    path = EXAMPLES / f"{name}.netcanvas"
    assert sorted(json.loads(path.read_text())["blocks"]) == classes
    assert main(["code", str(path)]) == 0
    written = re.findall(r"^class (\w+)\(nn.Module\)", capsys.readouterr().out, re.MULTILINE)
    assert [c for c in written if c in classes or c.rstrip("0123456789") in classes] == classes
