"""Assemble a dataset with named inputs and typed, named targets (masks, boxes, flow, images).

The same seeded split as plain datasets (stratified by the first class target, if any);
every input is normalised with the first input's per-channel training statistics when the
channels agree (two frames of one video share them), else with its own. A padding mask (an
input named `mask` or `<name>_mask`: 1 at real steps, 0 at padding) is never normalised and
must hold only 0 and 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from netcanvas.backend.catalogue import is_mask_input
from netcanvas.backend.data.assemble import _normalize_, normalization_stats, split_indices
from netcanvas.backend.data.types import Dataset, DatasetError, Split, TargetInfo
from netcanvas.backend.project import DatasetConfig

INTEGER_KINDS = ("class", "mask")


def check_target(name: str, kind: str, y: np.ndarray, n: int, source: str,
                 image_hw: tuple[int, int] | None) -> TargetInfo:
    """The TargetInfo of array `y`, or DatasetError naming the source and the target."""
    where = f"{source}: target '{name}' ({kind})"
    if len(y) != n:
        raise DatasetError(f"{where} has {len(y)} samples, the inputs have {n}")
    shape = tuple(int(d) for d in y.shape[1:])
    classes = None
    if kind in INTEGER_KINDS:
        if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
            raise DatasetError(f"{where} must hold whole class numbers")
        if y.min(initial=0) < 0:
            raise DatasetError(f"{where} has a negative class {int(y.min())}")
        classes = max(int(y.max(initial=0)) + 1, 2)
    expected = {"class": 0, "mask": 2, "boxes": 1, "flow": 3, "image": 3}.get(kind)
    if expected is not None and len(shape) != expected:
        raise DatasetError(f"{where} must be {TARGET_LAYOUT[kind]} per sample, got shape "
                           f"{shape}")
    if kind == "boxes":
        if shape != (4,):
            raise DatasetError(f"{where} must be (x0, y0, x1, y1) per sample, got shape {shape}")
        bad = np.flatnonzero((y < 0).any(1) | (y > 1).any(1) | (y[:, 2] <= y[:, 0])
                             | (y[:, 3] <= y[:, 1]))
        if bad.size:
            raise DatasetError(f"{where}: sample {bad[0]}'s box {y[bad[0]].tolist()} is outside "
                               "the image or empty (fractions 0 to 1, x0 < x1, y0 < y1)")
    if kind == "flow" and shape[0] != 2:
        raise DatasetError(f"{where} must have 2 channels (dx, dy), got {shape[0]}")
    if image_hw is not None and kind in ("mask", "flow", "image") and shape[-2:] != image_hw:
        raise DatasetError(f"{where} is {shape[-2]}x{shape[-1]} but the images are "
                           f"{image_hw[0]}x{image_hw[1]}")
    return TargetInfo(name, kind, shape, classes)


def check_mask(name: str, mask: np.ndarray, source: str) -> None:
    """DatasetError naming the input unless `mask` is (N, T) of 0s and 1s."""
    where = f"{source}: input '{name}' is a padding mask (named so)"
    if mask.ndim != 2:
        raise DatasetError(f"{where} and must be (N, T), one 0 or 1 per step; got shape "
                           f"{mask.shape}")
    odd = mask[(mask != 0) & (mask != 1)]
    if odd.size:
        raise DatasetError(f"{where} and must hold only 1 (a real step) and 0 (padding); "
                           f"found {odd.flat[0]:g}")


TARGET_LAYOUT = {"class": "one class number", "mask": "(H, W)", "boxes": "(4,)",
                 "flow": "(2, H, W)", "image": "(C, H, W)"}


def make_task_dataset(name: str, inputs: dict[str, np.ndarray],
                      targets: list[tuple[str, str, np.ndarray]], config: DatasetConfig, *,
                      scale: float = 1.0, class_names: list[str] | None = None,
                      extra: dict[str, Any] | None = None, source: str | None = None) -> Dataset:
    """Split, normalise and wrap named inputs (N, ...) and targets (name, kind, array).

    Inputs are multiplied by `scale` as they become float32; targets are kept as given
    (class and mask targets int64, the others float32)."""
    source = source or name
    if not inputs:
        raise DatasetError(f"{source}: no inputs")
    arrays = [np.asarray(a) for a in inputs.values()]
    n = len(arrays[0])
    if n == 0:
        raise DatasetError(f"{source}: the dataset is empty")
    for key, a in zip(inputs, arrays):
        if len(a) != n:
            raise DatasetError(f"{source}: input '{key}' has {len(a)} samples, "
                               f"'{next(iter(inputs))}' has {n}")
        if is_mask_input(key):
            check_mask(key, a, source)
    hw = tuple(arrays[0].shape[-2:]) if arrays[0].ndim == 4 else None
    infos = [check_target(t, kind, np.asarray(y), n, source, hw) for t, kind, y in targets]
    if not infos:
        raise DatasetError(f"{source}: no targets")
    labels = next((np.asarray(y) for (_, kind, y) in targets if kind == "class"), None)
    seed = int(config.options.get("seed", 0))
    tr, va, te = split_indices(n, config.val_fraction, config.test_fraction, seed, labels)

    def split(idx: np.ndarray) -> Split:
        xs = tuple(torch.from_numpy(np.ascontiguousarray(a[idx], dtype=np.float32)
                                    * np.float32(scale)) for a in arrays)
        ys = tuple(torch.from_numpy(np.ascontiguousarray(
            np.asarray(y)[idx], dtype=np.int64 if info.kind in INTEGER_KINDS else np.float32))
            for info, (_, _, y) in zip(infos, targets))
        return Split(xs if len(xs) > 1 else xs[0], ys if len(ys) > 1 else ys[0])

    train, val, test = split(tr), split(va), split(te)
    mean = std = None
    values = [not is_mask_input(key) for key in inputs]  # the inputs normalised
    if config.normalize and any(values):
        first = next(x for x, v in zip(train.xs(), values) if v)
        stats = [normalization_stats(x) if x.shape[1:2] != first.shape[1:2] else None
                 for x in train.xs()]
        mean, std = normalization_stats(first)
        for s in (train, val, test):
            for x, own, value in zip(s.xs(), stats, values):
                if value:
                    _normalize_(x, *(own or (mean, std)))
    primary = infos[0]
    return Dataset(
        name=name, train=train, val=val, test=test,
        task="classification" if primary.kind == "class" else "regression",
        num_classes=primary.classes if primary.kind == "class" else None,
        class_names=(list(class_names or map(str, range(primary.classes)))
                     if primary.kind == "class" else []),
        sample_shape=tuple(int(d) for d in arrays[0].shape[1:]),
        target_shape=primary.shape, mean=mean, std=std,
        extra=dict(extra or {}, input_scale=scale), inputs=list(inputs), targets=infos)
