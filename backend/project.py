"""A project: the graph plus the dataset choice and training settings saved with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graph import Graph


@dataclass
class DatasetConfig:
    # Built-ins: digits (default), moons, circles, spirals, xor, blobs, linear;
    # downloadable: mnist, fashion_mnist, cifar10; the user's own: folder, csv, npz.
    name: str = "digits"
    path: str | None = None  # folder / csv / npz file
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"n_samples": 1000, "noise": 0.2}
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    normalize: bool = True  # per-channel mean/std of the training split
    augment_crop_padding: int = 0  # random crop after zero padding, images only (0 = off)
    augment_flip: bool = False  # random horizontal flip, images only


@dataclass
class TrainingSettings:
    optimizer: str = "adam"  # sgd, rmsprop, adagrad, adadelta, adam, adamw
    lr: float = 1e-3
    momentum: float = 0.9  # SGD and RMSprop
    nesterov: bool = False  # SGD
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)  # Adam, AdamW
    alpha: float = 0.99  # RMSprop smoothing
    rho: float = 0.9  # Adadelta
    epochs: int = 10
    batch_size: int = 64
    seed: int = 0
    schedule: str = "none"  # none, step, cosine, onecycle, plateau
    step_size: int = 10  # step schedule: epochs between decays
    gamma: float = 0.1  # step/plateau decay factor
    plateau_patience: int = 2  # plateau schedule: epochs without improvement before a decay
    warmup_epochs: int = 0  # linear warm-up before the schedule
    grad_clip: float = 0.0  # max gradient norm (0 = off)
    early_stopping_patience: int = 0  # epochs without improvement (0 = off)
    monitor: str = "val_loss"  # val_loss or val_accuracy; also picks the best epoch
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    precision: str = "fp32"  # fp32, bf16, fp16 (CUDA only)
    channels_last: bool = False  # CUDA only


@dataclass
class Project:
    graph: Graph = field(default_factory=Graph)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    description: str = ""
