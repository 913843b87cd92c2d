"""A folder of images with one subfolder per class, read with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.options import option
from netcanvas.backend.data.types import Dataset, DatasetError
from netcanvas.backend.data.user import user_path
from netcanvas.backend.project import DatasetConfig

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
# Shrinking by this factor or more first averages whole pixel blocks (Image.reduce), then
# resizes the rest bilinearly: faster than one bilinear resize, and within a few grey
# levels of it (measured: mean 0.4, max 5 on a 640x480 photo to 32x32).
REDUCING_GAP = 3.0


def _size(config: DatasetConfig) -> tuple[int, int] | None:
    """Option `size`: N for N x N, or [height, width]; None = the first image's size."""
    size = config.options.get("size")
    if size is None:
        return None
    if isinstance(size, int):
        size = (size, size)
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise DatasetError(f"option 'size' must be N or [height, width], got {size!r}") from None
    if h < 1 or w < 1:
        raise DatasetError(f"option 'size' must be positive, got {size!r}")
    return h, w


def _mode(config: DatasetConfig) -> str | None:
    """Option `channels`: 1 (grey) or 3 (RGB); None = decided by the first image."""
    channels = config.options.get("channels")
    if channels is None:
        return None
    if option(config.options, "channels", 3, int) not in (1, 3):
        raise DatasetError(f"option 'channels' must be 1 or 3, got {channels!r}")
    return "L" if int(channels) == 1 else "RGB"


def _classes(folder: Path) -> list[tuple[str, list[Path]]]:
    classes = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in sub.iterdir() if p.suffix.lower() in EXTENSIONS)
        if not files:
            raise DatasetError(f"class folder {sub} holds no images "
                               f"({', '.join(sorted(EXTENSIONS))})")
        classes.append((sub.name, files))
    if len(classes) < 2:
        raise DatasetError(f"{folder} needs one subfolder of images per class, at least two; "
                           f"found {len(classes)}")
    return classes


def read_image(file: Path, mode: str | None = None,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """One image file as uint8 (H, W) grey or (H, W, 3) RGB: converted to `mode` ("L" or
    "RGB"; None keeps grey grey and makes the rest RGB), resized bilinearly to `size`
    (height, width; None keeps it). Unreadable files raise DatasetError naming them."""
    from PIL import Image  # imported here: only image files need Pillow

    try:
        with Image.open(file) as img:
            mode = mode or ("L" if img.mode in _GREY_MODES else "RGB")
            if size is not None and img.format == "JPEG":  # decode at 1/2, 1/4, 1/8 scale
                img.draft(mode, (size[1], size[0]))  # when that still covers `size`
            img.load()
            img = img.convert(mode) if img.mode != mode else img
            if size is not None and (img.height, img.width) != tuple(size):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR,
                                 reducing_gap=REDUCING_GAP)
            return np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as e:  # UnidentifiedImageError
        raise DatasetError(f"cannot read image {file}: {e}") from None  # is an OSError


def load_image_folder(config: DatasetConfig, progress=None) -> Dataset:
    """Options: `size` (resize target, default the first image's) and `channels` (1 grey,
    3 RGB; default from the first image). Always classification, by subfolder. With
    `stream`, nothing is loaded here: the splits are decoded from disk batch by batch."""
    folder = user_path(config, "folder of images")
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    if config.options.get("masks"):
        from netcanvas.backend.data.user_tasks import load_mask_folder
        return load_mask_folder(folder, config)
    size, mode = _size(config), _mode(config)
    if config.options.get("stream"):
        from netcanvas.backend.data.streamed import load_streamed_folder
        return load_streamed_folder(config, folder, EXTENSIONS, size, mode, progress)
    classes = _classes(folder)
    images, labels = [], []
    for label, (_, files) in enumerate(classes):
        for file in files:
            image = read_image(file, mode, size)
            mode = mode or ("L" if image.ndim == 2 else "RGB")
            size = size or image.shape[:2]
            images.append(image)
            labels.append(label)
    x = np.stack(images)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return make_dataset(folder.name, x, np.array(labels, dtype=np.int64), config,
                        class_names=[name for name, _ in classes], scale=1 / 255)
