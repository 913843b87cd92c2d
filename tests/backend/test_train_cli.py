"""`netcanvas train`: exit codes, metrics.json/csv, the closed-form regression table."""

from __future__ import annotations

import argparse
import csv
import json

import pytest
import torch
from netcanvas.backend.cli import train as train_cli
from netcanvas.backend.project_io import save_project
from test_training_support import blobs_file as saved_blobs
from test_training_support import linear_project, mlp_project


def train(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="netcanvas")
    train_cli.add_parser(parser.add_subparsers(dest="command"))
    return train_cli.run(parser.parse_args(["train", *argv]))


@pytest.fixture
def blobs_file(tmp_path):
    return saved_blobs(tmp_path / "blobs.netcanvas", epochs=2)


def test_metrics_json_and_csv(blobs_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert train(str(blobs_file), "--epochs", "3", "--lr", "0.02", "--seed", "1",
                 "--device", "cpu", "--out", str(out)) == 0
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["device"] == "cpu"
    assert set(doc["test"]) >= {"loss", "accuracy"} and 0 <= doc["test"]["accuracy"] <= 1
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2, 3]
    assert all({"seconds", "train_loss", "val_loss", "val_accuracy"} <= set(e)
               for e in doc["epochs"])
    rows = list(csv.DictReader((out / "metrics.csv").read_text().splitlines()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert (out / "checkpoint.json").exists()
    printed = capsys.readouterr()
    assert printed.out.count("epoch ") >= 3 and "test  loss" in printed.out
    assert "[" not in printed.err  # no progress bar when stderr is not a terminal


def test_resume_from_the_out_folder(blobs_file, tmp_path):
    out = tmp_path / "run"
    assert train(str(blobs_file), "--epochs", "1", "--out", str(out)) == 0
    assert train(str(blobs_file), "--epochs", "2", "--resume", str(out), "--out", str(out)) == 0
    doc = json.loads((out / "metrics.json").read_text())
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2]


@pytest.mark.parametrize("argv,needle", [
    (["missing.netcanvas"], "no such file"),
    (["{file}", "--epochs", "0"], "--epochs"),
    (["{file}", "--lr", "-1"], "--lr"),
    (["{file}", "--resume", "/nowhere/ckpt"], "no checkpoint"),
    (["{file}", "--device", "warp-drive"], "device"),
])
def test_bad_arguments_exit_2_with_one_line(blobs_file, capsys, argv, needle):
    argv = [a.replace("{file}", str(blobs_file)) for a in argv]
    assert train(*argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_corrupt_project_file_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.netcanvas"
    path.write_text("{not json")
    assert train(str(path)) == 2
    assert "bad.netcanvas" in capsys.readouterr().err


def test_metrics_that_cannot_be_written_are_one_line_and_exit_1(blobs_file, tmp_path, capsys):
    out = tmp_path / "run"
    (out / "metrics.json").mkdir(parents=True)  # as unwritable as a full disk, even for root
    assert train(str(blobs_file), "--device", "cpu", "--out", str(out)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"netcanvas train: error: could not write the metrics to {out}: Is a directory"]
    assert (out / "checkpoint.json").exists(), "the trained weights are kept"


def test_failed_run_exits_1(blobs_file, capsys):
    assert train(str(blobs_file), "--lr", "1e30", "--epochs", "2") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "learning rate" in err[0]


def test_linear_regression_prints_the_closed_form_solution(tmp_path, capsys):
    project = linear_project(features=2, epochs=30, lr=0.05, optimizer="sgd", momentum=0.9)
    project.dataset.name = "linear"
    project.dataset.options = {"n_samples": 200, "n_features": 2, "noise": 0.1}
    path = tmp_path / "linreg.netcanvas"
    save_project(project, path)
    assert train(str(path)) == 0
    out = capsys.readouterr().out
    assert "closed form" in out and "(XᵀX)⁻¹XᵀY" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("w[", "b "))]
    assert [r[0] for r in rows] == ["b", "w[0]", "w[1]"]
    for _, trained, best, diff in rows:
        assert abs(float(trained) - float(best)) < 0.05 and abs(float(diff)) < 0.05


def test_least_squares_matches_the_normal_equations():
    from netcanvas.backend.training.closed_form import is_linear_regression, least_squares

    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 3 + 0.01 * torch.randn(50, 1, generator=g)
    w, b = least_squares(x, y)
    design = torch.cat([torch.ones(50, 1), x], 1).double()
    normal = torch.linalg.solve(design.T @ design, design.T @ y.double())
    assert torch.allclose(torch.cat([b, w[0]]), normal[:, 0], atol=1e-9)
    assert is_linear_regression(linear_project().graph)
    assert not is_linear_regression(mlp_project(loss="mse").graph)


def test_through_the_netcanvas_command_line(blobs_file, tmp_path, capsys):
    from netcanvas.backend.cli import main

    assert main(["train", str(blobs_file), "--epochs", "1", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["epochs"][0]["epoch"] == 1
    capsys.readouterr()
    assert main(["train", str(blobs_file), "--epochs", "many"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_progress_bar_only_on_a_terminal(blobs_file, monkeypatch, capsys):
    monkeypatch.setattr(train_cli.sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr("netcanvas.backend.training.loop.REPORT_INTERVAL", 0.0)
    assert train(str(blobs_file), "--epochs", "1") == 0
    err = capsys.readouterr().err
    assert "\r[" in err and "samples/s" in err


def test_ctrl_c_is_an_interrupt_that_says_where_to_resume(blobs_file, tmp_path, capsys,
                                                          monkeypatch):
    """A real SIGINT after the first epoch: exit 130, no "error", the resumable checkpoint."""
    import os
    import signal

    from netcanvas.backend.training import EpochEnded

    real = train_cli.run_cancellable

    def interrupted_after_one_epoch(trainer):
        report = trainer.on_event

        def on_event(event):
            report(event)
            if isinstance(event, EpochEnded):
                os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C in the terminal
        trainer.on_event = on_event
        return real(trainer)

    monkeypatch.setattr(train_cli, "run_cancellable", interrupted_after_one_epoch)
    out = tmp_path / "run"
    assert train(str(blobs_file), "--epochs", "50", "--out", str(out)) == 130
    err = capsys.readouterr().err
    assert "error" not in err and "interrupted after " in err
    assert f"--resume {out}" in err and (out / "checkpoint.json").exists()


def test_early_stopping_says_so_and_names_the_best_epoch(tmp_path, capsys, monkeypatch):
    from netcanvas.backend.training import trainer

    calls = []  # only the first epoch improves: patience 2 stops after epoch 3
    monkeypatch.setattr(trainer, "improved", lambda *args: not calls.append(1) and len(calls) == 1)
    path = saved_blobs(tmp_path / "flat.netcanvas", epochs=40, early_stopping_patience=2)
    assert train(str(path)) == 0
    out = capsys.readouterr().out
    assert "stopped early at epoch 3 of 40:" in out and "best epoch 1" in out


def test_train_help_prints_every_declared_option():
    """A declaration's doc with a percent sign ("2% to 33% of the area") is help text, not
    an argparse format: `netcanvas train --help` printed a traceback."""
    help_ = train_cli.add_parser(argparse.ArgumentParser().add_subparsers()).format_help()
    text = " ".join(help_.split())  # as wrapped
    assert "--augment-erasing" in text and "(2% to 33% of the area; cutout)" in text
