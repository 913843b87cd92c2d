"""The catalogue of datasets the UI offers, with each one's options and defaults.

Plain data (titles and descriptions in resources/datasets.toml), importing neither torch
nor scikit-learn: the app lists the datasets the moment
it starts, while the loaders (backend/data/) are imported off the GUI thread.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
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


_TABLE = (resources.files("netcanvas.resources") / "datasets.toml").read_text("utf-8")
DATASETS: dict[str, DatasetInfo] = {
    name: DatasetInfo(name, entry["title"], entry["kind"], entry["doc"])
    for name, entry in tomllib.loads(_TABLE).items()}
assert tuple(DATASETS) == DATASET[0].choices, "the catalogue lists the declared datasets"

# One sample's shape, known without loading (user data: only once loaded).
SAMPLE_SHAPES: dict[str, tuple[int, ...]] = {
    "digits": (1, 8, 8), "moons": (2,), "circles": (2,), "spirals": (2,), "xor": (2,),
    "blobs": (2,), "digit_rows": (8, 8), "mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32),
}


def sample_shape(name: str, options: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape of one sample of dataset `name` with these options, or None if unknown."""
    if name == "linear":
        return (int(options.get("n_features", option_defaults("linear")["n_features"])),)
    return SAMPLE_SHAPES.get(name)
