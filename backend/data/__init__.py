"""Datasets: built-in, downloadable and the user's own, as normalised train/val/test tensors."""

from __future__ import annotations

from netcanvas.backend.catalogue import DATASETS, DatasetInfo
from netcanvas.backend.data.augmentation import augment
from netcanvas.backend.data.builtin import load_digits
from netcanvas.backend.data.compat import check_compatible
from netcanvas.backend.data.images import load_image_folder
from netcanvas.backend.data.remote import REMOTES, load_remote
from netcanvas.backend.data.sequences import load_digit_rows, load_recall, load_timeseries
from netcanvas.backend.data.toy import load_linear, load_toy
from netcanvas.backend.data.types import (
    Dataset,
    DatasetError,
    DatasetMismatchError,
    DownloadCancelled,
    Split,
)
from netcanvas.backend.data.user import load_csv, load_npz
from netcanvas.backend.project import DatasetConfig

__all__ = ["DATASETS", "Dataset", "DatasetError", "DatasetInfo", "DatasetMismatchError",
           "DownloadCancelled", "Split", "augment", "check_compatible", "load_dataset"]

_LOCAL = {
    "digits": load_digits, "moons": load_toy, "circles": load_toy, "spirals": load_toy,
    "xor": load_toy, "blobs": load_toy, "linear": load_linear,
    "digit_rows": load_digit_rows, "recall": load_recall, "timeseries": load_timeseries,
    "folder": load_image_folder, "csv": load_csv, "npz": load_npz,
}


def load_dataset(config: DatasetConfig, progress=None, cancel=None) -> Dataset:
    """Load, split and normalise the dataset `config` names.

    progress(done_bytes, total_bytes, message) and cancel() -> bool are used while
    downloading; a cancelled download raises DownloadCancelled (a DatasetError).
    """
    if config.name in REMOTES:
        return load_remote(config, progress, cancel)
    if config.name not in _LOCAL:
        raise DatasetError(f"unknown dataset '{config.name}'; choose one of "
                           f"{', '.join(DATASETS)}")
    if config.name == "folder":  # indexing a large folder reports its progress
        return load_image_folder(config, progress)
    return _LOCAL[config.name](config)
