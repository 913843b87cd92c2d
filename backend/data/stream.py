"""Image folders streamed from disk: an index built once, decoding in worker processes.

A class-per-folder tree is listed once into an index kept in the user cache folder,
keyed by the folder's path and the modification times of it and its class folders (adding
or removing a file changes its folder's mtime), so a later start lists nothing. Samples
are decoded by a `torch.utils.data.DataLoader` whose workers each return a whole batch as
one uint8 array; the training device converts, scales and normalises it. An optional
decoded cache (a uint8 memory map in the cache folder) serves repeated epochs without
decoding. A file that cannot be decoded is dropped from its batch and reported once,
with its path; it never stops an epoch.

Resize policy: every image becomes `size` (default: the first image's size) with a
bilinear resize, and `channels` (default: grey if the first image is grey, else RGB);
RGBA and palette images are converted to RGB (alpha dropped), RGB to grey by luminance.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from netcanvas.backend.data.download import data_dir
from netcanvas.backend.data.stream_workers import Feeder
from netcanvas.backend.data.types import DatasetError, Progress

SAMPLES_FOR_STATS = 512  # training images read to estimate the normalisation statistics
OK, BAD = 1, 2  # decoded-cache row states (0: not decoded yet)


def cache_dir() -> Path:
    """Where indexes and decoded caches live: the dataset cache folder's `image-cache`."""
    return data_dir() / "image-cache"


@dataclass
class Index:
    """Every image file of a class-per-folder tree (paths relative to `folder`), labelled."""

    folder: Path
    classes: list[str]
    files: list[str]
    labels: np.ndarray
    key: str
    reused: bool = False


def _index_key(folder: Path, subs: Sequence[Path]) -> str:
    stamp = [str(folder.resolve())] + [f"{p.name}:{p.stat().st_mtime_ns}" for p in
                                       [folder, *subs]]
    return hashlib.sha1("\n".join(stamp).encode()).hexdigest()[:20]


