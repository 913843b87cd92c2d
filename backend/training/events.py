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

KEPT, PARTLY, NEW = "kept", "partly", "new"  # what a start from weights did to a node


@dataclass
class Started:
    device: str
    epochs: int
    steps_per_epoch: int
    num_params: int
    trainable_params: int | None = None  # fewer than num_params when nodes are frozen


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


@dataclass
class InitReport:
    """What a start from weights did (backend/training/init_weights.py), per state-dict key;
    emitted before training starts."""

    source: str
    loaded: list[str] = field(default_factory=list)
    partly: list[str] = field(default_factory=list)  # grew: the old part kept
    identity: list[str] = field(default_factory=list)  # new, initialised to the identity
    new: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    unused: list[str] = field(default_factory=list)  # in the source, not in the model
    notes: list[str] = field(default_factory=list)  # normalisation, class labels
    start_metrics: dict[str, float] = field(default_factory=dict)  # validation, before step 1

    def fates(self) -> dict[str, str]:
        """Per node (the key's first part): kept, partly or new."""
        out: dict[str, set[str]] = {}
        for keys, fate in ((self.loaded, KEPT), (self.partly, PARTLY), (self.identity, PARTLY),
                           (self.new, NEW), ([k for k, _ in self.mismatched], NEW)):
            for key in keys:
                out.setdefault(key.split(".")[0], set()).add(fate)
        return {node: next(iter(f)) if len(f) == 1 else PARTLY for node, f in out.items()}

    def lines(self) -> list[str]:
        """The report as a user reads it, one line each."""
        fates = self.fates()
        by = {fate: sorted(n for n, f in fates.items() if f == fate) for fate in (KEPT, PARTLY, NEW)}
        text = [(f"weights from {self.source}: {len(self.loaded)} tensors loaded, "
                 f"{len(self.partly)} kept in part, {len(self.new) + len(self.identity)} new, "
                 f"{len(self.mismatched)} did not fit")]
        for fate, title in ((KEPT, "keep their weights"), (PARTLY, "kept in part"),
                            (NEW, "initialised anew")):
            if by[fate]:
                text.append(f"  {title}: {', '.join(by[fate])}")
        text += [f"  did not fit: {key}: {why}" for key, why in self.mismatched]
        if self.unused:
            text.append(f"  not used (no such node here): {', '.join(self.unused[:8])}"
                        + (f" and {len(self.unused) - 8} more" if len(self.unused) > 8 else ""))
        text += [f"  {note}" for note in self.notes]
        if self.start_metrics:
            text.append("  before training: " + "  ".join(
                f"val_{k} {v:.4g}" for k, v in self.start_metrics.items()))
        return text


# Every event, declared once: the type below, the multi-process runs' event log
# (backend/training/remote.py) and its tests read this list.
EVENTS = (Started, Steps, LayerStats, EpochEnded, Evaluated, Finished, Cancelled, Failed,
          InitReport)
Event = functools.reduce(operator.or_, EVENTS)
