"""The course's problems as small seeded datasets made from 8x8 digits: scikit-learn's, or
(option `source` mnist) the first 1,797 MNIST training digits from the data cache, averaged
down to 8x8 as scikit-learn's were made from 32x32 NIST bitmaps.

digit_masks (segmentation), find_digit (localisation), moving_digits (optical flow),
colourise and denoise (image to image). Each sample comes from one digit (`copies` per digit,
each placed anew); the same seed gives the same arrays, bit for bit. Pure numpy + scipy.
"""

from __future__ import annotations

import numpy as np
from netcanvas.backend.catalogue import option_defaults
from netcanvas.backend.data.tasks import make_task_dataset
from netcanvas.backend.data.types import Dataset, DatasetError
from netcanvas.backend.project import DatasetConfig
from scipy import ndimage

MASK_LEVEL = 0.25  # a digit pixel at least this bright (4 of 16 grey levels) is in the mask
# One colour per digit class (colourise): ten well separated hues.
COLOURS = np.array([[1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.3, 0.4, 1.0], [1.0, 1.0, 0.2],
                    [1.0, 0.3, 1.0], [0.2, 1.0, 1.0], [1.0, 0.6, 0.1], [0.6, 0.3, 1.0],
                    [0.6, 1.0, 0.5], [1.0, 1.0, 1.0]], dtype=np.float32)


DIGITS = 1797  # source digits, whichever the source
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


def digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) in [0, 1], labels (1797,))."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.images / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The first 1,797 MNIST training digits as (images (N, 8, 8) in [0, 1], labels): each
    28x28 digit padded to 32x32 and averaged over 4x4 blocks. MNIST must be in the data cache
    (checked against its checksums); this never downloads."""
    from netcanvas.backend.data import download
    from netcanvas.backend.data.idx import read_idx
    from netcanvas.backend.data.remote import REMOTES

    folder = download.data_dir() / "mnist"
    missing = [f for f in MNIST_FILES if not (folder / f).exists()]
    if missing:
        raise DatasetError(f"option source: MNIST is not downloaded ({', '.join(missing)} not "
                           f"in {folder}); load the MNIST dataset once, or choose source digits")
    for f in MNIST_FILES:
        download.verify(folder / f, REMOTES["mnist"].files[f])
    images, labels = (read_idx(folder / f)[:DIGITS] for f in MNIST_FILES)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DatasetError(f"{folder / MNIST_FILES[0]}: {images.shape} is not 28x28 digits "
                           f"with one label each")
    padded = np.pad(images.astype(np.float32) / 255.0, ((0, 0), (2, 2), (2, 2)))
    small = padded.reshape(len(padded), 8, 4, 8, 4).mean(axis=(2, 4))
    return small.astype(np.float32), labels.astype(np.int64)


def _options(config: DatasetConfig) -> dict:
    return {**option_defaults(config.name), **config.options}


def _sources(opts: dict) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    images, labels = mnist_digits() if opts.get("source") == "mnist" else digits()
    copies = int(opts["copies"])
    return (np.concatenate([images] * copies), np.concatenate([labels] * copies),
            np.random.default_rng(int(opts["seed"])))


def make_digit_masks(opts: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (N, 1, S, S), masks (N, S, S), labels): a digit at a random place among
    `clutter` stray strokes; the mask marks its pixels (1, or class + 1 with digit_classes)."""
    images, labels, rng = _sources(opts)
    side, strokes = int(opts["canvas"]), int(opts["clutter"])
    x = np.zeros((len(images), 1, side, side), np.float32)
    masks = np.zeros((len(images), side, side), np.int64)
    for i, (digit, label) in enumerate(zip(images, labels)):
        canvas = x[i, 0]
        for _ in range(strokes):  # short straight strokes, 2 to 3 pixels long
            r, c = rng.integers(0, side, 2)
            dr, dc = rng.integers(-1, 2, 2)
            for k in range(int(rng.integers(2, 4))):
                rr, cc = r + k * dr, c + k * dc
                if 0 <= rr < side and 0 <= cc < side:
                    canvas[rr, cc] = max(canvas[rr, cc], rng.uniform(0.4, 1.0))
        r, c = rng.integers(0, side - 7, 2)
        inside = digit >= MASK_LEVEL
        window = canvas[r:r + 8, c:c + 8]
        window[:] = np.where(digit > 0, digit, window)
        masks[i, r:r + 8, c:c + 8] = inside * ((label + 1) if opts["digit_classes"] else 1)
    return x, masks, labels


