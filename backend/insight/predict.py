"""A trained model the user can feed: loaded from a run or from a project file and its weights,
taking raw inputs (pixels in [0, 1], feature values as the data's files hold them) and
answering with class probabilities.

"Raw" means what the dataset's loader produces before normalisation: image files become
uint8 pixels scaled to [0, 1] (exactly as backend/data/images.py reads a folder), CSV rows
keep their values. `Predictor.raw_module()` puts the run's normalisation in front of the
model, so attribution and attacks work in raw units and ε means pixels.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from netcanvas.backend.data.images import EXTENSIONS, read_image
from netcanvas.backend.runs import DataInfo, Run, data_info
from netcanvas.backend.runtime.predict import plane_grid
from netcanvas.backend.runtime.raw_input import RawInput


class PredictError(Exception):
    """A model, weights or input that cannot be used: one line naming the file or field."""


@dataclass
class Predictor:
    """A compiled model with its weights (CPU, eval mode) and what it knows of its data."""

    model: object  # CompiledModel
    data: DataInfo  # input_scale always known here
    label: str  # which weights: "run 2, epoch 19, val acc 0.95" or "lenet.netcanvas + w"
    project: object  # the Project the model was compiled from
    # Several Input nodes: the raw sample feeds the first; `others` (model-ready, batch 1 or
    # N) feed the rest, `masks` of them follow the raw sample (real where it is not `pad`).
    others: tuple = field(default=(), repr=False)
    masks: tuple[int, ...] = ()
    pad: float = 0.0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.model.input_shapes[0])

    @property
    def input_names(self) -> list[str]:
        return list(self.model.input_names)

    @property
    def is_image(self) -> bool:
        return len(self.sample_shape) == 3

    @property
    def classifies(self) -> bool:
        return self.data.task == "classification"

    @property
    def class_names(self) -> list[str]:
        k = int(self.model.output_shapes[0][-1]) if self.model.output_shapes[0] else 1
        names = self.data.class_names
        return names if len(names) == k else [str(i) for i in range(k)]

    @property
    def valid_range(self) -> tuple[float, float] | None:
        """The range raw inputs live in: [0, 1] for pixels; None for feature vectors."""
        return (0.0, 1.0) if self.is_image else None

    def _stats(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Mean and std in raw units, shaped to broadcast over one sample."""
        if self.data.mean is None:
            return None, None
        shape = (-1,) + (1,) * (len(self.sample_shape) - 1)
        scale = self.data.input_scale
        mean = torch.tensor(self.data.mean, dtype=torch.float32).reshape(shape) * scale
        std = torch.tensor(self.data.std, dtype=torch.float32).reshape(shape) * scale
        return mean, std

    def raw_module(self) -> RawInput:
        """The model taking raw samples (N, *sample_shape) and returning its first output."""
        return RawInput(self.model.module, *self._stats(), self.others, self.masks,
                        self.pad).eval()

    def outputs(self, x_raw: torch.Tensor) -> torch.Tensor:
        """The first output (logits for a classifier) for raw samples, without gradients."""
        with torch.inference_mode():
            return self.raw_module()(self._batch(x_raw)).float()

    def probabilities(self, x_raw: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, classes) for raw samples (N, *sample_shape) or one sample."""
        if not self.classifies:
            raise PredictError(f"{self.label} is a regression: it has no class probabilities")
        return torch.softmax(self.outputs(x_raw), dim=-1)

    def _batch(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.input_names) != len(self.others) + 1:
            raise PredictError("the model has inputs " + ", ".join(self.input_names)
                               + ": give each one (a test sample, or NAME=FILE)")
        x = torch.as_tensor(x, dtype=torch.float32)
        if tuple(x.shape) == self.sample_shape:
            x = x[None]
        if tuple(x.shape[1:]) != self.sample_shape:
            raise PredictError(f"the model takes samples of shape {_shape(self.sample_shape)}, "
                               f"got {_shape(tuple(x.shape[1:]))}")
        return x

    def test_samples(self, dataset=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The test split in raw units and its labels: `dataset` (already loaded) or the
        project's dataset loaded anew. With several inputs or targets: what feeds the first
        Input node and the first class target (else the first target)."""
        if dataset is None:
            dataset = load_data(self.project)
        x = _test_inputs(dataset, self.model)[0]
        if dataset.mean is not None:
            shape = (1, -1) + (1,) * (x.dim() - 2)
            x = x * dataset.std.reshape(shape) + dataset.mean.reshape(shape)
        ys = dataset.test.ys()
        first = next((i for i, t in enumerate(dataset.targets) if t.kind == "class"), 0)
        return x, ys[first]


    def use_sample(self, dataset, index: int) -> None:
        """Feed the Inputs after the first test sample `index`'s own (matched by name); a
        padding mask the size of the first input follows it where the dataset names its
        padding token (`extra["pad"]`), so edited tokens keep their mask consistent."""
        from netcanvas.backend.catalogue import is_mask_input

        xs = _test_inputs(dataset, self.model)
        self.others = tuple(t[index:index + 1] for t in xs[1:])
        pad = dataset.extra.get("pad")
        self.masks = tuple(k for k, (name, shape) in enumerate(
            zip(self.input_names[1:], self.model.input_shapes[1:]))
            if pad is not None and is_mask_input(name) and tuple(shape) == self.sample_shape)
        self.pad = float(pad or 0)


