"""The sequence examples train with `netcanvas train` on the CPU to the figures their
descriptions claim (slow: minutes each on a busy two-core machine)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch
from netcanvas.backend.cli import train as train_cli
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project_io import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
pytestmark = pytest.mark.slow


def trained(name: str, out: Path) -> dict:
    """The test metrics of example `name` after `netcanvas train --device cpu`."""
    parser = argparse.ArgumentParser(prog="netcanvas")
    train_cli.add_parser(parser.add_subparsers(dest="command"))
    args = ["train", str(EXAMPLES / f"{name}.netcanvas"), "--device", "cpu", "--seed", "0",
            "--out", str(out)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on two busy cores wait on each other: 50x slower
    try:
        assert train_cli.run(parser.parse_args(args)) == 0
    finally:
        torch.set_num_threads(threads)
    return json.loads((out / "metrics.json").read_text())["test"]


@pytest.mark.parametrize("name", ["lstm_digit_rows", "vit_digits"])
def test_digit_classifiers_reach_95_percent(name, tmp_path):
    assert trained(name, tmp_path)["accuracy"] >= 0.95


def test_transformer_solves_recall_where_an_mlp_of_similar_size_does_not(tmp_path):
    transformer = trained("transformer_recall", tmp_path / "transformer")["accuracy"]
    masked = trained("masked_transformer_recall", tmp_path / "masked")["accuracy"]
    mlp = trained("mlp_recall", tmp_path / "mlp")["accuracy"]
    assert transformer >= 0.95 and masked >= 0.95, (transformer, masked)
    assert mlp <= min(transformer, masked) - 0.15, (mlp, transformer, masked)


def test_gru_forecaster_beats_repeating_the_last_value(tmp_path):
    project = load_project(EXAMPLES / "gru_forecast.netcanvas")
    baseline = load_dataset(project.dataset).extra["repeat_last_mse"]
    assert trained("gru_forecast", tmp_path)["mse"] < 0.7 * baseline
