"""MNIST, Fashion-MNIST and CIFAR-10: where to get them, their checksums, and loading.

Each uses its official test set as the test split; validation is carved from the
training set. Checksums are the published MD5s of the original files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from netcanvas.backend.data import cifar, download
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.idx import read_idx
from netcanvas.backend.data.types import Cancel, Dataset, DatasetError, Progress
from netcanvas.backend.project import DatasetConfig


@dataclass(frozen=True)
class Remote:
    title: str
    mirrors: tuple[str, ...]  # base URLs, tried in order
    files: dict[str, str]  # file name -> md5 (32 hex) or sha256 (64 hex)
    class_names: tuple[str, ...]


_IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CIFAR_ARCHIVE = "cifar-10-binary.tar.gz"

REMOTES: dict[str, Remote] = {
    "mnist": Remote(
        "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
        dict(zip(_IDX, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))),
        tuple(str(i) for i in range(10)),
    ),
    "fashion_mnist": Remote(
        "Fashion-MNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        dict(zip(_IDX, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"),
    ),
    "cifar10": Remote(
        "CIFAR-10",
        ("https://www.cs.toronto.edu/~kriz/",),
        {CIFAR_ARCHIVE: "c32a1d4ab5d03f1284b67883e8d87530"},
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"),
    ),
}


def ensure_files(name: str, config: DatasetConfig, progress: Progress | None = None,
                 cancel: Cancel | None = None) -> Path:
    """Make sure the dataset's files are in its cache folder, downloading what is missing.

    `config.options["base_url"]` replaces the mirror list (a local mirror, or tests).
    A failure names every file and the folder where they can be put by hand.
    """
    remote = REMOTES[name]
    folder = download.data_dir() / name
    files = list(remote.files)
    base = config.options.get("base_url")
    mirrors = (base,) if base else remote.mirrors
    for i, file in enumerate(files, 1):
        target = folder / file
        expected = remote.files[file]
        if target.exists():
            try:
                download.verify(target, expected)  # a corrupt hand-placed file is reported
            except download.ChecksumError as e:
                raise download.ChecksumError(f"{e}; delete it to download it again") from None
            continue

        def report(done: int, total: int, message: str, i: int = i) -> None:
            if progress is not None:
                progress(done, total, f"{remote.title}: {message} ({i}/{len(files)})")

        try:
            download.fetch([m.rstrip("/") + "/" + file for m in mirrors], target, expected,
                           report, cancel)
        except (download.ChecksumError, download.DownloadCancelled):
            raise
        except DatasetError as e:
            raise DatasetError(
                f"{remote.title} could not be downloaded ({e}). Without internet, download "
                f"{', '.join(files)} from {mirrors[0] if mirrors else 'its website'} and put "
                f"them in {folder}") from None
    return folder


def _load_idx(name: str, config: DatasetConfig, progress, cancel) -> Dataset:
    folder = ensure_files(name, config, progress, cancel)
    x_train, y_train, x_test, y_test = (read_idx(folder / f) for f in _IDX)
    for x, y, f in ((x_train, y_train, _IDX[0]), (x_test, y_test, _IDX[2])):
        if x.ndim != 3 or len(x) != len(y):
            raise DatasetError(f"{folder / f}: {x.shape} images do not match {y.shape} labels")
    return make_dataset(name, x_train[:, None], y_train.astype(np.int64), config,
                        class_names=list(REMOTES[name].class_names),
                        test=(x_test[:, None], y_test.astype(np.int64)), scale=1 / 255)


def _load_cifar(config: DatasetConfig, progress, cancel) -> Dataset:
    folder = download.data_dir() / "cifar10"
    batches = cifar.TRAIN_BATCHES + [cifar.TEST_BATCH]
    if not all((folder / b).exists() for b in batches):
        ensure_files("cifar10", config, progress, cancel)
        cifar.extract_batches(folder / CIFAR_ARCHIVE, folder)
    train = [cifar.read_batch(folder / b) for b in cifar.TRAIN_BATCHES]
    x_test, y_test = cifar.read_batch(folder / cifar.TEST_BATCH)
    x = np.concatenate([t[0] for t in train])
    y = np.concatenate([t[1] for t in train])
    return make_dataset("cifar10", x, y, config, class_names=list(REMOTES["cifar10"].class_names),
                        test=(x_test, y_test), scale=1 / 255)


def load_remote(config: DatasetConfig, progress: Progress | None = None,
                cancel: Cancel | None = None) -> Dataset:
    if config.name == "cifar10":
        return _load_cifar(config, progress, cancel)
    return _load_idx(config.name, config, progress, cancel)
