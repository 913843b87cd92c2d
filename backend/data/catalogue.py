"""The catalogue of datasets the UI offers, with each one's options and defaults."""

from __future__ import annotations

from .toy import DEFAULTS
from .types import DatasetInfo

_SEED = {"seed": 0}

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("digits", "Digits (8x8)", "builtin",
                "1,797 handwritten digits, grey 8x8 images, 10 classes. Ships with "
                "scikit-learn: no download. The default.", dict(_SEED)),
    DatasetInfo("moons", "Two moons", "builtin",
                "Two interleaving half circles in the plane; 2 classes.",
                DEFAULTS["moons"] | _SEED),
    DatasetInfo("circles", "Circles", "builtin",
                "A small circle inside a large one; 2 classes.", DEFAULTS["circles"] | _SEED),
    DatasetInfo("spirals", "Spirals", "builtin",
                "`classes` interleaved spiral arms; hard for a linear model.",
                DEFAULTS["spirals"] | _SEED),
    DatasetInfo("xor", "XOR", "builtin",
                "Points in a square labelled by whether their coordinates' signs differ.",
                DEFAULTS["xor"] | _SEED),
    DatasetInfo("blobs", "Gaussian blobs", "builtin",
                "`classes` Gaussian clusters; `noise` is their standard deviation.",
                DEFAULTS["blobs"] | _SEED),
    DatasetInfo("linear", "Linear regression", "builtin",
                "y = Xw + b + noise with `n_features` features; the true w and b are kept "
                "to compare with what the model learns.", DEFAULTS["linear"] | _SEED),
    DatasetInfo("mnist", "MNIST", "download",
                "70,000 handwritten digits, grey 28x28, 10 classes (about 11 MB download).",
                dict(_SEED)),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "download",
                "70,000 grey 28x28 pictures of clothing, 10 classes (about 30 MB download).",
                dict(_SEED)),
    DatasetInfo("cifar10", "CIFAR-10", "download",
                "60,000 colour 32x32 photos, 10 classes (about 163 MB download).", dict(_SEED)),
    DatasetInfo("folder", "Image folder", "user",
                "Your images (PNG/JPEG), one subfolder per class. Options: `size`, `channels`.",
                {"size": None, "channels": None} | _SEED),
    DatasetInfo("csv", "CSV file", "user",
                "Numeric feature columns and a `target` column; `task` auto, classification "
                "or regression.", {"target": "target", "task": "auto"} | _SEED),
    DatasetInfo("npz", "NumPy .npz", "user",
                "Arrays X (samples first) and y; `task` auto, classification or regression.",
                {"task": "auto"} | _SEED),
)}
