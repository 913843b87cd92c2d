"""The LR range test: the suggestion on the digits example, and nothing of the project changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.training.lr_find import lr_range_test, suggest
from test_training_support import blobs, blobs_file, mlp_project

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "lenet_digits.netcanvas"


def test_suggestion_is_the_minimum_over_ten():
    lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    assert suggest(lrs, [2.0, 1.5, 1.0, 3.0, 9.0]) == pytest.approx(1e-3)
    assert suggest(lrs, [1.0, 2.0, 3.0, 4.0, 5.0]) is None  # never fell
    assert suggest([], []) is None


def test_the_range_rises_exponentially_and_stops_on_divergence():
    finding = lr_range_test(mlp_project(), blobs(n=120), device="cpu", start=1e-4, end=1e4,
                            steps=60)
    assert finding.lrs[0] == pytest.approx(1e-4)
    ratios = {round(b / a, 9) for a, b in zip(finding.lrs, finding.lrs[1:])}
    assert len(ratios) == 1  # a constant factor per step
    assert len(finding.lrs) < 60  # lr 1e4 blows the loss up long before the end


def test_digits_example_suggests_near_its_own_rate(tmp_path, capsys):
    before = EXAMPLE.read_bytes()
    assert main(["lr-find", str(EXAMPLE), "--device", "cpu", "--csv",
                 str(tmp_path / "lr.csv")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("suggested"))
    value = float(line.split()[3])
    assert 3e-4 <= value <= 3e-2  # within a factor of 10 of the example's 3e-3
    assert EXAMPLE.read_bytes() == before  # the project (and so its weights) untouched
    assert (tmp_path / "lr.csv").read_text().startswith("lr,loss,smoothed")


def test_apply_saves_the_suggestion(tmp_path, capsys):
    from netcanvas.backend.project_io import load_project

    project = mlp_project()
    path = blobs_file(tmp_path / "p.netcanvas")
    assert main(["lr-find", str(path), "--device", "cpu", "--steps", "40", "--apply"]) == 0
    saved = load_project(path).training.lr
    assert saved != project.training.lr and saved > 0
    assert main(["lr-find", str(path), "--start", "1", "--end", "0.1"]) == 2
