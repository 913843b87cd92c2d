"""A LeNet digits run trained for a few epochs, for the predict, attribution and attack tests."""

from __future__ import annotations

from pathlib import Path

import torch
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runs import DataInfo, RunStore
from netcanvas.backend.training import Trainer

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
LENET = EXAMPLES / "lenet_digits.netcanvas"


def trained_digits_run(root: Path, epochs: int = 3):
    """(run, dataset): lenet_digits.netcanvas trained on the CPU, saved under `root`."""
    torch.set_num_threads(1)
    project = load_project(LENET)
    project.training.epochs = epochs
    project.training.device = "cpu"
    data = load_dataset(project.dataset)
    run = RunStore("digits", root=root).new_run(project)
    run.data = DataInfo.of(data)
    run.ended(Trainer(run.project, data, checkpoint_dir=run.checkpoint_dir).run())
    return run, data
