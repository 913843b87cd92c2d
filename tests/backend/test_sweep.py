"""`netcanvas sweep`: search spaces checked against the settings, Optuna trials, shared studies."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.project_io import load_project
from netcanvas.backend.sweep import (
    SweepError,
    SweepParam,
    check_space,
    parse_param,
    shares,
    with_settings,
)
from process_tree import no_process_left  # noqa: F401 -- a fixture
from test_training_support import blobs_file as saved_blobs
from test_training_support import mlp_project

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "lenet_digits.netcanvas"


@pytest.fixture
def blobs_file(tmp_path):
    return saved_blobs(tmp_path / "blobs.netcanvas", epochs=2)


@pytest.mark.parametrize("text,expected", [
    ("training.lr=log:1e-4:1e-1", SweepParam("training.lr", "log", (1e-4, 1e-1))),
    ("training.lr=float:0.01:0.1", SweepParam("training.lr", "float", (0.01, 0.1))),
    ("training.batch_size=int:8:64", SweepParam("training.batch_size", "int", (8, 64))),
    ("training.batch_size=32,64,128", SweepParam("training.batch_size", "choice", (32, 64, 128))),
    ("training.optimizer=adam,sgd", SweepParam("training.optimizer", "choice", ("adam", "sgd"))),
    ("training.epochs=2", SweepParam("training.epochs", "choice", (2,))),
    ("training.nesterov=true,false", SweepParam("training.nesterov", "choice", (True, False))),
])
def test_parse(text, expected):
    assert parse_param(text) == expected
    assert parse_param(text).fixed == (len(expected.values) == 1 and expected.kind == "choice")


@pytest.mark.parametrize("text,needle", [
    ("lr=log:1e-4:1e-1", "training.FIELD or dataset.FIELD"),
    ("training.lrate=0.1", "no such setting"),
    ("training.lr", "expected section.field=SPEC"),
    ("training.lr=log:0:1", "above 0"),
    ("training.lr=float:1:0.5", "from low to high"),
    ("training.batch_size=log:1:8", "a log range does not fit"),
    ("training.batch_size=32,sixty", "expected int"),
    ("training.lr=nan", "expected float"),
    ("training.epochs=2,2", "given twice"),
])
def test_bad_params_name_the_parameter(text, needle):
    with pytest.raises(SweepError, match=needle):
        parse_param(text)


def test_values_are_checked_by_the_project_loader():
    project = mlp_project()
    with pytest.raises(SweepError, match="training.optimizer"):
        check_space(project, [parse_param("training.optimizer=adam,lbfgs")])
    with pytest.raises(SweepError, match="training.batch_size: must be at least 1, got 0"):
        check_space(project, [parse_param("training.batch_size=int:0:8")])
    assert with_settings(project, {"training.lr": 0.5}).training.lr == 0.5
    assert project.training.lr != 0.5  # a copy


def test_shares_split_trials_without_repeats():
    assert shares(3, 2) == [2, 1] and shares(5, 1) == [5] and sum(shares(20, 3)) == 20


def test_cli_refuses_a_bad_space_before_running(blobs_file, tmp_path, capsys):
    assert main(["sweep", str(blobs_file), "--param", "training.lr=log:0:1",
                 "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training.lr" in err[0]
    assert not (tmp_path / "s").exists()
    assert main(["sweep", str(blobs_file), "--out", str(tmp_path / "s")]) == 2


def test_three_trials_on_the_digits_example(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", str(EXAMPLE), "--trials", "3", "--device", "cpu",
                 "--param", "training.lr=log:1e-3:1e-2", "--param", "training.epochs=1",
                 "--param", "training.optimizer=adam,sgd", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert [int(r["trial"]) for r in rows] == [0, 1, 2]
    assert {r["training.epochs"] for r in rows} == {"1"}
    assert all(1e-3 <= float(r["training.lr"]) <= 1e-2 for r in rows)
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["metric"] == "val_accuracy" and doc["direction"] == "maximize"
    assert doc["best"]["value"] == max(float(r["val_accuracy"]) for r in rows
                                       if r["state"] == "complete")
    best = load_project(out / "best.netcanvas")
    assert best.training.lr == doc["best"]["params"]["training.lr"]
    assert main(["check", str(out / "best.netcanvas")]) == 0
    assert "best: trial" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.usefixtures("no_process_left")
def test_two_jobs_share_one_study_without_repeating(blobs_file, tmp_path):
    out = tmp_path / "sweep"
    db = tmp_path / "study.db"
    result = subprocess.run(
        [sys.executable, "-m", "netcanvas", "sweep", str(blobs_file), "--trials", "4",
         "--jobs", "2", "--storage", f"sqlite:///{db}", "--device", "cpu",
         "--param", "training.batch_size=8,16,32,64", "--out", str(out)],
        check=False, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == 4
    assert sorted(int(r["training.batch_size"]) for r in rows) == [8, 16, 32, 64]
    import optuna

    study = optuna.load_study(study_name="blobs", storage=f"sqlite:///{db}")
    assert len(study.trials) == 4
