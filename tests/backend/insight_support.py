"""A LeNet digits run trained for a few epochs, and a linear classifier with known weights,
for the predict, attribution and attack tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import load_dataset
from netcanvas.backend.graph import Graph
from netcanvas.backend.insight.predict import Predictor
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project
from netcanvas.backend.runs import DataInfo, RunStore
from netcanvas.backend.training import Trainer

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
LENET = EXAMPLES / "lenet_digits.netcanvas"
MOONS = EXAMPLES / "mlp_moons.netcanvas"
MASKED_RECALL = EXAMPLES / "masked_transformer_recall.netcanvas"  # inputs tokens + mask


def trained_digits_run(root: Path, epochs: int = 3):
    """(run, dataset): lenet_digits.netcanvas trained on the CPU, saved under `root`."""
    return trained_run(root, LENET, epochs)


def trained_run(root: Path, example: Path, epochs: int, options: dict | None = None):
    """(run, dataset): an example project trained on the CPU, saved under `root`; `options`
    replace its dataset's."""
    torch.set_num_threads(1)
    project = load_project(example)
    if options is not None:
        project.dataset = dataclasses.replace(project.dataset, options=options)
    project.training.epochs = epochs
    project.training.device = "cpu"
    data = load_dataset(project.dataset)
    run = RunStore("digits", root=root).new_run(project)
    run.data = DataInfo.of(data)
    run.ended(Trainer(run.project, data, checkpoint_dir=run.checkpoint_dir).run())
    return run, data


def trained_masked_recall_run(root: Path):
    """(run, dataset): masked_transformer_recall, one epoch on 400 recall sequences."""
    return trained_run(root, MASKED_RECALL, 1, {"n_samples": 400})


def linear_predictor(features: int = 4, mean=None, std=None, scale: float = 1.0) -> Predictor:
    """Input(features) -> Linear(3) -> Output, seeded, its data normalised by mean and std."""
    g = Graph()
    x, fc, out = (g.add("input", "x", shape=(features,)), g.add("linear", "fc", out_features=3),
                  g.add("output", "out"))
    g.connect(x, fc)
    g.connect(fc, out)
    torch.manual_seed(0)
    model = compile_graph(g, device="cpu")
    data = DataInfo("classification", ["a", "b", "c"], (features,), mean, std, scale)
    return Predictor(model, data, "linear", Project(graph=g))
