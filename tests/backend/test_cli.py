"""The headless commands, run in-process through `netcanvas.backend.cli.main`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import save_weights
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import save_project
from test_compiler_graphs import chain, lenet, two_inputs

from netcanvas import __version__

torch.set_num_threads(2)


@pytest.fixture
def lenet_file(tmp_path):
    path = tmp_path / "lenet_digits.netcanvas"
    save_project(Project(graph=lenet()), path)
    return path


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_version_and_help_list_the_commands(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"netcanvas {__version__}"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("check", "code", "export"):
        assert command in out
    assert ("train" in out) == (importlib.util.find_spec("netcanvas.backend.cli.train") is not None)


def test_check_prints_an_aligned_table_with_totals(lenet_file, capsys):
    assert main(["check", str(lenet_file)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["node", "type", "output", "params", "MACs"]
    conv1 = next(line for line in lines if line.startswith("conv1 "))
    assert conv1.split() == ["conv1", "Conv2d", "6×8×8", "60", "3.5k"]
    total = next(line for line in lines if line.startswith("total "))
    params = sum(p.numel() for p in compile_graph(lenet()).module.parameters())
    assert f"{params:,}" in total
    rows = [line for line in lines if line and not line.startswith("-")][:-1]  # minus summary
    end = lines[0].index("params") + len("params")
    assert all(row[end - 1].isdigit() and row[end] == " " for row in rows[1:])  # right-aligned
    assert len({line.index(" Conv2d") if " Conv2d" in line else None for line in rows} - {None}) == 1


def test_check_exits_1_naming_each_node_at_fault(tmp_path, capsys):
    graph = Graph()
    x = graph.add("input", "vec", shape=(16,))
    chain(graph, x, graph.add("conv2d", "conv3"), graph.add("output"))
    chain(graph, x, graph.add("max_pool2d", "pool9"))
    path = tmp_path / "broken.netcanvas"
    save_project(Project(graph=graph), path)
    assert main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    assert "conv3" in captured.out and "error" in captured.out
    assert "conv3" in captured.err and "pool9" in captured.err
    assert captured.err.strip().splitlines()[-1].endswith("(at conv3, pool9)")


@pytest.mark.parametrize("content, reason", [
    (None, "cannot read"),
    ('{"format_version": 1, "graph": {', "not valid JSON"),
    ('{"format_version": 99}', "version"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, capsys, content, reason):
    path = tmp_path / "p.netcanvas"
    if content is not None:
        path.write_text(content)
    for argv in (["check", str(path)], ["code", str(path)],
                 ["export", str(path), "--onnx", str(tmp_path / "m.onnx")]):
        assert main(argv) == 2
        line = one_line_error(capsys.readouterr().err)
        assert line.startswith(f"netcanvas {argv[0]}: error: ") and reason in line


@pytest.mark.parametrize("argv", [
    ["check"], ["frobnicate"], ["export", "x.netcanvas"], ["export", "x.netcanvas", "--onnx",
                                                          "m.onnx", "--opset", "abc"],
    ["code", "x.netcanvas", "--bogus"],
])
def test_bad_arguments_are_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "error" in one_line_error(capsys.readouterr().err)


def test_code_prints_or_writes_a_module_named_after_the_file(lenet_file, tmp_path, capsys):
    assert main(["code", str(lenet_file)]) == 0
    assert "class LenetDigits(nn.Module):" in capsys.readouterr().out
    out_py = tmp_path / "net.py"
    assert main(["code", str(lenet_file), "-o", str(out_py), "--class-name", "Digits"]) == 0
    assert "wrote" in capsys.readouterr().out
    spec = importlib.util.spec_from_file_location("cli_net", out_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.Digits()(torch.randn(2, 1, 8, 8)).shape == (2, 10)


@pytest.mark.onnx
def test_export_with_trained_weights_prints_the_verified_difference(tmp_path, capsys):
    project = tmp_path / "two.netcanvas"
    save_project(Project(graph=two_inputs()), project)
    weights = tmp_path / "w.safetensors"
    save_weights(compile_graph(two_inputs()), weights)
    onnx_path = tmp_path / "two.onnx"
    argv = ["export", str(project), "--onnx", str(onnx_path), "--weights", str(weights)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "inputs: left N×3×8×8, right N×3×8×8; outputs: flow N×2×6×6" in out
    assert "max abs difference" in out and "batch size 3" in out
    assert onnx_path.stat().st_size > 0


def test_export_refuses_weights_of_another_model(lenet_file, tmp_path, capsys):
    weights = tmp_path / "w.safetensors"
    save_weights(compile_graph(two_inputs()), weights)
    argv = ["export", str(lenet_file), "--onnx", str(tmp_path / "m.onnx"), "--weights", str(weights)]
    assert main(argv) == 2
    assert "does not fit this model" in one_line_error(capsys.readouterr().err)
    argv = ["export", str(lenet_file), "--onnx", str(tmp_path / "nowhere" / "m.onnx")]
    assert main(argv) == 2
    assert "no such folder" in one_line_error(capsys.readouterr().err)
    argv = ["export", str(lenet_file), "--onnx", str(tmp_path)]  # a folder, not a file
    assert main(argv) == 1
    assert "cannot write" in one_line_error(capsys.readouterr().err)


def test_code_and_export_exit_1_on_graph_errors(tmp_path, capsys):
    graph = Graph()
    chain(graph, graph.add("input", shape=(16,)), graph.add("conv2d", "conv3"), graph.add("output"))
    path = tmp_path / "broken.netcanvas"
    path.write_text(json.dumps({"format_version": 1, "graph": graph.to_dict()}))
    assert main(["code", str(path)]) == 1
    assert "conv3" in one_line_error(capsys.readouterr().err)
    graph.add("tanh", "lonely")  # a second problem: one line each
    path.write_text(json.dumps({"format_version": 1, "graph": graph.to_dict()}))
    assert main(["export", str(path), "--onnx", str(tmp_path / "m.onnx")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith("netcanvas export: error: ") for ln in lines)
    assert any("conv3" in ln for ln in lines) and any("lonely" in ln for ln in lines)


@pytest.mark.onnx
def test_export_bakes_the_input_normalisation_unless_told_not_to(tmp_path, capsys):
    import onnxruntime as ort
    from netcanvas.backend.data import load_dataset
    from netcanvas.backend.project_io import load_project

    example = Path(__file__).parents[2] / "resources" / "examples" / "mlp_moons.netcanvas"
    data = load_dataset(load_project(example).dataset)
    raw = (data.test.x * data.std + data.mean).numpy()
    outputs = {}
    for flag in ([], ["--no-normalize"]):
        path = tmp_path / f"m{len(flag)}.onnx"
        torch.manual_seed(0)  # the same fresh weights both times
        assert main(["export", str(example), "--onnx", str(path), *flag]) == 0
        out = capsys.readouterr().out
        assert ("baked in: feed raw values" in out) is not flag
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map
        assert json.loads(meta["class_labels"]) == data.class_names
        feed = raw if not flag else data.test.x.numpy()
        outputs[bool(flag)] = session.run(None, {session.get_inputs()[0].name: feed})[0]
    # raw samples into the baked file == normalised samples into the plain one
    np.testing.assert_allclose(outputs[False], outputs[True], atol=1e-4)
