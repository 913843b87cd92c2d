"""The evaluation view's payload for typed targets (torch-free, so the app can name it before
torch is imported): pictures of the test split's worst samples, built by task_views.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TaskSamples:
    """Pictures (uint8 RGB), their captions (worst first) and a note: the score over the
    test split, per class for masks."""

    images: list[np.ndarray]
    captions: list[str]
    note: str
