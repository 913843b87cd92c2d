"""CIFAR-10 binary version: safe extraction of the batches from the tarball, numpy parsing."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from netcanvas.backend.data.types import DatasetError

TRAIN_BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_BATCH = "test_batch.bin"
RECORD = 1 + 3 * 32 * 32  # label byte, then 1024 red, 1024 green, 1024 blue


def extract_batches(archive: Path, folder: Path) -> None:
    """Copy the six batch files out of the tarball into `folder`.

    Members are matched by base name and written to paths we build ourselves, so an
    archive entry can never write outside `folder` (no tarfile.extractall).
    """
    wanted = set(TRAIN_BATCHES) | {TEST_BATCH}
    found: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                base = os.path.basename(member.name)
                if base not in wanted or not member.isfile():
                    continue
                source = tar.extractfile(member)
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=base + ".", suffix=".part")
                try:
                    with os.fdopen(fd, "wb") as out:
                        shutil.copyfileobj(source, out)
                    os.replace(tmp, folder / base)
                finally:
                    Path(tmp).unlink(missing_ok=True)
                found.add(base)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DatasetError(f"cannot read {archive}: {e}") from None
    if missing := sorted(wanted - found):
        raise DatasetError(f"{archive} lacks {', '.join(missing)}")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) from one binary batch file."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD:
        raise DatasetError(f"{path} is not a CIFAR-10 batch ({raw.size} bytes is not a "
                           f"multiple of {RECORD})")
    records = raw.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DatasetError(f"{path}: label {labels.max()} out of range 0..9")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels
