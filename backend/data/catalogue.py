"""The catalogue of datasets the UI offers, with each one's options and defaults."""

from __future__ import annotations

from ..settings import DATASET
from .types import DatasetInfo

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("digits", "Digits (8x8)", "builtin",
                "1,797 handwritten digits, grey 8x8 images, 10 classes. Ships with "
                "scikit-learn: no download. The default."),
    DatasetInfo("moons", "Two moons", "builtin",
                "Two interleaving half circles in the plane; 2 classes."),
    DatasetInfo("circles", "Circles", "builtin",
                "A small circle inside a large one; 2 classes."),
    DatasetInfo("spirals", "Spirals", "builtin",
                "`classes` interleaved spiral arms; hard for a linear model."),
    DatasetInfo("xor", "XOR", "builtin",
                "Points in a square labelled by whether their coordinates' signs differ."),
    DatasetInfo("blobs", "Gaussian blobs", "builtin",
                "`classes` Gaussian clusters; `noise` is their standard deviation."),
    DatasetInfo("linear", "Linear regression", "builtin",
                "y = Xw + b + noise with `n_features` features; the true w and b are kept "
                "to compare with what the model learns."),
    DatasetInfo("mnist", "MNIST", "download",
                "70,000 handwritten digits, grey 28x28, 10 classes (about 11 MB download)."),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "download",
                "70,000 grey 28x28 pictures of clothing, 10 classes (about 30 MB download)."),
    DatasetInfo("cifar10", "CIFAR-10", "download",
                "60,000 colour 32x32 photos, 10 classes (about 163 MB download)."),
    DatasetInfo("folder", "Image folder", "user",
                "Your images (PNG/JPEG), one subfolder per class. Options: `size`, `channels`."),
    DatasetInfo("csv", "CSV file", "user",
                "Numeric feature columns and a `target` column; `task` auto, classification "
                "or regression."),
    DatasetInfo("npz", "NumPy .npz", "user",
                "Arrays X (samples first) and y; `task` auto, classification or regression."),
)}
assert tuple(DATASETS) == DATASET[0].choices, "the catalogue lists the declared datasets"