def _test_inputs(dataset, model) -> list[torch.Tensor]:
    """The test split's model-ready inputs, one per Input node, matched by name."""
    from netcanvas.backend.data.matching import matched_test_inputs
    from netcanvas.backend.data.types import DatasetMismatchError

    try:
        xs = matched_test_inputs(dataset, model)
    except DatasetMismatchError as exc:
        raise PredictError(str(exc)) from None
    return list(xs) if isinstance(xs, (list, tuple)) else [xs] * len(model.input_shapes)


def from_run(run: Run, which: str = "best", checked: bool = True,
             several: bool = False) -> Predictor:
    """The run's best (or last) weights on the snapshot it trained; `checked` refuses what
    the class-probability views cannot take (non-class outputs; several inputs unless
    `several`: then Predictor.use_sample feeds the others), which the task pictures
    (backend/training/task_views.py) can."""
    try:
        model = run.model(which)
    except (ValueError, OSError) as exc:
        raise PredictError(str(exc)) from None
    data = run.data if run.data is not None else DataInfo.of(load_data(run.project))
    predictor = Predictor(model, _with_scale(data, run.project), run.label, run.project)
    return _checked(predictor, several) if checked else predictor


def from_file(path: str | os.PathLike, weights: str | os.PathLike,
              several: bool = False) -> Predictor:
    """A project file compiled with `weights` (safetensors or a run's checkpoint); the data's
    normalisation comes from the run folder the weights are in, else from its dataset."""
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.data import DatasetError
    from netcanvas.backend.export import ExportError, load_weights
    from netcanvas.backend.project_io import ProjectFileError, load_project

    try:
        project = load_project(path)
        model = compile_graph(project.graph, device="cpu")
        load_weights(model, weights)
        data = data_info(project, weights)
    except (ProjectFileError, ExportError, DatasetError) as exc:
        raise PredictError(str(exc)) from None
    except CompileError as exc:
        raise PredictError(f"{Path(path).name} does not compile: "
                           + str(exc).splitlines()[0]) from None
    model.module.eval()
    label = f"{Path(path).name} with {Path(weights).name}"
    return _checked(Predictor(model, _with_scale(data, project), label, project), several)


def _with_scale(data: DataInfo, project) -> DataInfo:
    """Runs saved before the input scale was recorded: take it from the dataset."""
    if data.input_scale is not None:
        return data
    return replace(data, input_scale=DataInfo.of(load_data(project)).input_scale)


def load_data(project):
    from netcanvas.backend.data import DatasetError, load_dataset

    try:
        return load_dataset(project.dataset)
    except DatasetError as exc:
        raise PredictError(str(exc)) from None


def _checked(predictor: Predictor, several: bool = False) -> Predictor:
    model = predictor.model
    if len(model.input_shapes) != 1 and not several:
        raise PredictError(f"the model has {len(model.input_shapes)} inputs; this view takes "
                           "models with one")
    out = tuple(model.output_shapes[0])
    if predictor.classifies and len(out) != 1:
        raise PredictError(f"the model outputs {_shape(out)} per sample; predict takes "
                           "classifiers with one score per class")
    data_shape = tuple(predictor.data.sample_shape)
    if data_shape and data_shape != predictor.sample_shape:
        raise PredictError(f"the model takes {_shape(predictor.sample_shape)} samples but its "
                           f"data has {_shape(data_shape)}")
    return predictor


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) or "scalar"


# ---- the user's inputs ---------------------------------------------------------------------
def read_inputs(predictor: Predictor, paths, shape=None) -> tuple[torch.Tensor, list[str]]:
    """Image files and CSV files as one batch of raw samples, with a name for each; `shape`
    is the samples' (default: the first Input's)."""
    samples, names = [], []
    for path in map(Path, paths):
        if not path.is_file():
            raise PredictError(f"{path}: no such file")
        if path.suffix.lower() == ".csv":
            rows = read_csv_rows(predictor, path, shape)
            samples.extend(rows)
            names.extend(f"{path.name} row {i + 1}" for i in range(len(rows)))
        elif path.suffix.lower() in EXTENSIONS:
            samples.append(read_image_sample(predictor, path, shape))
            names.append(path.name)
        else:
            raise PredictError(f"{path}: not an image ({', '.join(sorted(EXTENSIONS))}) "
                               "or a .csv file")
    if not samples:
        raise PredictError("no inputs given")
    return torch.stack(samples), names