def _store_json(path: Path, data) -> None:
    """Write `data` to `path` whole or not at all (another process may read it meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), "utf-8")
    tmp.replace(path)


def build_index(folder: Path, extensions: set[str], progress: Progress | None = None) -> Index:
    """The folder's index, from the cache when the folder is unchanged, else listed now
    (progress(done_classes, total_classes, message) after each class folder) and stored."""
    folder = Path(folder)
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(subs) < 2:
        raise DatasetError(f"{folder} needs one subfolder of images per class, at least two; "
                           f"found {len(subs)}")
    key = _index_key(folder, subs)
    stored = cache_dir() / f"{key}.index.json"
    if stored.is_file():
        data = json.loads(stored.read_text("utf-8"))
        return Index(folder, data["classes"], data["files"],
                     np.asarray(data["labels"], dtype=np.int64), key, reused=True)
    files, labels = [], []
    for label, sub in enumerate(subs):
        names = sorted(e.name for e in os.scandir(sub)
                       if Path(e.name).suffix.lower() in extensions and not e.is_dir())
        if not names:
            raise DatasetError(f"class folder {sub} holds no images "
                               f"({', '.join(sorted(extensions))})")
        files += [f"{sub.name}/{n}" for n in names]
        labels += [label] * len(names)
        if progress is not None:
            progress(label + 1, len(subs), f"indexing {sub.name}: {len(names)} images")
    classes = [s.name for s in subs]
    _store_json(stored, {"classes": classes, "files": files, "labels": labels})
    return Index(folder, classes, files, np.asarray(labels, dtype=np.int64), key)


class FolderBatches(torch.utils.data.Dataset):
    """Indexable by a list of sample numbers: (numbers, uint8 (n, C, H, W), ok (n,) bool).

    Picklable for worker processes; the decoded cache's memory maps are opened lazily in
    each process.
    """

    def __init__(self, index: Index, mode: str, size: tuple[int, int], cache: bool):
        self.root, self.files = index.folder, index.files
        self.mode, self.size = mode, tuple(size)
        self.shape = (1 if mode == "L" else 3, *self.size)
        self.key = f"{index.key}-{mode}-{size[0]}x{size[1]}"  # the folder, as decoded
        self.cache_path = cache_dir() / f"{self.key}.u8" if cache else None
        self._maps: tuple[np.memmap, np.memmap] | None = None
        if self.cache_path is not None:
            n = len(self.files)
            for path, nbytes in ((self.cache_path, n * int(np.prod(self.shape))),
                                 (self._state_path, n)):
                if not path.is_file() or path.stat().st_size != nbytes:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with path.open("wb") as f:
                        f.truncate(nbytes)

    @property
    def _state_path(self) -> Path:
        return self.cache_path.with_suffix(".state")

    def __getstate__(self):
        return dict(self.__dict__, _maps=None)

    def __len__(self) -> int:
        return len(self.files)

    def _cache(self) -> tuple[np.memmap, np.memmap] | None:
        if self.cache_path is not None and self._maps is None:
            n = len(self.files)
            self._maps = (np.memmap(self.cache_path, np.uint8, "r+", shape=(n, *self.shape)),
                          np.memmap(self._state_path, np.uint8, "r+", shape=(n,)))
        return self._maps

    def _decode_into(self, i: int, row: np.ndarray) -> bool:
        """Decode sample i's file into `row` (uint8 (C, H, W)); False when it cannot be."""
        from netcanvas.backend.data.images import read_image

        try:
            image = read_image(self.root / self.files[i], self.mode, self.size)
        except DatasetError:
            return False
        row[...] = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
        return True

    def __getitem__(self, numbers: Sequence[int]):
        """A batch: decoded rows read from the cache in one gather when all are there,
        else each file decoded straight into its row of the batch (and cached)."""
        numbers = np.asarray(numbers, dtype=np.int64)
        maps = self._cache()
        state = maps[1][numbers] if maps is not None else np.zeros(len(numbers), np.uint8)
        if maps is not None and (state == OK).all():
            return (torch.from_numpy(numbers), torch.from_numpy(maps[0][numbers]),
                    torch.ones(len(numbers), dtype=torch.bool))
        out = np.zeros((len(numbers), *self.shape), dtype=np.uint8)
        ok = state != BAD
        for k, i in enumerate(numbers.tolist()):
            if state[k] == OK:
                out[k] = maps[0][i]
            elif state[k] == 0:
                ok[k] = self._decode_into(i, out[k])
                if maps is not None:
                    if ok[k]:
                        maps[0][i] = out[k]
                    maps[1][i] = OK if ok[k] else BAD
        out[~ok] = 0
        return torch.from_numpy(numbers), torch.from_numpy(out), torch.from_numpy(ok)


def _report_stderr(message: str) -> None:
    print(f"netcanvas: {message}", file=sys.stderr)


@dataclass
class StreamSplit:
    """One split of a streamed folder: sample numbers into `source`, and their labels.

    Stands where an in-memory Split would; `device_split` gives the loop its batches.
    `mean`/`std` (per channel, of pixels scaled to [0, 1]) are applied on the device.
    """

    source: FolderBatches
    numbers: np.ndarray
    y: torch.Tensor
    feeder: Feeder  # the decoding workers, shared by the splits of one folder
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None
    report: Callable[[str], None] = _report_stderr
    bad: set[int] = field(default_factory=set)  # shared by the splits of one folder

    def __len__(self) -> int:
        return len(self.numbers)

    _x: torch.Tensor | None = field(default=None, repr=False)

    @property
    def x(self) -> torch.Tensor:
        """The whole split decoded, normalised, in memory: only for the views that show a
        split after training (evaluation, predictions); training never asks for it."""
        if self._x is None:
            batches = self.device_split(None, torch.device("cpu")).slices(256)
            parts = [x for (x,), _ in batches]
            self._x = torch.cat(parts) if parts else torch.empty(0, *self.source.shape)
        return self._x

    def device_split(self, input_shapes, device: torch.device) -> StreamedDeviceSplit:
        return StreamedDeviceSplit(self, device)


