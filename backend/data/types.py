"""The data types every dataset loader returns, and the errors they raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

Shape = tuple[int, ...]
Progress = Callable[[int, int, str], None]  # (done_bytes, total_bytes, message)
Cancel = Callable[[], bool]  # True once the user wants to stop


class DatasetError(Exception):
    """Missing, unreachable, corrupt or malformed data; the message names files and folders."""


class DatasetMismatchError(DatasetError):
    """The dataset does not fit the model's Input/Output nodes; both shapes are named."""


class DownloadCancelled(DatasetError):
    """The user cancelled a download; nothing half-written is left behind."""


@dataclass(frozen=True)
class TargetInfo:
    """One loaded target: its name (an Output node of that name trains on it), its kind (a
    key of catalogue.TARGET_KINDS), one sample's shape and, for class and mask targets, how
    many classes."""

    name: str
    kind: str
    shape: Shape
    classes: int | None = None


@dataclass
class Split:
    """One split: x float32 (N, *sample_shape); y int64 (N,) or float32 (N, *target_shape).
    A dataset with several inputs or targets holds tuples, in Dataset.inputs / .targets
    order."""

    x: torch.Tensor | tuple[torch.Tensor, ...]
    y: torch.Tensor | tuple[torch.Tensor, ...]

    def __len__(self) -> int:
        return int(_first(self.x).shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Split:
        def move(t):
            if isinstance(t, tuple):
                return tuple(move(u) for u in t)
            return t.to(device, non_blocking=non_blocking)
        return Split(move(self.x), move(self.y))

    def xs(self) -> tuple[torch.Tensor, ...]:
        return self.x if isinstance(self.x, tuple) else (self.x,)

    def ys(self) -> tuple[torch.Tensor, ...]:
        return self.y if isinstance(self.y, tuple) else (self.y,)


def _first(t):
    return t[0] if isinstance(t, (tuple, list)) else t


@dataclass
class Dataset:
    """Train/val/test splits plus what a model needs to know about them.

    `mean`/`std` are the training split's statistics already applied to every split
    (per channel for images, shape (C,); per feature for vectors), or None when the
    config turned normalisation off. `extra` holds loader metadata such as the true
    weights of the generated linear-regression data.
    """

    name: str
    train: Split
    val: Split
    test: Split
    task: Literal["classification", "regression"]  # the first target's: class, else regression
    num_classes: int | None
    class_names: list[str]
    sample_shape: Shape
    target_shape: Shape  # () for class labels
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=lambda: ["x"])  # the inputs' names, in order
    targets: list[TargetInfo] = field(default_factory=list)  # [] = one class/vector target

    def __post_init__(self) -> None:
        if not self.targets:  # a plain dataset: one target, named for its kind
            self.targets = ([TargetInfo("label", "class", (), self.num_classes)]
                            if self.task == "classification"
                            else [TargetInfo("y", "vector", self.target_shape)])

    @property
    def is_image(self) -> bool:
        return len(self.sample_shape) == 3

    @property
    def input_shapes(self) -> list[tuple]:
        """One sample's shape per input, in `inputs` order (a streamed split: sample_shape)."""
        if not hasattr(self.train, "xs"):
            return [tuple(self.sample_shape)]
        return [tuple(x.shape[1:]) for x in self.train.xs()]

    def normalize_input(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the training statistics to new raw samples (N, *sample_shape)."""
        if self.mean is None or self.std is None:
            return x
        shape = (-1,) + (1,) * (len(self.sample_shape) - 1)
        mean = self.mean.to(x.device).reshape(shape)
        std = self.std.to(x.device).reshape(shape)
        return (x - mean) / std

