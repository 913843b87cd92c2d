"""An image folder as a Dataset whose splits stream from disk (option `stream`)."""

from __future__ import annotations

from pathlib import Path

import torch
from netcanvas.backend.data.assemble import split_indices
from netcanvas.backend.data.options import option
from netcanvas.backend.data.stream import (
    FolderBatches,
    StreamSplit,
    build_index,
    channel_stats,
)
from netcanvas.backend.data.stream_workers import Feeder, default_workers
from netcanvas.backend.data.types import Dataset, DatasetError, Progress
from netcanvas.backend.project import DatasetConfig

_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def _first_image(index, limit: int = 32) -> tuple[str, tuple[int, int]]:
    """The mode ("L"/"RGB") and (height, width) of the first readable image."""
    from PIL import Image

    for rel in index.files[:limit]:
        try:
            with Image.open(index.folder / rel) as img:
                return ("L" if img.mode in _GREY_MODES else "RGB"), (img.height, img.width)
        except (OSError, ValueError):
            continue
    raise DatasetError(f"none of the first {limit} images of {index.folder} can be read")


def load_streamed_folder(config: DatasetConfig, folder: Path, extensions: set[str],
                         size: tuple[int, int] | None, mode: str | None,
                         progress: Progress | None = None) -> Dataset:
    """Options `workers` (decoding processes, 0 = in this one; unset = one per spare core)
    and `cache` (keep decoded images in the user cache folder for later epochs and runs)."""
    index = build_index(folder, extensions, progress)
    if size is None or mode is None:
        first_mode, first_size = _first_image(index)
        size, mode = size or first_size, mode or first_mode
    source = FolderBatches(index, mode, size, cache=bool(config.options.get("cache", False)))
    workers = (default_workers() if config.options.get("workers") is None
               else option(config.options, "workers", 0, int, minimum=0))
    seed = int(config.options.get("seed", 0))
    parts = split_indices(len(index.files), config.val_fraction, config.test_fraction, seed,
                          index.labels)
    mean = std = None
    if config.normalize:
        mean, std = channel_stats(source, parts[0], seed)
    bad: set[int] = set()
    feeder = Feeder(source, workers)
    train, val, test = (StreamSplit(source, numbers, torch.from_numpy(index.labels[numbers]),
                                    feeder, mean, std, bad=bad)
                        for numbers in parts)
    return Dataset(name=folder.name, train=train, val=val, test=test, task="classification",
                   num_classes=len(index.classes), class_names=list(index.classes),
                   sample_shape=source.shape, target_shape=(), mean=mean, std=std,
                   extra={"input_scale": 1 / 255, "streamed": True,
                          "index_reused": index.reused})
