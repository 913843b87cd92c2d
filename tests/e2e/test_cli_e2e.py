"""The installed `netcanvas` command on every bundled example, as a user runs it."""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import load_weights, save_weights
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze

torch.set_num_threads(2)
EXAMPLES = sorted(Path(str(importlib.resources.files("netcanvas.resources") / "examples"))
                  .glob("*.netcanvas"))
BIG = 5_000_000  # parameters: ImageNet-size examples take a while to export


def netcanvas() -> str:
    """The console script of the environment under test, else the one on PATH."""
    beside = Path(sys.executable).parent / ("netcanvas.exe" if os.name == "nt" else "netcanvas")
    found = str(beside) if beside.exists() else shutil.which("netcanvas")
    assert found, "the netcanvas command is not installed"
    return found


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="2")
    return subprocess.run([netcanvas(), *args], capture_output=True, text=True, timeout=600,
                          env=env, check=False)


def example_params(path: Path):
    big = analyze(load_project(path).graph).total_params > BIG
    return pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if big else [])


ALL = [example_params(p) for p in EXAMPLES]


def test_examples_are_installed():
    assert len(EXAMPLES) >= 9, EXAMPLES


def test_version_and_a_bad_file():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("netcanvas ")
    result = run("check", "no_such_file.netcanvas")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("path", ALL)
def test_check_passes(path):
    result = run("check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    total = next(line for line in result.stdout.splitlines() if line.startswith("total "))
    model = compile_graph(load_project(path).graph, device="meta")
    params = sum(p.numel() for p in model.module.parameters())
    assert f"{params:,}" in total


@pytest.mark.parametrize("path", ALL)
def test_export_runs_in_onnx_runtime_at_another_batch_size(path, tmp_path):
    model = compile_graph(load_project(path).graph)
    save_weights(model, tmp_path / "w.safetensors")
    onnx_path = tmp_path / f"{path.stem}.onnx"
    result = run("export", str(path), "--onnx", str(onnx_path),  # the model as compiled,
                 "--weights", str(tmp_path / "w.safetensors"), "--no-normalize")  # no data step
    assert result.returncode == 0, result.stdout + result.stderr
    assert "max abs difference" in result.stdout and result.stderr == ""

    batch = 5 if model.input_names else 1  # exported at batch 2; a circuit is one sample
    inputs = model.example_inputs(batch=batch)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == model.input_names
    got = session.run(None, {n: x.numpy() for n, x in zip(model.input_names, inputs)})
    with torch.no_grad():
        want = model.module.eval()(*inputs)
    for w, g in zip(want if isinstance(want, tuple) else (want,), got):
        assert g.shape[0] == batch
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-4, atol=1e-5 * max(1.0, w.abs().max()))


@pytest.mark.parametrize("path", ALL)
def test_code_export_reproduces_the_compiled_model(path, tmp_path):
    out = tmp_path / f"{path.stem}.py"
    result = run("code", str(path), "-o", str(out), "--class-name", "Exported")
    assert result.returncode == 0, result.stderr
    spec = importlib.util.spec_from_file_location(f"e2e_{path.stem}", out)
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    model = compile_graph(load_project(path).graph)
    net = code.Exported()
    net.load_state_dict(model.module.state_dict())
    inputs = model.example_inputs(batch=2)
    with torch.no_grad():
        want, got = model.module.eval()(*inputs), net.eval()(*inputs)
    for w, g in zip(want if isinstance(want, tuple) else (want,),
                    got if isinstance(got, tuple) else (got,)):
        assert torch.equal(w, g)


def test_train_then_export_the_trained_weights(tmp_path):
    if "train" not in run("--help").stdout:
        pytest.skip("this build has no train command")
    example = next(p for p in EXAMPLES if p.stem == "lenet_digits")
    trained = run("train", str(example), "--epochs", "1", "--out", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    onnx_path = tmp_path / "lenet.onnx"
    result = run("export", str(example), "--onnx", str(onnx_path), "--weights", str(tmp_path / "run"),
                 "--no-normalize")  # compared with the model on normalised inputs
    assert result.returncode == 0, result.stderr

    model = compile_graph(load_project(example).graph)
    inputs = model.example_inputs(batch=4)
    with torch.no_grad():
        untrained = model.module.eval()(*inputs).numpy()
        load_weights(model, tmp_path / "run")
        outputs = model.module(*inputs).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {model.input_names[0]: inputs[0].numpy()})[0]
    np.testing.assert_allclose(got, outputs, rtol=1e-4, atol=1e-5)
    assert not np.allclose(got, untrained, atol=1e-3)


@pytest.mark.slow  # two processes that import torch: ~30 s on a loaded 2-core machine
def test_lint_and_the_json_summary_as_a_user_runs_them():
    path = next(p for p in EXAMPLES if p.stem == "lenet_digits")
    result = run("lint", str(path), "--strict")  # bundled examples hold infos, no warnings
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[big-first-linear]" in result.stdout and "0 warning(s)" in result.stderr
    result = run("check", str(path), "--format", "json", "--batch-size", "16")
    rows = json.loads(result.stdout)["nodes"]
    assert [r["name"] for r in rows] == [n.name for n in load_project(path).graph.nodes.values()]
