"""The headless commands on every bundled example, in-process through
`netcanvas.backend.cli.main` (tests/e2e/test_cli_e2e.py runs the installed command itself)."""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import save_weights
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze

torch.set_num_threads(2)
EXAMPLES = sorted(Path(str(importlib.resources.files("netcanvas.resources") / "examples"))
                  .glob("*.netcanvas"))
BIG = 5_000_000  # parameters: ImageNet-size examples take a while to export


def example_params(path: Path):
    big = analyze(load_project(path).graph).total_params > BIG
    return pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if big else [])


ALL = [example_params(p) for p in EXAMPLES]


def netcanvas(capsys, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `netcanvas ARGS`."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path", ALL)
def test_check_passes(path, capsys):
    code, out, err = netcanvas(capsys, "check", str(path))
    assert code == 0, out + err
    total = next(line for line in out.splitlines() if line.startswith("total "))
    model = compile_graph(load_project(path).graph, device="meta")
    params = sum(p.numel() for p in model.module.parameters())
    assert f"{params:,}" in total


@pytest.mark.onnx
@pytest.mark.parametrize("path", ALL)
def test_export_runs_in_onnx_runtime_at_another_batch_size(path, tmp_path, capsys):
    model = compile_graph(load_project(path).graph)
    save_weights(model, tmp_path / "w.safetensors")
    onnx_path = tmp_path / f"{path.stem}.onnx"
    code, out, err = netcanvas(capsys, "export", str(path), "--onnx", str(onnx_path),  # as
                               "--weights", str(tmp_path / "w.safetensors"),  # compiled,
                               "--no-normalize")  # no data step
    assert code == 0, out + err
    assert "max abs difference" in out and err == ""

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
def test_code_export_reproduces_the_compiled_model(path, tmp_path, capsys):
    out = tmp_path / f"{path.stem}.py"
    code, _, err = netcanvas(capsys, "code", str(path), "-o", str(out), "--class-name", "Exported")
    assert code == 0, err
    spec = importlib.util.spec_from_file_location(f"examples_{path.stem}", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = compile_graph(load_project(path).graph)
    net = module.Exported()
    net.load_state_dict(model.module.state_dict())
    inputs = model.example_inputs(batch=2)
    with torch.no_grad():
        want, got = model.module.eval()(*inputs), net.eval()(*inputs)
    for w, g in zip(want if isinstance(want, tuple) else (want,),
                    got if isinstance(got, tuple) else (got,)):
        assert torch.equal(w, g)
