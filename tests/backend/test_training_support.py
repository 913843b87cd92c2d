"""Tiny projects and datasets shared by the training tests (plus a check of the helpers)."""

from __future__ import annotations

import itertools

import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import Dataset, Split
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project

torch.set_num_threads(1)  # tiny models: threads only add contention


def mlp_project(features: int = 2, classes: int = 3, hidden: int = 16, loss="cross_entropy",
                dropout: float = 0.0, batch_norm: bool = False, **training) -> Project:
    """Input -> Linear [-> BatchNorm1d "bn"] -> ReLU [-> Dropout] -> Linear -> Output."""
    g = Graph()
    nodes = [g.add("input", "x", shape=(features,)), g.add("linear", "fc1", out_features=hidden)]
    if batch_norm:
        nodes.append(g.add("batch_norm1d", "bn"))
    nodes.append(g.add("relu", "act"))
    if dropout:
        nodes.append(g.add("dropout", "drop", p=dropout))
    nodes += [g.add("linear", "fc2", out_features=classes), g.add("output", "out", loss=loss)]
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)
    return _project(g, **{"lr": 0.01, **training})


def blobs_file(path, **training):
    """An MLP project on 150 generated blobs (3 classes), saved at `path`; returns `path`."""
    from netcanvas.backend.project_io import save_project

    project = mlp_project(**training)
    project.dataset.name = "blobs"
    project.dataset.options = {"n_samples": 150, "classes": 3}
    save_project(project, path)
    return path


def linear_project(features: int = 3, **training) -> Project:
    """Input -> Linear -> Output(mse): linear regression."""
    g = Graph()
    i, fc, o = (g.add("input", "x", shape=(features,)), g.add("linear", "fc", out_features=1),
                g.add("output", "out", loss="mse"))
    g.connect(i, fc)
    g.connect(fc, o)
    return _project(g, **{"lr": 0.05, **training})


def cnn_project(**training) -> Project:
    """Input 1x8x8 -> Conv2d -> ReLU -> Flatten -> Linear -> Output."""
    g = Graph()
    chain = [g.add("input", "image", shape=(1, 8, 8)),
             g.add("conv2d", "conv1", out_channels=8, kernel_size=3, padding=1),
             g.add("relu", "relu1"), g.add("flatten", "flat"),
             g.add("linear", "fc", out_features=3), g.add("output", "logits")]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    return _project(g, **{"lr": 0.01, **training})


def images(n: int = 192) -> Dataset:
    """blobs in 64 dimensions shaped as 1x8x8 images."""
    data = blobs(n=n, features=64)
    for split in (data.train, data.val, data.test):
        split.x = split.x.reshape(-1, 1, 8, 8)
    data.sample_shape = (1, 8, 8)
    return data


def _project(graph: Graph, **training) -> Project:
    """A project on the CPU (tests that want CUDA ask for it) with small-run defaults."""
    project = Project(graph=graph)
    for key, value in {"epochs": 3, "batch_size": 16, "device": "cpu", **training}.items():
        setattr(project.training, key, value)
    return project


def blobs(n: int = 192, features: int = 2, classes: int = 3, seed: int = 0,
          random_labels: bool = False) -> Dataset:
    """Gaussian clusters, one per class, split 60/20/20."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, features, generator=g) * 3
    y = torch.arange(n) % classes
    x = centres[y] + torch.randn(n, features, generator=g)
    if random_labels:
        y = torch.randint(0, classes, (n,), generator=g)
    return _dataset("blobs", x, y, "classification", classes, (features,), ())


def regression(n: int = 160, features: int = 3, noise: float = 0.1, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    w = torch.arange(1.0, features + 1)
    y = (x @ w + 0.5 + noise * torch.randn(n, generator=g))[:, None]
    return _dataset("linear", x, y, "regression", None, (features,), (1,))


def _dataset(name, x, y, task, classes, sample_shape, target_shape) -> Dataset:
    n = x.shape[0]
    a, b = int(n * 0.6), int(n * 0.8)
    return Dataset(name=name, train=Split(x[:a], y[:a]), val=Split(x[a:b], y[a:b]),
                   test=Split(x[b:], y[b:]), task=task, num_classes=classes,
                   class_names=[str(c) for c in range(classes or 0)],
                   sample_shape=sample_shape, target_shape=target_shape)


class Recorder(list):
    """on_event callback that keeps every event."""

    def __call__(self, event) -> None:
        self.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self if isinstance(e, kind)]


def test_helpers_build_trainable_projects():
    compiled = compile_graph(mlp_project(dropout=0.1).graph)
    out = compiled.module(blobs().train.x)
    assert out.shape == (115, 3)
    assert compile_graph(linear_project().graph).module(regression().train.x).shape == (96, 1)
    graph = mlp_project(batch_norm=True).graph
    assert [n.type_id for n in graph.nodes.values()] == [
        "input", "linear", "batch_norm1d", "relu", "linear", "output"]
