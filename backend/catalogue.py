"""The catalogue of datasets the UI offers, with each one's options and defaults.

Plain data, importing neither torch nor scikit-learn: the app lists the datasets the moment
it starts, while the loaders (backend/data/) are imported off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from netcanvas.backend.settings import DATASET, option_defaults


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
        return option_defaults(self.name)


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

# One sample's shape, known without loading (user data: only once loaded).
SAMPLE_SHAPES: dict[str, tuple[int, ...]] = {
    "digits": (1, 8, 8), "moons": (2,), "circles": (2,), "spirals": (2,), "xor": (2,),
    "blobs": (2,), "mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32),
}


def sample_shape(name: str, options: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape of one sample of dataset `name` with these options, or None if unknown."""
    if name == "linear":
        return (int(options.get("n_features", option_defaults("linear")["n_features"])),)
    return SAMPLE_SHAPES.get(name)
