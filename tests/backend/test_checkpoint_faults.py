"""Damaged checkpoints are refused in full and cost nothing (issue 9, item 9): flipped
bytes, malformed JSON, escaping tensor paths, another graph, an older format; a refused
resume keeps the folder's metrics; a loss that explodes without NaN stops the run."""

from __future__ import annotations

import json

import pytest
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.checkpoint import CheckpointError, load_checkpoint
from test_train_cli import blobs_file, train  # noqa: F401 -- blobs_file is a fixture
from test_training_support import blobs, mlp_project


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    result = Trainer(mlp_project(epochs=1, seed=3, device="cpu"), blobs(),
                     checkpoint_dir=folder).run()
    assert result.failed is None
    return folder


def copy_run(run_dir, tmp_path):
    for f in run_dir.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    return json.loads((tmp_path / "checkpoint.json").read_text())


def resume(folder, project=None):
    project = project or mlp_project(epochs=2, seed=3, device="cpu")
    return Trainer(project, blobs(), resume_from=folder).run()


@pytest.mark.parametrize("where", [100, -100, -5000])  # weights / optimizer / RNG state
def test_flipped_bytes_are_refused_by_the_checksum(where, run_dir, tmp_path):
    doc = copy_run(run_dir, tmp_path)
    tensors = tmp_path / doc["tensors"]
    data = bytearray(tensors.read_bytes())
    data[where] ^= 0xFF
    tensors.write_bytes(bytes(data))
    result = resume(tmp_path)
    assert result.failed.kind == "checkpoint" and result.failed.step is None
    assert result.failed.message.startswith("the checkpoint is damaged: ")
    assert "checksum" in result.failed.message and "step" not in result.failed.message


@pytest.mark.parametrize("edit, words", [
    (lambda d: [1, 2], "holds list"),
    (lambda d: {**d, "tensors": 5}, "tensors should be str"),
    (lambda d: {**d, "tensors": "../x.safetensors"}, "not a file name inside"),
    (lambda d: {**d, "tensors": "/etc/passwd"}, "not a file name inside"),
    (lambda d: {**d, "history": "x"}, "history should be list"),
    (lambda d: {**d, "optimizer": {"state": 1}}, "damaged"),
    (lambda d: {**d, "best_metric": "low"}, "best_metric"),
    (lambda d: {**d, "format": "netcanvas-checkpoint-1"}, "train again"),
])
def test_malformed_checkpoint_json_is_one_clear_error(edit, words, run_dir, tmp_path):
    doc = copy_run(run_dir, tmp_path)
    (tmp_path / "checkpoint.json").write_text(json.dumps(edit(doc)))
    result = resume(tmp_path)
    assert result.failed.kind == "checkpoint" and words in result.failed.message
    assert "at step" not in result.failed.message and "Traceback" not in result.failed.message


def test_truncated_json_says_damaged(run_dir, tmp_path):
    copy_run(run_dir, tmp_path)
    path = tmp_path / "checkpoint.json"
    path.write_text(path.read_text()[:50])
    with pytest.raises(CheckpointError, match="the checkpoint is damaged: .*not valid JSON"):
        load_checkpoint(tmp_path)


def test_a_checkpoint_of_another_graph_says_so_in_full(run_dir, tmp_path):
    copy_run(run_dir, tmp_path)
    result = resume(tmp_path, mlp_project(epochs=2, hidden=24, dropout=0.1, device="cpu"))
    message = result.failed.message
    assert result.failed.kind == "checkpoint" and "\n" not in message
    assert message.startswith("the checkpoint was made for another graph")
    assert "fc1.weight" in message and "fc2.weight" in message  # every mismatch, not one


def test_a_refused_resume_keeps_the_metrics_and_exits_2(blobs_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert train(str(blobs_file), "--epochs", "1", "--out", str(out)) == 0
    before = (out / "metrics.json").read_text()
    (out / "checkpoint.json").write_text("[]")
    capsys.readouterr()
    assert train(str(blobs_file), "--epochs", "2", "--resume", str(out), "--out", str(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the checkpoint is damaged" in err[0] and "step" not in err[0]
    assert (out / "metrics.json").read_text() == before


def test_an_exploding_loss_without_nan_is_reported_as_diverged():
    project = mlp_project(epochs=3, optimizer="adam", lr=1e6, device="cpu")
    result = Trainer(project, blobs(n=600)).run()
    assert result.failed is not None and result.failed.kind == "nan"
    assert "diverged" in result.failed.message and "learning rate" in result.failed.message
