"""Seeded 2-D toy classification sets and linear-regression data, generated on the fly."""

from __future__ import annotations

from typing import Any

import numpy as np
from netcanvas.backend.catalogue import option_defaults
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.options import option
from netcanvas.backend.data.types import Dataset
from netcanvas.backend.project import DatasetConfig
from sklearn import datasets as skd

DEFAULTS: dict[str, dict[str, Any]] = {  # declared in backend/catalogue.py
    name: option_defaults(name) for name in ("moons", "circles", "spirals", "xor", "blobs", "linear")}


def _spirals(n: int, noise: float, arms: int, rng: np.random.Generator):
    """`arms` interleaved spiral arms, each turning once around the origin."""
    y = np.arange(n) % arms
    t = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * (t + y / arms)
    x = np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1)
    return x + noise * rng.normal(size=x.shape), y


def _xor(n: int, noise: float, rng: np.random.Generator):
    """Points in [-1, 1]^2 labelled by whether the coordinates' signs differ."""
    x = rng.uniform(-1, 1, (n, 2))
    y = (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64)
    return x + noise * rng.normal(size=x.shape), y


def _classes(name: str, opts: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    d = DEFAULTS[name]
    n = option(opts, "n_samples", d["n_samples"], int, minimum=4)
    noise = option(opts, "noise", d["noise"], float, minimum=0.0)
    rng = np.random.default_rng(seed)
    if name == "moons":
        return skd.make_moons(n, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    if name == "xor":
        return _xor(n, noise, rng)
    k = option(opts, "classes", d["classes"], int, minimum=2)
    if name == "spirals":
        return _spirals(n, noise, k, rng)
    return skd.make_blobs(n, centers=k, cluster_std=max(noise, 1e-6), random_state=seed)


def load_toy(config: DatasetConfig) -> Dataset:
    """moons, circles, spirals, xor or blobs: 2 features, integer classes."""
    seed = option(config.options, "seed", 0, int)
    x, y = _classes(config.name, config.options, seed)
    n_classes = int(y.max()) + 1
    return make_dataset(config.name, x.astype(np.float32), y.astype(np.int64), config,
                        class_names=[str(i) for i in range(n_classes)])


def load_linear(config: DatasetConfig) -> Dataset:
    """y = X w + b + noise; the generating w and b are in `extra` (for the raw, un-normalised X)."""
    d, opts = DEFAULTS["linear"], config.options
    n = option(opts, "n_samples", d["n_samples"], int, minimum=4)
    features = option(opts, "n_features", d["n_features"], int, minimum=1)
    noise = option(opts, "noise", d["noise"], float, minimum=0.0)
    rng = np.random.default_rng(option(opts, "seed", 0, int))
    w = rng.normal(0, 2, features)
    b = float(rng.normal())
    x = rng.normal(0, 1, (n, features))
    y = (x @ w + b + noise * rng.normal(size=n))[:, None]
    return make_dataset("linear", x.astype(np.float32), y.astype(np.float32), config,
                        class_names=None, extra={"w": w.tolist(), "b": b, "noise": noise})
