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


@dataclass
class Split:
    """One split: x float32 (N, *sample_shape); y int64 (N,) or float32 (N, *target_shape)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Split:
        return Split(self.x.to(device, non_blocking=non_blocking),
                     self.y.to(device, non_blocking=non_blocking))


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
    task: Literal["classification", "regression"]
    num_classes: int | None
    class_names: list[str]
    sample_shape: Shape
    target_shape: Shape  # () for class labels
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return len(self.sample_shape) == 3

    def normalize_input(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the training statistics to new raw samples (N, *sample_shape)."""
        if self.mean is None or self.std is None:
            return x
        shape = (-1,) + (1,) * (len(self.sample_shape) - 1)
        mean = self.mean.to(x.device).reshape(shape)
        std = self.std.to(x.device).reshape(shape)
        return (x - mean) / std


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of the catalogue the UI lists."""

    name: str
    title: str
    kind: Literal["builtin", "download", "user"]
    doc: str

    @property
    def options(self) -> dict[str, Any]:
        """Option name -> default, from the declarations in backend/settings.py."""
        from ..settings import option_defaults

        return option_defaults(self.name)
