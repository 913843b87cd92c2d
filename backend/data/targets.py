"""Decide classification vs regression for user targets and encode class labels."""

from __future__ import annotations

import numpy as np
from netcanvas.backend.data.types import DatasetError

MAX_INTEGER_CLASSES = 20  # integer targets with at most this many values are classes

TASKS = ("auto", "classification", "regression")


def encode_targets(values: np.ndarray, task: str, source: str) -> tuple[np.ndarray, list[str] | None]:
    """(y, class_names) — class_names None for regression.

    auto: classification when the targets are not numbers, or are integers with few
    distinct values; regression otherwise. Regression targets get shape (N, k >= 1).
    """
    if task not in TASKS:
        raise DatasetError(f"{source}: task must be one of {', '.join(TASKS)}, got {task!r}")
    numeric = _as_float(values)
    if task == "auto":
        few_ints = (numeric is not None and values.ndim == 1
                    and np.all(np.isfinite(numeric)) and np.all(numeric == np.round(numeric))
                    and np.unique(numeric).size <= MAX_INTEGER_CLASSES)
        task = "classification" if numeric is None or few_ints else "regression"
    if task == "regression":
        if numeric is None:
            raise DatasetError(f"{source}: regression needs numeric targets")
        return (numeric[:, None] if numeric.ndim == 1 else numeric).astype(np.float32), None
    if values.ndim != 1:
        raise DatasetError(f"{source}: class labels must be one per sample, got shape "
                           f"{values.shape}")
    classes, y = np.unique(numeric if numeric is not None else values.astype(str),
                           return_inverse=True)
    if classes.size < 2:
        raise DatasetError(f"{source}: only one class ({classes[0]}) — nothing to classify")
    names = [str(int(c)) if numeric is not None and float(c).is_integer() else str(c)
             for c in classes]
    return y.astype(np.int64), names


def _as_float(values: np.ndarray) -> np.ndarray | None:
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return None
