"""Datasets: built-in, downloadable and the user's own, as normalised train/val/test tensors."""

from __future__ import annotations

from importlib import import_module

from netcanvas.backend.catalogue import DATASETS, DatasetInfo
from netcanvas.backend.data.augmentation import augment
from netcanvas.backend.data.compat import check_compatible
from netcanvas.backend.data.types import (
    Dataset,
    DatasetError,
    DatasetMismatchError,
    DownloadCancelled,
    Split,
)
from netcanvas.backend.project import DatasetConfig

__all__ = ["DATASETS", "Dataset", "DatasetError", "DatasetInfo", "DatasetMismatchError",
           "DownloadCancelled", "Split", "augment", "check_compatible", "load_dataset"]


def load_dataset(config: DatasetConfig, progress=None, cancel=None) -> Dataset:
    """Load, split and normalise the dataset `config` names.

    progress(done_bytes, total_bytes, message) and cancel() -> bool are used while
    downloading; a cancelled download raises DownloadCancelled (a DatasetError).
    """
    spec = DATASETS.get(config.name)
    if spec is None:
        raise DatasetError(f"unknown dataset '{config.name}'; choose one of "
                           f"{', '.join(DATASETS)}")
    module, function = spec.loader.split(":")
    loader = getattr(import_module(f"netcanvas.backend.data.{module}"), function)
    if spec.kind == "download":
        return loader(config, progress, cancel)
    if config.name == "folder":  # indexing a large folder reports its progress
        return loader(config, progress)
    return loader(config)
