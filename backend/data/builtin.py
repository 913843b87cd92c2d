"""The default dataset: scikit-learn's 8x8 handwritten digits, shipped with the package."""

from __future__ import annotations

import numpy as np
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.types import Dataset
from netcanvas.backend.project import DatasetConfig
from sklearn.datasets import load_digits as _sk_digits


def load_digits(config: DatasetConfig) -> Dataset:
    """1797 grey 1x8x8 images, pixel values 0..16 scaled to 0..1, 10 classes."""
    bunch = _sk_digits()
    x = bunch.images[:, None, :, :]
    y = bunch.target.astype(np.int64)
    return make_dataset("digits", x, y, config, class_names=[str(i) for i in range(10)],
                        scale=1 / 16)
