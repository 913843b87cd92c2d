"""Runs: what one training run trained, how far it got, and where its weights are.

A Run owns the project snapshot it trained (graph + dataset config + settings), its metrics,
its checkpoint folder and its final/best weights. Views and exports take a Run, never "the
last model", so an export always writes the graph whose weights it holds. Runs are kept per
project: `RunStore(project_key(path))` lists the runs of one project and makes new ones.

A run folder holds `run.json` (status, metrics, the data's normalisation and class names),
`project.netcanvas` (the snapshot) and `checkpoint/` (safetensors, see training/checkpoint).
No torch at import time: the app lists runs before torch is loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project, save_project

RUN_JSON = "run.json"
SNAPSHOT = "project.netcanvas"
CHECKPOINT = "checkpoint"
RESUMABLE = ("stopped", "failed", "interrupted")
_SCORES = (("val_accuracy", "val acc"), ("val_r2", "val R²"), ("val_loss", "val loss"),
           ("train_loss", "train loss"))


def data_dir() -> Path:
    """$NETCANVAS_DATA_DIR, else the user data directory (runs, the block library)."""
    env = os.environ.get("NETCANVAS_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("NetCanvas", "NetCanvas"))


def runs_root() -> Path:
    """Where run folders live: <data_dir>/runs."""
    return data_dir() / "runs"


def project_key(path: str | os.PathLike | None) -> str:
    """A folder name per saved project file; a fresh one for an unsaved project (no runs)."""
    if path is None:
        return f"untitled-{uuid.uuid4().hex[:12]}"
    path = Path(path).resolve()
    return f"{path.stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"


def structure(project: Project) -> dict:
    """The graph as it trains: node positions left out (moving a node changes nothing)."""
    return graph_structure(project.graph)


def graph_structure(graph) -> dict:
    """`structure` of a bare graph (the canvas's)."""
    graph = graph.to_dict()
    graph["nodes"] = [{k: v for k, v in n.items() if k != "position"} for n in graph["nodes"]]
    return graph


@dataclass
class DataInfo:
    """What an export needs to know of the data a run trained on."""

    task: str = "classification"
    class_names: list[str] = field(default_factory=list)
    sample_shape: tuple[int, ...] = ()
    mean: list[float] | None = None  # per channel (images) or feature; None: not normalised
    std: list[float] | None = None
    input_scale: float | None = None  # file units -> the loader's (1/255 for pixels); None: unknown

    @classmethod
    def of(cls, dataset) -> DataInfo:
        """Mean and std in the units of the dataset's files (0..255 pixels, say): the loader's
        scaling and the normalisation in one affine map."""
        scale = float(dataset.extra.get("input_scale", 1.0))
        mean, std = dataset.mean, dataset.std
        if mean is None and scale != 1.0:
            channels = dataset.sample_shape[0] if dataset.is_image else dataset.sample_shape[-1]
            mean, std = [0.0] * channels, [1.0] * channels
        elif mean is not None:
            mean, std = mean.flatten().tolist(), std.flatten().tolist()
        if mean is not None:
            mean, std = [m / scale for m in mean], [s / scale for s in std]
        return cls(dataset.task, list(dataset.class_names), tuple(dataset.sample_shape),
                   mean, std, scale)

    def onnx_extras(self, normalize: bool, source: str = "",
                    input_shapes=None) -> tuple[tuple | None, dict]:
        """(normalization, metadata) for `export_onnx`: with `normalize` the file takes raw
        samples; either way its metadata names the class labels, layout and normalisation.
        Nothing is baked into a model none of whose `input_shapes` is the data's sample."""
        fits = input_shapes is None or self.sample_shape in map(tuple, input_shapes)
        baked = normalize and self.mean is not None and fits
        meta = {"class_labels": json.dumps(self.class_names), "task": self.task,
                "input_layout": self.layout,
                "input_shape": "N×" + "×".join(map(str, self.sample_shape)),
                "input_normalization": (
                    "baked in: feed raw values" if baked else
                    "none: feed values as the model trained on them"
                    if self.mean is None or not fits else
                    f"not baked in: feed (x - mean) / std with mean={self.mean} std={self.std}")}
        if source:
            meta["netcanvas_source"] = source
        if not baked:
            return None, meta
        return (self.mean, self.std, self.sample_shape), meta

    @property
    def layout(self) -> str:
        """The input layout, batch first: NCHW for images, NC for feature vectors."""
        return {3: "NCHW", 2: "NCL", 1: "NC"}.get(len(self.sample_shape), "N" + "x" * len(
            self.sample_shape))


@dataclass
class Run:
    number: int
    folder: Path
    project: Project  # the snapshot it trains: never the live document
    status: str = "running"  # running | finished | stopped | failed | interrupted
    history: list[dict[str, float]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    best_epoch: int = 0
    message: str = ""  # why it failed
    data: DataInfo | None = None
    _models: dict[str, Any] = field(default_factory=dict, repr=False)

    # ---- what it is ---------------------------------------------------------------
    @property
    def snapshot(self) -> Project:
        return self.project

    @property
    def checkpoint_dir(self) -> Path:
        return self.folder / CHECKPOINT

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def epochs_planned(self) -> int:
        return self.project.training.epochs

    @property
    def usable(self) -> bool:
        """At least one epoch completed: there are weights worth evaluating and exporting."""
        return self.epochs_done > 0 and (self.checkpoint_dir / "checkpoint.json").is_file()

    @property
    def can_resume(self) -> bool:
        return (self.status in RESUMABLE and self.usable
                and self.epochs_done < self.epochs_planned)

    @property
    def weights_epoch(self) -> int:
        """The epoch whose weights `model()` holds: the best one where tracked."""
        return self.best_epoch or self.epochs_done

    @property
    def label(self) -> str:
        """'run 2, epoch 19 (best), val acc 0.95': which weights an export or a view holds,
        from which epoch (the best one, or the last), and that epoch's validation score."""
        text = f"run {self.number}"
        if not self.weights_epoch:
            return text
        text += f", epoch {self.weights_epoch} ({'best' if self.best_epoch else 'last'})"
        metrics = self.history[self.weights_epoch - 1] if self.weights_epoch <= len(
            self.history) else {}
        for key, name in _SCORES:
            value = metrics.get(key)
            if value is not None and math.isfinite(value):
                return f"{text}, {name} {value:.3g}"
        return text

    @property
    def state(self) -> str:
        """'finished, 60 epochs', 'stopped at epoch 19/60', ..."""
        done, planned = self.epochs_done, self.epochs_planned
        if self.status == "finished":
            early = f" (early stop at {done}/{planned})" if done < planned else ""
            return f"finished, {done} epochs{early}"
        if self.status == "running":
            return f"running, epoch {done}/{planned}"
        verb = {"stopped": "stopped", "failed": "failed", "interrupted": "interrupted"}
        return f"{verb.get(self.status, self.status)} at epoch {done}/{planned}"

    def graph_changed(self, project: Project) -> bool:
        """True when `project`'s graph trains differently from this run's snapshot."""
        return structure(project) != structure(self.project)

    def graph_changed_graph(self, graph) -> bool:
        """`graph_changed` for a bare graph (the canvas's)."""
        return graph_structure(graph) != structure(self.project)

    # ---- its models -------------------------------------------------------------------
    def model(self, which: str = "best"):
        """The snapshot graph compiled with this run's weights, on the CPU, in eval mode:
        "best" (the best epoch's where tracked, else the last) or "last" (the last
        completed epoch's). Cached; the caller must not train it."""
        if which not in ("best", "last"):
            raise ValueError(f"which must be 'best' or 'last', not {which!r}")
        if which not in self._models:
            self._models[which] = self._load_model(which)
        return self._models[which]

    def _load_model(self, which: str):
        from netcanvas.backend.training.checkpoint import load_model

        if not self.usable:
            raise ValueError(f"{self.label} has no completed epoch: nothing to load")
        return load_model(self.project.graph, self.checkpoint_dir, which)

    def adopt(self, model) -> None:
        """Use `model` (a trained CompiledModel of this snapshot) as the best weights."""
        self._models["best"] = model

    # ---- lifecycle ------------------------------------------------------------------
    def ended(self, result) -> None:
        """Record a RunResult: finished, stopped (kept, with its epochs) or failed."""
        self.history = list(result.history)
        self.best_epoch = result.best_epoch
        self.test_metrics = dict(result.test_metrics)
        self._models.clear()
        if result.failed is not None:
            self.status, self.message = "failed", result.failed.message
        elif result.cancelled:
            self.status = "stopped"
        else:
            self.status = "finished"
        if result.model is not None and self.usable:
            self.adopt(result.model)
        self.save()

    def resuming(self) -> None:
        self.status, self.message = "running", ""
        self._models.clear()
        self.save()

    # ---- on disk -------------------------------------------------------------------
    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        save_project(self.project, self.folder / SNAPSHOT)
        doc = {"number": self.number, "status": self.status, "message": self.message,
               "best_epoch": self.best_epoch, "history": _finite(self.history),
               "test_metrics": _finite(self.test_metrics),
               "data": None if self.data is None else _data_dict(self.data)}
        tmp = self.folder / (RUN_JSON + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        os.replace(tmp, self.folder / RUN_JSON)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Run:
        """A run from its folder. One left "running" by a process that is gone is
        "interrupted", with the epochs its last checkpoint holds."""
        folder = Path(folder)
        doc = json.loads((folder / RUN_JSON).read_text())
        run = cls(doc["number"], folder, load_project(folder / SNAPSHOT), doc["status"],
                  doc["history"], doc["test_metrics"], doc["best_epoch"], doc["message"],
                  DataInfo(**{**doc["data"], "sample_shape": tuple(doc["data"]["sample_shape"])})
                  if doc.get("data") else None)
        if run.status == "running":
            run.status = "interrupted"
            run._from_checkpoint()
        return run

    def _from_checkpoint(self) -> None:
        path = self.checkpoint_dir / "checkpoint.json"
        if path.is_file():
            meta = json.loads(path.read_text())
            self.history, self.best_epoch = meta["history"], meta["best_epoch"]


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _data_dict(data: DataInfo) -> dict:
    return {"task": data.task, "class_names": data.class_names,
            "sample_shape": list(data.sample_shape), "mean": data.mean, "std": data.std,
            "input_scale": data.input_scale}


def data_info(project: Project, weights: str | os.PathLike | None = None) -> DataInfo:
    """What a model with `weights` knows of its data: from the run folder the weights come
    from (its run.json), else from loading the project's dataset (a DatasetError when it
    cannot be loaded)."""
    from netcanvas.backend.data import load_dataset

    if weights:
        path = Path(weights).resolve()
        for folder in (path, *path.parents):
            if (folder / RUN_JSON).is_file():
                run = Run.load(folder)
                if run.data is not None:
                    return run.data
                break
    return DataInfo.of(load_dataset(project.dataset))


class RunStore:
    """The runs of one project, in `<root>/<key>/run-NNN/`."""

    def __init__(self, key: str, root: str | os.PathLike | None = None) -> None:
        self.folder = Path(root or runs_root()) / key
        self.runs: list[Run] = []
        if self.folder.is_dir():
            for sub in sorted(self.folder.glob("run-*")):
                try:
                    self.runs.append(Run.load(sub))
                except (OSError, ValueError, KeyError, TypeError):
                    continue  # a half-written or foreign folder: not a run
        self.runs.sort(key=lambda r: r.number)

    def new_run(self, project: Project) -> Run:
        """A run of a deep copy of `project`, saved at once (status "running")."""
        number = max((r.number for r in self.runs), default=0) + 1
        snapshot = project.copy()
        run = Run(number, self.folder / f"run-{number:03d}", snapshot)
        run.save()
        self.runs.append(run)
        return run

    def latest_usable(self) -> Run | None:
        return next((r for r in reversed(self.runs) if r.usable), None)
