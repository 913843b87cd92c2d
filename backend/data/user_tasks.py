"""The user's own data for every task, read whole into memory and checked before training.

- NPZ with named arrays: `input_<name>` per Input node, `<kind>_<name>` per target
  (class_, vector_, mask_, boxes_, flow_, image_), matched to the graph's nodes by name.
  Variable-length sequences come padded to one length T with a padding mask beside them,
  `input_mask` (or `input_<name>_mask`) (N, T), 1 at real steps: never normalised. A 3-D
  input (N, T, F) with such a mask is a sequence; without one, (N, H, W) grey images.
- An image folder with images/ and masks/ of same-named files (segmentation): a mask's grey
  value is each pixel's class.
- A CSV of boxes: one row per image beside the CSV (file, x0, y0, x1, y1, label), in pixels;
  targets `box` (fractions of the image) and `label`.

A malformed file is a one-line DatasetError naming the file and the field: a mask whose size
is not its image's, a box outside its image, an image without its pair.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from netcanvas.backend.catalogue import TARGET_KINDS, is_mask_input
from netcanvas.backend.data.images import EXTENSIONS, _mode, _size, read_image
from netcanvas.backend.data.tasks import make_task_dataset
from netcanvas.backend.data.types import Dataset, DatasetError
from netcanvas.backend.project import DatasetConfig

BOX_COLUMNS = ("file", "x0", "y0", "x1", "y1", "label")


def is_named_npz(arrays: dict) -> bool:
    return any(k.startswith("input_") for k in arrays)


def load_named_npz(path: Path, arrays: dict[str, np.ndarray], config: DatasetConfig) -> Dataset:
    inputs, targets = {}, []
    masked = {a.shape[:2] for k, a in arrays.items()
              if k.startswith("input_") and is_mask_input(k[6:]) and a.ndim == 2}
    for key, array in arrays.items():
        kind, _, name = key.partition("_")
        if kind == "input" and name:
            a = array.astype(np.float32)
            images = a.ndim == 3 and a.shape[:2] not in masked  # grey, without a channel axis
            inputs[name] = a[:, None] if images else a
        elif kind in TARGET_KINDS and name:
            targets.append((name, kind, array))
        else:
            raise DatasetError(f"{path}: array '{key}' is neither input_<name> nor <kind>_<name> "
                               f"with kind one of {', '.join(TARGET_KINDS)}")
    return make_task_dataset(path.stem, inputs, targets, config, source=str(path))


def _image_array(images: list[np.ndarray]) -> np.ndarray:
    x = np.stack(images)
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def load_mask_folder(folder: Path, config: DatasetConfig) -> Dataset:
    """images/ and masks/ subfolders of same-named files (any image extension)."""
    image_dir, mask_dir = folder / "images", folder / "masks"
    for sub in (image_dir, mask_dir):
        if not sub.is_dir():
            raise DatasetError(f"{folder}: with option masks, needs subfolders images/ and "
                               f"masks/; {sub.name}/ is missing")
    def files(sub: Path) -> dict[str, Path]:
        return {p.stem: p for p in sorted(sub.iterdir()) if p.suffix.lower() in EXTENSIONS}
    images, masks = files(image_dir), files(mask_dir)
    if not images:
        raise DatasetError(f"{image_dir} holds no images ({', '.join(sorted(EXTENSIONS))})")
    for stem, file in images.items():
        if stem not in masks:
            raise DatasetError(f"{file}: no mask {stem}.* in {mask_dir}")
    for stem, file in masks.items():
        if stem not in images:
            raise DatasetError(f"{file}: no image {stem}.* in {image_dir}")
    size, mode = _size(config), _mode(config)
    xs, ys = [], []
    for stem, file in images.items():
        image = read_image(file, mode, size)
        mode = mode or ("L" if image.ndim == 2 else "RGB")
        size = size or image.shape[:2]
        mask = read_image(masks[stem], "L")
        if mask.shape != image.shape[:2]:
            raise DatasetError(f"{masks[stem]}: mask is {mask.shape[1]}x{mask.shape[0]} but "
                               f"image {file.name} is {image.shape[1]}x{image.shape[0]} "
                               "(width x height)")
        xs.append(image)
        ys.append(mask.astype(np.int64))
    return make_task_dataset(folder.name, {"image": _image_array(xs)},
                             [("mask", "mask", np.stack(ys))], config, scale=1 / 255,
                             source=str(folder))


def load_box_csv(path: Path, config: DatasetConfig) -> Dataset:
    """Rows file, x0, y0, x1, y1, label (pixels; files relative to the CSV's folder)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"cannot read {path}: {e}") from None
    if not rows or [h.strip() for h in rows[0]] != list(BOX_COLUMNS):
        raise DatasetError(f"{path}: the header must be {','.join(BOX_COLUMNS)}")
    size, mode = _size(config), _mode(config)
    images, boxes, labels = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(BOX_COLUMNS):
            raise DatasetError(f"{path} line {line}: {len(row)} cells, expected "
                               f"{len(BOX_COLUMNS)} ({','.join(BOX_COLUMNS)})")
        file = path.parent / row[0].strip()
        if not file.is_file():
            raise DatasetError(f"{path} line {line}: file: no image {file}")
        try:
            box = [float(v) for v in row[1:5]]
        except ValueError:
            raise DatasetError(f"{path} line {line}: x0, y0, x1, y1 must be numbers, got "
                               f"{row[1:5]}") from None
        image = read_image(file, mode)
        h, w = image.shape[:2]
        x0, y0, x1, y1 = box
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise DatasetError(f"{path} line {line}: box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is "
                               f"outside image {row[0].strip()} ({w}x{h}) or empty")
        mode = mode or ("L" if image.ndim == 2 else "RGB")
        size = size or (h, w)
        images.append(read_image(file, mode, size))
        boxes.append([x0 / w, y0 / h, x1 / w, y1 / h])
        labels.append(row[5].strip())
    if not images:
        raise DatasetError(f"{path}: no rows of boxes")
    names, y = np.unique(np.array(labels), return_inverse=True)
    return make_task_dataset(path.stem, {"image": _image_array(images)},
                             [("label", "class", y.astype(np.int64)),
                              ("box", "boxes", np.array(boxes, np.float32))],
                             config, scale=1 / 255, class_names=[str(n) for n in names],
                             source=str(path))
