"""Plain-Python events a Trainer reports through `on_event`; no torch tensors, no Qt.

The GUI worker forwards them through signals and the CLI prints them, so every field
is a number, a string, a list or a dict of those. `RunResult`, what `Trainer.run` returns,
is not an event: it holds the trained model.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Started:
    device: str
    epochs: int
    steps_per_epoch: int
    num_params: int


@dataclass
class Steps:
    """A batch of optimizer steps, read from the device in one sync (at most ~5x a second)."""

    steps: list[int]  # global step numbers, 1-based
    losses: list[float]
    lrs: list[float]
    epoch: int
    samples_per_sec: float
    progress: float  # 0..1 over the whole run


@dataclass
class LayerStats:
    """Per-layer statistics of the steps sampled since the last report (see
    backend/runtime/probes.py), read in the same batched sync as Steps."""

    step: int  # the global step of the report
    epoch: int
    layers: dict[str, dict[str, float]]  # node name -> mean, std, zeros, grad_norm, update_ratio


@dataclass
class EpochEnded:
    epoch: int
    seconds: float
    metrics: dict[str, float]  # train_loss, train_accuracy, val_loss, val_accuracy, lr, ...


@dataclass
class Evaluated:
    split: str
    metrics: dict[str, float]
    confusion: list[list[int]] | None  # rows: true class, columns: predicted class
    per_class_accuracy: list[float] | None


@dataclass
class Cancelled:
    epoch: int
    step: int


@dataclass
class Failed:
    kind: str  # "nan" (also a diverged loss) | "oom" | "shape" | "data" | "checkpoint" | "error"
    message: str
    node: str | None = None
    step: int | None = None


@dataclass
class RunResult:
    model: Any  # CompiledModel, trained, on CPU; None when compilation failed
    history: list[dict[str, float]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    best_epoch: int = 0  # 1-based; 0 when no epoch finished
    device: str = "cpu"
    checkpoint: str | None = None  # path of the last checkpoint's JSON
    failed: Failed | None = None
    cancelled: bool = False
    # With layer statistics on: per epoch {"epoch": n, "layers": {node: {stat: mean}}}
    layers: list[dict] = field(default_factory=list)


@dataclass
class Finished:
    """The run ended normally; its RunResult (with the model) is what `Trainer.run` returns."""

    best_epoch: int
    test_metrics: dict[str, float]


# Every event, declared once: the type below, the multi-process runs' event log
# (backend/training/remote.py) and its tests read this list.
EVENTS = (Started, Steps, LayerStats, EpochEnded, Evaluated, Finished, Cancelled, Failed)
Event = functools.reduce(operator.or_, EVENTS)
