"""The app's multi-process runs (backend/training/remote.py): torchrun in a subprocess, rank
0's events followed from its JSON-lines file.

The runs here are two gloo processes on this CPU: the device "cpu" and nproc 2 go to the
same ProcessTrainer that "cuda:all" builds with one process per GPU (`trainer_for`).
Starting torchrun and two ranks takes seconds (three torch imports), hence slow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from netcanvas.backend.registry import ParamError
from netcanvas.backend.settings import validate_setting
from netcanvas.backend.training import remote
from netcanvas.backend.training.checkpoint import load_model
from netcanvas.backend.training.events import (
    Cancelled,
    EpochEnded,
    Failed,
    Finished,
    RunResult,
    Started,
    Steps,
)
from netcanvas.backend.training.remote import ProcessTrainer, trainer_for
from netcanvas.backend.training.trainer import Trainer
from process_tree import no_process_left  # noqa: F401 -- a fixture, used by pytestmark
from test_training_support import mlp_project

pytestmark = pytest.mark.usefixtures("no_process_left")  # torchrun and its ranks end


def blobs_project(**training):
    project = mlp_project(**training)
    project.dataset.name = "blobs"
    project.dataset.options = {"n_samples": 150, "classes": 3}
    return project


def ranks_alive(snapshot: Path) -> list[int]:
    """Processes whose command line names this run's snapshot: torchrun and its ranks."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(snapshot).encode() in (entry / "cmdline").read_bytes():
                alive.append(int(entry.name))
        except OSError:
            continue
    return alive


def test_cuda_all_is_a_declared_device_and_picks_the_process_trainer(monkeypatch):
    assert validate_setting("training", "device", "cuda:all") == "cuda:all"
    with pytest.raises(ParamError, match="training.device"):
        validate_setting("training", "device", "cuda:every")
    project = blobs_project(device="cuda:all")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    chosen = trainer_for(project, checkpoint_dir="ck")
    assert isinstance(chosen, ProcessTrainer) and chosen.nproc == 4
    assert chosen.argv()[5:9] == ["--nproc-per-node", "4", "--device", "cuda:all"]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert isinstance(trainer_for(project), Trainer)  # one GPU: trained in this process
    assert isinstance(trainer_for(blobs_project(device="cpu")), Trainer)


def test_events_round_trip_through_json_lines(tmp_path):
    log = remote.EventLog(tmp_path / "events.jsonl")
    log(Steps(steps=[1, 2], losses=[1.5, float("nan")], lrs=[0.1, 0.1], epoch=1,
              samples_per_sec=10.0, progress=0.5))
    log(RunResult(model=object(), history=[{"epoch": 1, "train_loss": 1.0}],
                  failed=Failed("nan", "the loss is nan", step=2)))
    log.close()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    trainer = ProcessTrainer(blobs_project(), 2, checkpoint_dir=tmp_path)
    steps = trainer._decode(json.loads(lines[0]))
    assert steps.steps == [1, 2] and steps.losses[0] == 1.5 and steps.losses[1] != steps.losses[1]
    assert trainer._decode(json.loads(lines[1])) is None
    assert trainer.result.failed == Failed("nan", "the loss is nan", step=2)
    assert trainer.result.history == [{"epoch": 1, "train_loss": 1.0}]
    assert trainer.result.model is None  # no checkpoint in that folder


@pytest.mark.slow
def test_two_processes_stream_epochs_and_finish_with_a_loadable_checkpoint(tmp_path):
    project = blobs_project(epochs=3)
    trainer = ProcessTrainer(project, 2, device="cpu", checkpoint_dir=tmp_path / "ck",
                             layer_stats=0)
    seen = list(trainer.events())
    started = next(e for e in seen if isinstance(e, Started))
    assert started.device == "cpu" and started.epochs == 3
    assert [e.epoch for e in seen if isinstance(e, EpochEnded)] == [1, 2, 3]
    assert any(isinstance(e, Steps) for e in seen)
    result = trainer.result
    assert isinstance(seen[-1], Finished) and seen[-1].best_epoch == result.best_epoch
    assert seen[-1].test_metrics == result.test_metrics
    assert result.failed is None and not result.cancelled and len(result.history) == 3
    assert result.test_metrics["accuracy"] > 0.5
    assert trainer._proc.returncode == 0, (tmp_path / "ck" / remote.LOG).read_text()
    # The model the result holds is the checkpoint's, and predicts like it.
    again = load_model(project.graph, tmp_path / "ck")
    x = torch.randn(5, 2)
    with torch.no_grad():
        assert torch.equal(result.model.module(x), again.module(x))
    assert "trained in 2 processes" in (tmp_path / "ck" / remote.LOG).read_text()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="lists processes through /proc")