class StreamedDeviceSplit:
    """What the training loop reads a StreamSplit through (the DeviceSplit interface).

    `plan(batches)` starts the workers on an epoch's batches (positions in the split);
    `batch(idx)` then returns them in order, decoded ahead, as float batches on the device.
    """

    index_device = torch.device("cpu")

    def __init__(self, split: StreamSplit, device: torch.device):
        self.split, self.device = split, device
        self.n = len(split)
        self.y = split.y
        self._pending = None
        self.peak_batch_bytes = 0  # the largest decoded batch held (what tests count)
        self.unplanned = 0  # batches asked for outside the plan, so decoded in this process
        self._affine = None  # (scale, shift) turning uint8 pixels into normalised input

    def plan(self, positions: Sequence[torch.Tensor]) -> None:
        """The epoch's batches, as position tensors into the split, in training order."""
        numbers = self.split.numbers
        batches = [numbers[p.cpu().numpy()].tolist() for p in positions]
        loader = self.split.feeder.read(batches, self.device.type == "cuda")
        self._pending = (loader, [p.cpu() for p in positions], self.split.feeder.passes)

    def _scale_shift(self, channels: int):
        """uint8 pixels -> normalised input as x * scale + shift, per channel, on the device
        (computed once): scale = 1 / (255 std), shift = -mean / std."""
        if self._affine is None:
            mean, std = self.split.mean, self.split.std
            if mean is None:
                self._affine = (torch.tensor(1 / 255, device=self.device), None)
            else:
                shape = (1, channels, 1, 1)
                self._affine = ((1 / (255 * std)).view(shape).to(self.device),
                                (-mean / std).view(shape).to(self.device))
        return self._affine

    def _to_device(self, numbers, images, ok, positions):
        self.peak_batch_bytes = max(self.peak_batch_bytes, images.numel())
        for i in numbers[~ok].tolist():
            if i not in self.split.bad:
                self.split.bad.add(i)
                path = self.split.source.root / self.split.source.files[i]
                self.split.report(f"skipped {path}: not a readable image")
        keep = ok.to(self.device, non_blocking=True)
        x = images.to(self.device, non_blocking=True).float()
        scale, shift = self._scale_shift(x.shape[1])
        x = torch.addcmul(shift, x, scale) if shift is not None else x.mul_(scale)
        y = self.y[positions].to(self.device, non_blocking=True)
        if not bool(ok.all()):
            x, y = x[keep], y[keep]
        return [x], y

    def batch(self, idx: torch.Tensor):
        idx = idx.cpu()
        if self._pending is not None and self._pending[2] != self.split.feeder.passes:
            self._pending = None  # another split's pass took the workers over
        if self._pending is not None and self._pending[1] and torch.equal(
                self._pending[1][0], idx):
            loader, queue, _ = self._pending
            queue.pop(0)
            numbers, images, ok = next(loader)
            if not queue:
                self._pending = None
        else:  # not planned (e.g. a diagnostic's own batches): decode here
            self.unplanned += 1
            numbers, images, ok = self.split.source[self.split.numbers[idx.numpy()]]
        return self._to_device(numbers, images, ok, idx)

    def slices(self, batch_size: int):
        """Evaluation batches in order, decoded ahead by the workers."""
        positions = [torch.arange(s, min(s + batch_size, self.n))
                     for s in range(0, self.n, batch_size)]
        if not positions:
            return
        self.plan(positions)
        for p in positions:
            yield self.batch(p)


def channel_stats(source: FolderBatches, numbers: np.ndarray, seed: int):
    """Per-channel mean/std of pixels in [0, 1], from up to SAMPLES_FOR_STATS training images;
    kept in the cache folder beside the index (keyed by the folder and the images picked),
    so a later start of an unchanged folder decodes none of them."""
    rng = np.random.default_rng(seed)
    pick = np.sort(numbers if len(numbers) <= SAMPLES_FOR_STATS else rng.choice(
        numbers, SAMPLES_FOR_STATS, replace=False)).astype(np.int64)
    digest = hashlib.sha1(pick.tobytes()).hexdigest()[:16]
    stored = cache_dir() / f"{source.key}-stats-{digest}.json"
    if stored.is_file():
        mean, std = json.loads(stored.read_text("utf-8"))
        return torch.tensor(mean), torch.tensor(std)
    _, images, ok = source[pick]
    x = images[ok].double().div_(255)
    if not len(x):
        return None, None
    mean = x.mean(dim=(0, 2, 3)).float()
    std = x.std(dim=(0, 2, 3), unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std)).float()
    _store_json(stored, [mean.tolist(), std.tolist()])
    return mean, std
