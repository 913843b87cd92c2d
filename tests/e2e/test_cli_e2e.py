"""The installed `netcanvas` command, as a user runs it (every bundled example goes through
the same commands in-process in tests/backend/test_cli_examples.py)."""

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
from netcanvas.backend.export import load_weights
from netcanvas.backend.project_io import load_project

torch.set_num_threads(2)
EXAMPLES = sorted(Path(str(importlib.resources.files("netcanvas.resources") / "examples"))
                  .glob("*.netcanvas"))


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


def test_examples_are_installed():
    assert len(EXAMPLES) >= 9, EXAMPLES


def test_version_and_a_bad_file():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("netcanvas ")
    result = run("check", "no_such_file.netcanvas")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_the_installed_command_checks_exports_and_writes_code(tmp_path):
    """One example through the console script; tests/backend/test_cli_examples.py runs every
    example through the same `main` in-process."""
    path = next(p for p in EXAMPLES if p.stem == "lenet_digits")
    result = run("check", str(path))
    assert result.returncode == 0 and result.stdout.splitlines()[0].split()[0] == "node"
    result = run("export", str(path), "--onnx", str(tmp_path / "m.onnx"))
    assert result.returncode == 0 and "max abs difference" in result.stdout, result.stderr
    assert ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    result = run("code", str(path), "-o", str(tmp_path / "m.py"))
    assert result.returncode == 0 and "class " in (tmp_path / "m.py").read_text()


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
    vgg = next(p for p in EXAMPLES if p.stem == "vgg16")
    result = run("lint", str(vgg), "--strict")  # bundled examples hold infos, no warnings
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[big-first-linear]" in result.stdout and "0 warning(s)" in result.stderr
    path = next(p for p in EXAMPLES if p.stem == "lenet_digits")  # its finding is silenced
    assert run("lint", str(path), "--strict").stdout == ""
    result = run("check", str(path), "--format", "json", "--batch-size", "16")
    rows = json.loads(result.stdout)["nodes"]
    assert [r["name"] for r in rows] == [n.name for n in load_project(path).graph.nodes.values()]