def test_stop_ends_every_rank_and_leaves_a_resumable_run(tmp_path):
    ck = tmp_path / "ck"
    project = blobs_project(epochs=5000)
    trainer = ProcessTrainer(project, 2, device="cpu", checkpoint_dir=ck)
    seen = []
    for event in trainer.events():
        seen.append(event)
        if isinstance(event, EpochEnded) and event.epoch == 2:
            assert len(ranks_alive(ck / remote.SNAPSHOT)) == 3  # torchrun and two ranks
            trainer.cancel()
    assert any(isinstance(e, Cancelled) for e in seen)
    assert not any(isinstance(e, (Failed, Finished)) for e in seen)
    assert trainer._proc.returncode is not None
    assert ranks_alive(ck / remote.SNAPSHOT) == []
    result = trainer.result
    assert result.cancelled and result.failed is None
    done = len(result.history)
    assert 2 <= done < 5000 and result.model is not None
    assert json.loads((ck / "checkpoint.json").read_text())["epoch"] == done
    # Resumable, as the app resumes it: the next epoch continues from that checkpoint.
    project.training.epochs = done + 1
    again = ProcessTrainer(project, 2, device="cpu", checkpoint_dir=ck, resume_from=ck)
    resumed = again.run()
    assert resumed.failed is None and not resumed.cancelled
    assert [h["epoch"] for h in resumed.history] == list(range(1, done + 2))
    assert resumed.history[:done] == result.history


def test_ranks_that_never_report_end_in_a_failure_naming_the_cause(tmp_path):
    missing = tmp_path / "no-such-checkpoint"
    trainer = ProcessTrainer(blobs_project(epochs=1), 2, device="cpu",
                             checkpoint_dir=tmp_path / "ck", resume_from=missing)
    seen = list(trainer.events())
    assert len(seen) == 1 and isinstance(seen[0], Failed)
    assert seen[0].message == f"no checkpoint at {missing}"
    assert trainer.result.failed is seen[0] and trainer.result.model is None


def test_a_stop_before_the_ranks_start_is_a_cancelled_run(tmp_path):
    trainer = ProcessTrainer(blobs_project(epochs=1), 2, device="cpu",
                             checkpoint_dir=tmp_path / "ck")
    trainer.cancel(keep=False)
    seen = list(trainer.events())
    assert [type(e) for e in seen] == [Cancelled]
    assert trainer.result.cancelled and trainer.result.history == []
    assert os.path.exists(tmp_path / "ck" / remote.LOG)


def test_the_cli_trains_cuda_all_in_one_process_per_gpu(tmp_path, monkeypatch, capsys):
    from netcanvas.backend.cli import launch, main
    from netcanvas.backend.project_io import save_project

    path = tmp_path / "blobs.netcanvas"
    save_project(blobs_project(epochs=1), path)
    if not torch.cuda.is_available():
        assert main(["train", str(path), "--device", "cuda:all"]) == 2
        err = capsys.readouterr().err.strip()
        assert err == ("netcanvas train: error: device 'cuda:all' asked for, but CUDA is not "
                       "available here")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    launched = []
    monkeypatch.setattr(launch, "launch", lambda args, argv: launched.append(
        (args.nproc_per_node, argv)) or 0)
    assert main(["train", str(path), "--device", "cuda:all"]) == 0
    [(nproc, argv)] = launched
    assert nproc == 3 and argv[:2] == ["train", str(path)]
    assert argv[argv.index("--device") + 1] == "cuda:all"
