"""Faults end a run with one Failed event and never raise out of run()."""

from __future__ import annotations

import json

import pytest
import torch
from netcanvas.backend import compiler
from netcanvas.backend.data import DatasetError
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.training import Failed, Finished, Trainer
from safetensors.torch import load_file
from test_training_support import Recorder, blobs, mlp_project


def hook_node(monkeypatch, node: str, hook):
    """Compile as usual, then put a forward hook `hook(calls)` on one node's module."""
    original = compiler.compile_graph
    calls = []

    def compile_with_hook(graph):
        compiled = original(graph)

        def forward_hook(module, args, out):
            calls.append(1)
            return hook(len(calls), out)
        getattr(compiled.module, node).register_forward_hook(forward_hook)
        return compiled
    monkeypatch.setattr(compiler, "compile_graph", compile_with_hook)
    return calls


def only_failure(events: Recorder) -> Failed:
    assert not events.of(Finished)
    (failed,) = events.of(Failed)
    return failed


def test_nan_loss_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    data = blobs()
    steps = 8  # 115 training samples in batches of 16; one validation forward per epoch
    poison = steps + 1 + 3  # the third training step of epoch 2
    hook_node(monkeypatch, "fc2", lambda n, out: out * float("nan") if n >= poison else out)
    events = Recorder()
    result = Trainer(mlp_project(epochs=3), data, on_event=events,
                     checkpoint_dir=tmp_path).run()
    failed = only_failure(events)
    assert result.failed is failed
    assert failed.kind == "nan" and failed.step == steps + 3
    assert f"step {steps + 3}" in failed.message and "learning rate" in failed.message
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert meta["epoch"] == 1
    weights = load_file(str(tmp_path / meta["tensors"]))
    assert all(torch.isfinite(v).all() for v in weights.values())
    assert all(torch.isfinite(v).all() for v in result.model.module.state_dict().values())


def test_exception_in_forward_names_the_node(monkeypatch):
    def boom(n, out):
        raise RuntimeError("something broke")
    hook_node(monkeypatch, "act", boom)
    result = Trainer(mlp_project(), blobs()).run()
    assert result.failed.kind == "error" and result.failed.node == "act"
    assert "act" in result.failed.message and "something broke" in result.failed.message


def test_shape_error_in_forward_is_kind_shape(monkeypatch):
    def bad_shape(n, out):
        return out @ torch.ones(3, 3)
    hook_node(monkeypatch, "fc1", bad_shape)
    result = Trainer(mlp_project(), blobs()).run()
    assert result.failed.kind == "shape" and result.failed.node == "fc1"
    assert result.failed.step == 1


def test_out_of_memory_suggests_half_the_batch_size(monkeypatch):
    def oom(n, out):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    hook_node(monkeypatch, "fc1", oom)
    result = Trainer(mlp_project(batch_size=64), blobs()).run()
    assert result.failed.kind == "oom"
    assert "batch size 64" in result.failed.message and "32" in result.failed.message


def test_dataset_errors_are_kind_data():
    project = mlp_project()
    project.dataset.name = "npz"
    project.dataset.path = "/nonexistent/data.npz"
    result = Trainer(project).run()
    assert result.failed.kind == "data" and "data.npz" in result.failed.message
    mismatch = Trainer(mlp_project(features=2), blobs(features=5)).run()
    assert mismatch.failed.kind == "data" and "5" in mismatch.failed.message


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_loss_that_does_not_fit_the_targets_names_the_output():
    from netcanvas.backend.compiler import LossSpec
    from netcanvas.backend.runtime.losses import LossError, build_loss

    loss = build_loss([LossSpec("scores", "mse", 0.0, 1.0)], n_outputs=1)
    with pytest.raises(LossError, match="Output 'scores'"):
        loss(torch.zeros(4, 3), torch.zeros(4, 5))


def test_a_graph_that_does_not_compile_fails_with_the_node():
    g = Graph()
    g.add("input", "x", shape=(2,))
    g.add("linear", "lonely", out_features=3)
    result = Trainer(Project(graph=g), blobs()).run()
    assert result.failed.kind == "shape" and result.model is None


def test_unknown_device_is_reported_not_raised():
    result = Trainer(mlp_project(), blobs(), device="cuda:7" if not torch.cuda.is_available()
                     else "nonsense").run()
    assert result.failed is not None and result.failed.kind == "error"


def test_data_error_during_loading_is_caught(monkeypatch):
    from netcanvas.backend import data

    def broken(config, progress=None, cancel=None):
        raise DatasetError("mnist: train-images-idx3-ubyte.gz is missing from ~/.cache/netcanvas")
    monkeypatch.setattr(data, "load_dataset", broken)
    result = Trainer(mlp_project()).run()
    assert result.failed.kind == "data" and "train-images" in result.failed.message
