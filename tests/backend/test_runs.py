"""Runs (backend/runs.py): a stopped run keeps its epochs, resumes exactly, reloads from its
folder, and exports the graph it trained; its ONNX file takes raw samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from netcanvas.backend.data import load_dataset
from netcanvas.backend.export import export_onnx
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runs import DataInfo, Run, RunStore, project_key, runs_root
from netcanvas.backend.training import EpochEnded, Trainer, predict
from test_training_support import blobs, mlp_project

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def _project(epochs: int):
    return mlp_project(dropout=0.2, epochs=epochs, optimizer="adam", schedule="step",
                       step_size=1, gamma=0.7, seed=3, device="cpu")


def _train(run: Run, data, stop_after: int | None = None, resume: bool = False):
    trainer = None

    def on_event(ev):
        if isinstance(ev, EpochEnded) and ev.epoch == stop_after:
            trainer.cancel()

    trainer = Trainer(run.project, data, on_event=on_event, checkpoint_dir=run.checkpoint_dir,
                      resume_from=run.checkpoint_dir if resume else None)
    run.data = DataInfo.of(data)
    if resume:
        run.resuming()
    run.ended(trainer.run())
    return run


@pytest.mark.slow
def test_a_stopped_run_keeps_its_epochs_and_resumes_like_an_uninterrupted_one(tmp_path):
    data = blobs()
    store = RunStore("p", root=tmp_path)
    straight = _train(store.new_run(_project(5)), data)
    assert straight.status == "finished" and straight.state == "finished, 5 epochs"

    stopped = _train(store.new_run(_project(5)), data, stop_after=2)
    assert stopped.status == "stopped" and stopped.usable and stopped.can_resume
    assert stopped.state == "stopped at epoch 2/5"
    assert stopped.label.startswith("run 2, epoch ") and "val " in stopped.label
    best = "(best)" if stopped.best_epoch else "(last)"  # which weights: said, not implied
    assert stopped.label.startswith(f"run 2, epoch {stopped.weights_epoch} {best}, val ")
    assert set(stopped.test_metrics) >= {"loss", "accuracy"}  # evaluated, not thrown away
    x = data.test.x
    best = predict(stopped.model("best"), x, "cpu")
    assert best.shape == (len(x), 3) and torch.isfinite(best).all()

    resumed = _train(stopped, data, resume=True)
    assert resumed.status == "finished" and resumed.epochs_done == 5
    a, b = straight.model("last").module.state_dict(), resumed.model("last").module.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert straight.best_epoch == resumed.best_epoch


def test_runs_reload_from_their_folder_and_a_crashed_one_is_interrupted(tmp_path):
    data = blobs()
    store = RunStore("p", root=tmp_path)
    run = _train(store.new_run(_project(4)), data, stop_after=1)
    run.status = "running"  # as a process that crashed mid-run leaves it
    run.save()
    again = RunStore("p", root=tmp_path).runs
    assert len(again) == 1 and again[0].status == "interrupted" and again[0].can_resume
    assert again[0].epochs_done == 1 and again[0].data == run.data
    assert RunStore("other", root=tmp_path).runs == []
    assert again[0].label == run.label
    (tmp_path / "p" / "run-009").mkdir()  # not a run: skipped
    assert len(RunStore("p", root=tmp_path).runs) == 1


def test_graph_changed_ignores_moves_and_keys_follow_the_file(tmp_path, monkeypatch):
    project = _project(1)
    run = RunStore("p", root=tmp_path).new_run(project)
    node = next(iter(project.graph.nodes.values()))
    project.graph.move(node.id, (999.0, 5.0))
    assert not run.graph_changed(project)
    linear = next(n for n in project.graph.nodes.values() if n.type_id == "linear")
    project.graph.set_param(linear.id, "out_features", 7)
    assert run.graph_changed(project)
    assert project_key(tmp_path / "a.netcanvas") == project_key(tmp_path / "a.netcanvas")
    assert project_key(None) != project_key(None)  # an unsaved project has no runs
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path))
    assert runs_root() == tmp_path / "runs"


def test_a_run_without_a_finished_epoch_is_not_usable(tmp_path):
    run = RunStore("p", root=tmp_path).new_run(_project(3))
    assert not run.usable and run.label == "run 1"
    with pytest.raises(ValueError, match="no completed epoch"):
        run.model()


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    project.training.epochs = 2
    data = load_dataset(project.dataset)
    run = RunStore("d", root=tmp_path_factory.mktemp("runs")).new_run(project)
    return _train(run, data), data


@pytest.mark.onnx
@pytest.mark.slow
def test_onnx_of_a_run_takes_raw_pixels_and_names_its_labels(tmp_path, digits_run):
    run, data = digits_run
    model = run.model()
    normalization, meta = run.data.onnx_extras(normalize=True, source=run.label)
    path = tmp_path / "digits.onnx"
    assert export_onnx(model, path, normalization=normalization, metadata=meta).ok
    raw = data.test.x * torch.tensor(run.data.std).reshape(-1, 1, 1) + torch.tensor(
        run.data.mean).reshape(-1, 1, 1)  # the pixels as the dataset's files hold them
    assert float(raw.min()) >= -1e-4 and float(raw.max()) > 10  # raw 0..16 digits pixels
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: raw.numpy()})
    app = predict(model, data.test.x, "cpu").numpy()
    assert (out.argmax(1) == app.argmax(1)).mean() == 1.0
    props = session.get_modelmeta().custom_metadata_map
    assert json.loads(props["class_labels"]) == data.class_names
    assert props["input_layout"] == "NCHW" and props["input_normalization"].startswith("baked")
    assert props["netcanvas_source"] == run.label

    plain, meta = run.data.onnx_extras(normalize=False)
    assert plain is None and "mean=" in meta["input_normalization"]
    export_onnx(model, tmp_path / "plain.onnx", normalization=None, metadata=meta)
    session = ort.InferenceSession(str(tmp_path / "plain.onnx"),
                                   providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: data.test.x.numpy()})
    assert (out.argmax(1) == app.argmax(1)).all()
    assert not np.allclose(out, session.run(None, {session.get_inputs()[0].name:
                                                   raw.numpy()})[0])
