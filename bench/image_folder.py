"""Samples/s of one epoch on a folder of small images: NetCanvas's streamed pipeline (the
Trainer `netcanvas train` runs, dataset option `stream`) vs a hand-written DataLoader + PIL
pipeline, same decoding (PIL, RGB, uint8 -> float on the device, per-channel normalisation),
same random horizontal flip on the batch, same model (a deep copy of the compiled graph),
same optimizer, batch size and worker count, in the same process, alternating. The
hand-written side is the usual best practice: a Dataset doing one PIL decode per item
(open, convert RGB, to a uint8 CHW tensor), DataLoader with the same workers, shuffle,
default collate; on the batch: float, scale, normalise, flip, step. NetCanvas pays its own
extras inside its time: the index, the normalisation statistics, its per-step accounting.

The folder (default /tmp/netcanvas-image-folder, generated once) holds `--images` 32x32 RGB
PNG and JPEG files drawn from the bundled 8x8 digits: upsampled, tinted, shifted and noised,
one subfolder per digit. Both pipelines list the folder and decode every file each epoch;
"cached" repeats NetCanvas with its decoded cache (filled by an uncounted epoch first).
Prints samples/s of each and the ratio NetCanvas / hand-written per round and its median
(>= 1.0: at least as fast), with the load average.

    python bench/image_folder.py [--images 20000] [--rounds 2] [--workers 2] [--folder DIR]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import load_dataset
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import DatasetConfig, Project
from netcanvas.backend.training import Trainer
from PIL import Image

BATCH, LR = 128, 0.05


def generate(folder: Path, count: int) -> None:
    """`count` 32x32 RGB images (every third one JPEG) made from the 8x8 digits."""
    from sklearn.datasets import load_digits

    if folder.is_dir() and sum(1 for _ in folder.rglob("*.*")) >= count:
        return
    digits = load_digits()
    rng = np.random.default_rng(0)
    for k in range(10):
        (folder / str(k)).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        j = i % len(digits.images)
        grey = Image.fromarray((digits.images[j] * 15).astype(np.uint8)).resize(
            (28, 28), Image.Resampling.BILINEAR)
        canvas = np.zeros((32, 32), np.uint8)
        dy, dx = rng.integers(0, 5, 2)
        canvas[dy:dy + 28, dx:dx + 28] = np.asarray(grey)
        tint = rng.uniform(0.4, 1.0, 3)
        rgb = np.clip(canvas[..., None] * tint + rng.normal(0, 8, (32, 32, 3)), 0, 255)
        ext = "jpg" if i % 3 == 0 else "png"
        Image.fromarray(rgb.astype(np.uint8)).save(folder / str(digits.target[j]) /
                                                   f"{i:06d}.{ext}")


def project(workers: int, folder: Path, cache: bool) -> Project:
    g = Graph()
    nodes = [g.add("input", "x", shape=(3, 32, 32)),
             g.add("conv2d", "c1", out_channels=16, kernel_size=3, padding=1), g.add("relu", "r1"),
             g.add("max_pool2d", "p1", kernel_size=2),
             g.add("conv2d", "c2", out_channels=32, kernel_size=3, padding=1), g.add("relu", "r2"),
             g.add("max_pool2d", "p2", kernel_size=2), g.add("flatten", "f"),
             g.add("linear", "fc", out_features=10), g.add("output", "out", loss="cross_entropy")]
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)
    p = Project(graph=g)
    for key, value in {"epochs": 1, "batch_size": BATCH, "device": "cpu", "optimizer": "sgd",
                       "lr": LR, "momentum": 0.0}.items():
        setattr(p.training, key, value)
    p.dataset = DatasetConfig(name="folder", path=str(folder), val_fraction=0.0,
                              test_fraction=0.0, augment_flip=True,
                              options={"stream": True, "workers": workers, "cache": cache})
    return p


def netcanvas_epoch(workers: int, folder: Path, cache: bool) -> float:
    """Seconds for listing (index) + normalisation statistics + one training epoch."""
    start = time.perf_counter()
    p = project(workers, folder, cache)
    Trainer(p, load_dataset(p.dataset)).run()
    return time.perf_counter() - start


class Files(torch.utils.data.Dataset):
    """The usual hand-written dataset: one PIL decode per item, default collate."""

    def __init__(self, folder: Path):
        classes = sorted(d.name for d in os.scandir(folder) if d.is_dir())
        self.items = [(folder / c / e.name, k) for k, c in enumerate(classes)
                      for e in sorted(os.scandir(folder / c), key=lambda e: e.name)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        with Image.open(path) as img:
            a = np.asarray(img.convert("RGB"), dtype=np.uint8)
        return torch.from_numpy(a.transpose(2, 0, 1).copy()), label


def hand_written_epoch(workers: int, folder: Path, model: torch.nn.Module) -> float:
    start = time.perf_counter()
    loader = torch.utils.data.DataLoader(Files(folder), batch_size=BATCH, shuffle=True,
                                         num_workers=workers, drop_last=False)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    mean = torch.tensor([0.2, 0.2, 0.2]).view(1, 3, 1, 1)
    std = torch.tensor([0.3, 0.3, 0.3]).view(1, 3, 1, 1)
    model.train()
    for x, y in loader:
        x = (x.float().div_(255) - mean) / std
        flip = torch.rand(x.shape[0]) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/netcanvas-image-folder"))
    a = ap.parse_args()
    t = time.perf_counter()
    generate(a.folder, a.images)
    n = sum(1 for _ in a.folder.rglob("*.*"))
    print(f"folder: {a.folder} ({n} images, ready in {time.perf_counter() - t:.1f} s)")
    model = copy.deepcopy(compile_graph(project(a.workers, a.folder, False).graph).module)
    netcanvas_epoch(a.workers, a.folder, True)  # warm-up: builds the index, fills the cache
    times: dict[str, list[float]] = {"hand-written": [], "netcanvas": [], "netcanvas cached": []}
    loads: list[float] = []
    for _ in range(a.rounds):
        times["hand-written"].append(hand_written_epoch(a.workers, a.folder, model))
        times["netcanvas"].append(netcanvas_epoch(a.workers, a.folder, False))
        times["netcanvas cached"].append(netcanvas_epoch(a.workers, a.folder, True))
        loads.append(os.getloadavg()[0])
    rate = {k: n / statistics.median(v) for k, v in times.items()}
    for k, v in rate.items():
        print(f"{k:>17}: {v:8.0f} samples/s (epochs: {', '.join(f'{s:.1f}' for s in times[k])} s)")
    ratios = {k: [h / t for h, t in zip(times["hand-written"], times[k])]
              for k in ("netcanvas", "netcanvas cached")}
    for k, r in ratios.items():
        print(f"ratio {k} / hand-written per round: {', '.join(f'{v:.2f}' for v in r)}; "
              f"median {statistics.median(r):.2f}")
    print(f"{os.cpu_count()} CPUs, load average after each round: "
          f"{', '.join(f'{v:.1f}' for v in loads)}")


if __name__ == "__main__":
    main()
