"""Bundled, offline sequence datasets (batch-first samples (T, F) or token ids (T,)):

- `digit_rows`: the 8x8 digits read as sequences of 8 rows of 8 pixels.
- `recall`: a synthetic task attention solves and an MLP does not: does the first token
  (the query) occur again in the rest of the sequence? Lengths vary; shorter sequences
  are padded with token 0, and the input `mask` (1 at real steps, 0 at padding) says
  which steps are real, for MultiheadAttention's key_mask and SequencePool's mask.
- `timeseries`: forecasting from a CSV of signals (the bundled noisy periodic signals, or
  the user's own file): each sample is a `window` of rows, the target the next `horizon`
  values of one column; the last rows in time are the test split.
"""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources
from pathlib import Path

import numpy as np
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.options import option
from netcanvas.backend.data.tasks import make_task_dataset
from netcanvas.backend.data.types import Dataset, DatasetError
from netcanvas.backend.project import DatasetConfig
from sklearn.datasets import load_digits as _sk_digits

PAD = 0  # the padding token of `recall`; symbols are 1 .. vocabulary
SIGNALS = "signals.csv"  # the bundled forecasting data, in netcanvas.resources/data


def load_digit_rows(config: DatasetConfig) -> Dataset:
    """1797 digits as (8 steps, 8 pixels), pixel values scaled to 0..1, 10 classes."""
    bunch = _sk_digits()
    return make_dataset("digit_rows", bunch.images, bunch.target.astype(np.int64), config,
                        class_names=[str(i) for i in range(10)], scale=1 / 16)


def recall_samples(n: int, length: int, vocabulary: int, seed: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens (n, length), labels (n,), lengths (n,)): a query token, then 2 .. length-1
    symbols, then padding. Half the samples contain the query again (label 1)."""
    rng = np.random.default_rng(seed)
    tokens = np.full((n, length), PAD, dtype=np.int64)
    labels = rng.integers(0, 2, n)
    lengths = rng.integers(max(3, length // 2), length + 1, n)
    for i in range(n):
        query = rng.integers(1, vocabulary + 1)
        others = np.setdiff1d(np.arange(1, vocabulary + 1), [query])
        body = rng.choice(others, lengths[i] - 1)
        if labels[i]:
            body[rng.integers(0, len(body))] = query
        tokens[i, 0], tokens[i, 1:lengths[i]] = query, body
    return tokens, labels, lengths


def load_recall(config: DatasetConfig) -> Dataset:
    """Inputs `tokens` (token ids as numbers, never normalised: an Embedding reads them) and
    `mask`; 2 classes."""
    opts = config.options
    length = option(opts, "length", 12, int, minimum=3)
    vocabulary = option(opts, "vocabulary", 16, int, minimum=2)
    n = option(opts, "n_samples", 6000, int, minimum=10)
    tokens, labels, lengths = recall_samples(n, length, vocabulary, option(opts, "seed", 0, int))
    mask = np.arange(length)[None, :] < lengths[:, None]
    return make_task_dataset("recall", {"tokens": tokens, "mask": mask},
                             [("label", "class", labels)],
                             dataclasses.replace(config, normalize=False),
                             class_names=["absent", "present"],
                             extra={"vocabulary": vocabulary + 1, "pad": PAD,
                                    "mean_length": float(lengths.mean())})


def read_signals(path: Path) -> tuple[list[str], np.ndarray]:
    """The header and the numeric rows of a CSV of signals, one column per signal."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
        header = [h.strip() for h in rows[0]]
        values = np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float32)
    except (OSError, UnicodeDecodeError, csv.Error, IndexError) as e:
        raise DatasetError(f"cannot read {path}: {e}") from None
    except ValueError as e:
        raise DatasetError(f"{path}: every value must be a number ({e})") from None
    if values.ndim != 2 or values.shape[1] != len(header):
        raise DatasetError(f"{path}: every row needs {len(header)} values, one per column")
    return header, values


def load_timeseries(config: DatasetConfig) -> Dataset:
    """Options: window, horizon, target (a column name; default the first). Every column
    is standardised with the training rows' mean and std (kept in `extra`), inputs and
    targets alike; `extra["repeat_last_mse"]` is the test MSE of repeating the last value."""
    opts = config.options
    path = Path(config.path).expanduser() if config.path else \
        Path(str(resources.files("netcanvas.resources") / "data" / SIGNALS))
    header, values = read_signals(path)
    window = option(opts, "window", 32, int, minimum=1)
    horizon = option(opts, "horizon", 1, int, minimum=1)
    target = opts.get("target") or header[0]
    if target not in header:
        raise DatasetError(f"{path} has no column '{target}'; columns: {', '.join(header)}")
    column = header.index(target)
    count = len(values) - window - horizon + 1
    if count < 10:
        raise DatasetError(f"{path}: {len(values)} rows make only {max(count, 0)} windows of "
                           f"{window} + {horizon}; use a shorter window or more rows")
    split = count - round(count * config.test_fraction)  # the last windows are the test
    train_rows = values[:split + window - 1]
    mean, std = train_rows.mean(axis=0), train_rows.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0).astype(np.float32)
    scaled = (values - mean) / std
    starts = np.arange(count)
    x = np.stack([scaled[s:s + window] for s in starts])
    y = np.stack([scaled[s + window:s + window + horizon, column] for s in starts])
    last = x[split:, -1, column][:, None]
    repeat_last = float(((y[split:] - last) ** 2).mean())
    fit = dataclasses.replace(config, normalize=False,
                              test_fraction=0.0)  # the test split is given below
    return make_dataset("timeseries", x[:split], y[:split], fit, class_names=None,
                        test=(x[split:], y[split:]),
                        extra={"columns": header, "target": target, "mean": mean.tolist(),
                               "std": std.tolist(), "repeat_last_mse": repeat_last})


def make_signals(rows: int = 2000, seed: int = 0) -> np.ndarray:
    """Three noisy periodic signals (rows, 3): a sine, a sum of two sines, a sawtooth."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    columns = [np.sin(2 * np.pi * t / 50),
               0.6 * np.sin(2 * np.pi * t / 23) + 0.4 * np.sin(2 * np.pi * t / 71 + 1.0),
               2 * ((t / 37) % 1.0) - 1]
    return np.stack(columns, axis=1) + 0.1 * rng.normal(size=(rows, 3))


def write_signals(path: Path) -> None:
    values = make_signals()
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sine", "two_sines", "sawtooth"])
        writer.writerows([[f"{v:.4f}" for v in row] for row in values])


if __name__ == "__main__":  # regenerate the bundled file
    write_signals(Path(__file__).resolve().parents[2] / "resources" / "data" / SIGNALS)
