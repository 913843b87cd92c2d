"""Turn loaded numpy arrays into a Dataset: seeded stratified splits, then normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from netcanvas.backend.data.types import Dataset, DatasetError, Split
from netcanvas.backend.project import DatasetConfig


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic (train, val, test) index arrays with exact sizes.

    With labels, samples are ordered by their relative rank inside their class (after a
    seeded shuffle), so every contiguous chunk — and hence every split — is stratified.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise DatasetError(f"validation ({val_fraction}) and test ({test_fraction}) fractions "
                           "must each be in [0, 1) and leave some data for training")
    order = np.random.default_rng(seed).permutation(n)
    if labels is not None:
        shuffled = labels[order]
        rank = np.empty(n, dtype=np.float64)
        for cls in np.unique(shuffled):
            where = np.flatnonzero(shuffled == cls)
            rank[where] = (np.arange(where.size) + 0.5) / where.size
        order = order[np.argsort(rank, kind="stable")]
    n_test = round(n * test_fraction)
    n_val = round(n * val_fraction)
    if n - n_test - n_val <= 0:
        raise DatasetError(f"{n} samples leave nothing to train on with these split fractions")
    return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]


def _stats_axes(x: torch.Tensor) -> tuple[int, ...]:
    """Per channel for images (N, C, H, W), per feature for vectors (N, F)."""
    return (0,) + tuple(range(2, x.dim()))


def normalization_stats(x: torch.Tensor, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of the training split; constant channels get std 1 to stay finite.

    Two passes over chunks: float32 sums for the mean, float64 for the centred squares
    (a float32 centre loses the variance of a channel whose mean dwarfs its spread);
    accurate without a float64 copy of the whole split, which CIFAR-10 would not afford.
    """
    axes = _stats_axes(x)
    count = x.numel() // x.shape[1]
    total = sum(x[i:i + chunk].sum(dim=axes).double() for i in range(0, len(x), chunk))
    mean = total / count
    shape = (1, -1) + (1,) * (x.dim() - 2)
    centre = mean.reshape(shape)
    squares = sum(((x[i:i + chunk].double() - centre) ** 2).sum(dim=axes)
                  for i in range(0, len(x), chunk))
    std = (squares / count).sqrt()
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return mean.float(), std.float()


def _normalize_(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> None:
    shape = (1, -1) + (1,) * (x.dim() - 2)
    x.sub_(mean.reshape(shape)).div_(std.reshape(shape))


def _split(x: np.ndarray, y: np.ndarray, idx: np.ndarray, classification: bool,
           scale: float) -> Split:
    """Index first, convert after: a uint8 source never exists whole as float32."""
    xs = x[idx].astype(np.float32)
    if scale != 1.0:
        xs *= np.float32(scale)
    ys = torch.from_numpy(np.ascontiguousarray(y[idx]))
    return Split(torch.from_numpy(xs), ys.long() if classification else ys.float())


def make_dataset(name: str, x: np.ndarray, y: np.ndarray, config: DatasetConfig, *,
                 class_names: list[str] | None, test: tuple[np.ndarray, np.ndarray] | None = None,
                 scale: float = 1.0, extra: dict[str, Any] | None = None) -> Dataset:
    """Split (x, y), normalise with the training statistics and wrap it as a Dataset.

    `class_names` None means regression. `test`, when given, is an official test set:
    only the validation split is then carved from (x, y). Samples are multiplied by
    `scale` as they become float32 (e.g. 1/255 for uint8 pixels); `extra["input_scale"]`
    keeps it, so an exported model can take the files' raw values.
    """
    classification = class_names is not None
    if len(x) != len(y):
        raise DatasetError(f"{name}: {len(x)} samples but {len(y)} targets")
    if len(x) == 0:
        raise DatasetError(f"{name}: the dataset is empty")
    seed = int(config.options.get("seed", 0))
    labels = y if classification else None
    test_fraction = 0.0 if test is not None else config.test_fraction
    tr, va, te = split_indices(len(x), config.val_fraction, test_fraction, seed, labels)
    train = _split(x, y, tr, classification, scale)
    val = _split(x, y, va, classification, scale)
    if test is not None:
        test_split = _split(test[0], test[1], np.arange(len(test[0])), classification, scale)
    else:
        test_split = _split(x, y, te, classification, scale)
    mean = std = None
    if config.normalize:
        mean, std = normalization_stats(train.x)
        for s in (train, val, test_split):
            _normalize_(s.x, mean, std)
    y_shape = tuple(y.shape[1:])
    return Dataset(
        name=name, train=train, val=val, test=test_split,
        task="classification" if classification else "regression",
        num_classes=len(class_names) if classification else None,
        class_names=list(class_names) if classification else [],
        sample_shape=tuple(int(d) for d in x.shape[1:]),
        target_shape=() if classification else y_shape,
        mean=mean, std=std, extra=dict(extra or {}, input_scale=scale),
    )
