"""What the data tab shows before training: samples of any split (streamed or in memory),
one training sample augmented many times, and the samples/s the input pipeline reaches."""

from __future__ import annotations

import time

import torch
from netcanvas.backend.data.augmentation import augmenter
from netcanvas.backend.data.types import Dataset
from netcanvas.backend.project import DatasetConfig

CPU = torch.device("cpu")


def first_samples(split, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's first n samples (normalised as training sees them) and their targets."""
    n = min(n, len(split))
    if hasattr(split, "device_split"):
        (x,), y = split.device_split(None, CPU).batch(torch.arange(n))
        return x, y
    return split.x[:n], split.y[:n]


def augmented_copies(dataset: Dataset, config: DatasetConfig, count: int = 16,
                     seed: int = 0) -> torch.Tensor | None:
    """The first training image augmented `count` times with the config's augmentations
    (mixing aside: it needs a second image), or None when none is on or it is no image."""
    apply = augmenter(config, dataset.mean, dataset.std) if dataset.is_image else None
    if apply is None or not len(dataset.train):
        return None
    x, _ = first_samples(dataset.train, 1)
    return apply(x.repeat(count, 1, 1, 1), torch.Generator().manual_seed(seed))


def pipeline_rate(dataset: Dataset, batch_size: int = 128, batches: int = 5) -> float:
    """Samples/s the training split's batches arrive at on the CPU (decoding included for a
    streamed folder), for comparing with the model's speed during training. Timed from the
    first batch on: starting the decoding workers is paid once per run, not per batch."""
    from netcanvas.backend.runtime.batches import device_split

    split = device_split(dataset.train, dataset.input_shapes, CPU)
    n = min(len(dataset.train), batch_size * batches)
    if n == 0:
        return 0.0
    order = [torch.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if hasattr(split, "plan"):
        split.plan(order)
    start, counted = time.perf_counter(), n
    for k, idx in enumerate(order):
        split.batch(idx)
        if k == 0 and len(order) > 1:
            start, counted = time.perf_counter(), n - len(idx)
    return counted / max(time.perf_counter() - start, 1e-9)


def load_for_preview(config: DatasetConfig, progress=None, cancel=None) -> Dataset:
    """load_dataset, then the pipeline's samples/s in `extra["pipeline_samples_per_sec"]`."""
    from netcanvas.backend.data import load_dataset

    dataset = load_dataset(config, progress, cancel)
    dataset.extra["pipeline_samples_per_sec"] = pipeline_rate(dataset)
    return dataset