def read_named_inputs(predictor: Predictor, pairs) -> tuple[torch.Tensor, list[str]]:
    """`NAME=FILE` for each Input node (several files per name read in turn): the raw batch
    for the first Input, the others fed to `predictor` model-ready (a padding mask as given,
    other inputs normalised as the first), and a name per sample."""
    from netcanvas.backend.catalogue import is_mask_input

    names = predictor.input_names
    files: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise PredictError(f"{pair}: the model has inputs {', '.join(names)}: give "
                               "NAME=FILE for each")
        if name not in names:
            raise PredictError(f"{pair}: the model has no Input named {name!r}; its inputs: "
                               + ", ".join(names))
        files.setdefault(name, []).append(path)
    missing = [n for n in names if n not in files]
    if missing:
        raise PredictError("no file for input " + ", ".join(missing)
                           + ": give NAME=FILE for each of " + ", ".join(names))
    batches = {}
    for name, shape in zip(names, predictor.model.input_shapes):
        batches[name] = read_inputs(predictor, files[name], shape)
    x, labels = batches[names[0]]
    mean, std = predictor._stats()
    others = []
    for name, shape in zip(names[1:], predictor.model.input_shapes[1:]):
        other = batches[name][0]
        if len(other) != len(x):
            raise PredictError(f"input {name} has {len(other)} samples, {names[0]} has {len(x)}")
        if mean is not None and not is_mask_input(name):
            if tuple(shape) != predictor.sample_shape:
                raise PredictError(f"input {name} is normalised on its own and the weights "
                                   "do not record how: predict cannot feed it")
            other = (other - mean) / std
        others.append(other)
    predictor.others, predictor.masks = tuple(others), ()
    return x, labels


def read_image_sample(predictor: Predictor, path: str | os.PathLike,
                      shape=None) -> torch.Tensor:
    """An image file as the dataset pipeline reads one: the model's channels (grey or RGB),
    resized bilinearly to its input size, pixels scaled to [0, 1]."""
    from netcanvas.backend.data import DatasetError

    shape = tuple(shape or predictor.sample_shape)
    if len(shape) != 3:
        raise PredictError(f"{Path(path).name}: the model takes vectors of "
                           f"{_shape(shape)} values, not images")
    channels, h, w = shape
    if channels not in (1, 3):
        raise PredictError(f"the model takes {channels}-channel images; image files give "
                           "1 (grey) or 3 (RGB)")
    try:
        pixels = read_image(Path(path), "L" if channels == 1 else "RGB", (h, w))
    except DatasetError as exc:
        raise PredictError(str(exc)) from None
    x = torch.from_numpy(pixels.astype(np.float32) * np.float32(1 / 255))  # as assemble.py
    return x[None] if x.dim() == 2 else x.permute(2, 0, 1).contiguous()


def read_csv_rows(predictor: Predictor, path: str | os.PathLike,
                  shape=None) -> list[torch.Tensor]:
    """Each data row of a CSV as one raw sample: exactly the model's number of values, or one
    more when a header names the target column (dropped) or the last column is it."""
    path = Path(path)
    shape = tuple(shape or predictor.sample_shape)
    size = math.prod(shape)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [[c.strip() for c in r] for r in csv.reader(f) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PredictError(f"cannot read {path}: {exc}") from None
    header = rows.pop(0) if rows and not all(map(_is_number, rows[0])) else None
    if not rows:
        raise PredictError(f"{path} holds no data rows")
    drop = None
    if len(rows[0]) == size + 1:
        target = predictor.project.dataset.options.get("target") or "target"
        drop = header.index(target) if header and target in header else len(rows[0]) - 1
    samples = []
    for line, row in enumerate(rows, start=2 if header else 1):
        values = [c for i, c in enumerate(row) if i != drop]
        if len(values) != size:
            raise PredictError(f"{path} line {line}: {len(row)} values, the model takes {size}"
                               + (" (plus an optional target column)" if size > 1 else ""))
        for column, cell in enumerate(row, start=1):
            if column - 1 != drop and not _is_finite(cell):
                what = "not a number" if not _is_number(cell) else "not a finite number"
                raise PredictError(f"{path} line {line}, column {column}: {what}: {cell!r}")
        samples.append(torch.tensor([float(c) for c in values]).reshape(shape))
    return samples


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_finite(cell: str) -> bool:
    """A number a model can take: not NaN, not ±inf, not one that overflows (1e999)."""
    return _is_number(cell) and math.isfinite(float(cell))


def top_classes(probs: torch.Tensor, names: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The k most probable classes of one sample, most probable first."""
    values, indices = torch.topk(probs, min(k, len(names)))
    return [(names[int(i)], float(v)) for v, i in zip(values, indices)]


def plane_probabilities(predictor: Predictor, extent: tuple[float, float, float, float],
                        n: int = 100) -> np.ndarray:
    """Class probabilities over an n × n grid of a 2-feature model's raw input plane,
    extent (x0, x1, y0, y1): (n, n, classes), row i at y = y0 + i·(y1 − y0)/(n − 1)."""
    if predictor.sample_shape != (2,):
        raise PredictError(f"the model takes {_shape(predictor.sample_shape)} values, not a "
                           "point of a plane")
    return predictor.probabilities(plane_grid(extent, n)).reshape(n, n, -1).numpy()