def make_find_digit(opts: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (N, 1, S, S), labels, boxes (N, 4)): a digit zoomed 1 to max_scale times at a
    random place; its box is the tight box of its visible pixels, as fractions of the side."""
    images, labels, rng = _sources(opts)
    side, top = int(opts["canvas"]), float(opts["max_scale"])
    x = np.zeros((len(images), 1, side, side), np.float32)
    boxes = np.zeros((len(images), 4), np.float32)
    for i, digit in enumerate(images):
        size = min(round(8 * rng.uniform(1.0, top)), side)
        zoomed = np.clip(ndimage.zoom(digit, size / 8, order=1), 0, 1) if size != 8 else digit
        r, c = rng.integers(0, side - size + 1, 2)
        x[i, 0, r:r + size, c:c + size] = zoomed
        rows = np.flatnonzero((zoomed >= MASK_LEVEL).any(1))
        cols = np.flatnonzero((zoomed >= MASK_LEVEL).any(0))
        boxes[i] = (c + cols[0], r + rows[0], c + cols[-1] + 1, r + rows[-1] + 1)
    return x, labels, boxes / side


def _texture(rng: np.random.Generator, side: int) -> np.ndarray:
    return 0.4 * ndimage.gaussian_filter(rng.uniform(0, 1, (side, side)), 1.0)


def make_moving_digits(opts: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame1, frame2 (N, 1, S, S), flow (N, 2, S, S)): a digit on a smooth random texture,
    then the same scene moved by a shift up to max_shift pixels per axis and a rotation up to
    `rotation` degrees about the centre; flow[:, 0] is each pixel's x motion, flow[:, 1] y."""
    images, _labels, rng = _sources(opts)
    side, most, turn = int(opts["canvas"]), float(opts["max_shift"]), float(opts["rotation"])
    pad = int(np.ceil(most)) + 2 + (side // 4 if turn else 0)
    big = side + 2 * pad
    f1 = np.zeros((len(images), 1, side, side), np.float32)
    f2 = np.zeros_like(f1)
    flow = np.zeros((len(images), 2, side, side), np.float32)
    grid = np.stack(np.mgrid[0:side, 0:side], 0).astype(np.float64) + pad  # (row, col)
    centre = np.full(2, (big - 1) / 2)
    for i, digit in enumerate(images):
        scene = _texture(rng, big)
        at = (big - 8) // 2
        scene[at:at + 8, at:at + 8] = np.maximum(scene[at:at + 8, at:at + 8], digit)
        shift = rng.uniform(-most, most, 2)  # (rows, cols)
        angle = np.deg2rad(rng.uniform(-turn, turn)) if turn else 0.0
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        inverse = rot.T  # a point p moves to rot (p - centre) + centre + shift
        moved = ndimage.affine_transform(scene, inverse, offset=centre - inverse @ (centre + shift),
                                         order=1, mode="nearest")
        f1[i, 0] = scene[pad:pad + side, pad:pad + side]
        f2[i, 0] = moved[pad:pad + side, pad:pad + side]
        rel = grid - centre[:, None, None]
        motion = np.einsum("ij,jhw->ihw", rot - np.eye(2), rel) + shift[:, None, None]
        flow[i] = motion[::-1]  # (x = cols, y = rows)
    return f1, f2, flow


def make_colourise(opts: dict) -> tuple[np.ndarray, np.ndarray]:
    """(grey (N, 1, 8, 8), colour (N, 3, 8, 8)): each class in its own colour, varied by up to
    0.1 per channel per sample; the grey image is the digit's brightness (the stroke's
    intensity before colouring)."""
    images, labels, rng = _sources(opts)
    # 0.85 x the colour, +-0.1: never exactly grey (1, 1, 1), so no grey input is its target
    tint = 0.85 * COLOURS[labels] + rng.uniform(-0.1, 0.1, (len(labels), 3))
    colour = images[:, None] * tint[:, :, None, None].astype(np.float32)
    return images[:, None].copy(), colour.astype(np.float32)


def make_denoise(opts: dict) -> tuple[np.ndarray, np.ndarray]:
    """(noisy (N, 1, 8, 8), clean (N, 1, 8, 8)): Gaussian noise of std `noise` added."""
    images, _labels, rng = _sources(opts)
    clean = images[:, None]
    noisy = clean + rng.normal(0, float(opts["noise"]), clean.shape).astype(np.float32)
    return noisy.astype(np.float32), clean.copy()


def _named(config: DatasetConfig, inputs: dict, targets: list, **kw) -> Dataset:
    return make_task_dataset(config.name, inputs, targets, config, **kw)


def load_digit_masks(config: DatasetConfig) -> Dataset:
    x, masks, labels = make_digit_masks(_options(config))
    return _named(config, {"image": x}, [("mask", "mask", masks), ("digit", "class", labels)])


def load_find_digit(config: DatasetConfig) -> Dataset:
    x, labels, boxes = make_find_digit(_options(config))
    return _named(config, {"image": x}, [("digit", "class", labels), ("box", "boxes", boxes)])


def load_moving_digits(config: DatasetConfig) -> Dataset:
    f1, f2, flow = make_moving_digits(_options(config))
    return _named(config, {"frame1": f1, "frame2": f2}, [("flow", "flow", flow)])


def load_colourise(config: DatasetConfig) -> Dataset:
    grey, colour = make_colourise(_options(config))
    return _named(config, {"image": grey}, [("colour", "image", colour)])


def load_denoise(config: DatasetConfig) -> Dataset:
    noisy, clean = make_denoise(_options(config))
    return _named(config, {"image": noisy}, [("clean", "image", clean)])
