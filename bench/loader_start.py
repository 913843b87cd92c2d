"""Start-up cost of a streamed folder's decoding workers per start method: seconds from
asking for an epoch's batches to holding the first one, for 'fork' (what `netcanvas train`
uses from a plain main thread), 'forkserver' (what the app's threads use; its first start
also starts the server) and 'spawn', alternating in one process, and how long the rest of a
short pass takes (the same decoding everywhere once started).

    python bench/loader_start.py [--folder DIR] [--workers 2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from unittest import mock

import numpy as np
from netcanvas.backend.data import load_dataset, stream_workers
from netcanvas.backend.project import DatasetConfig

BATCH = 128


def first_batch(config: DatasetConfig, method: str, batches: int) -> tuple[float, float]:
    """(seconds to the first batch, seconds for the remaining batches) with fresh workers."""
    dataset = load_dataset(config)
    numbers = np.arange(batches * BATCH)
    plan = [numbers[i * BATCH:(i + 1) * BATCH].tolist() for i in range(batches)]
    with mock.patch.object(stream_workers, "start_method", lambda: method):
        start = time.perf_counter()
        it = dataset.train.feeder.read(plan, pin=False)
        next(it)
        first = time.perf_counter() - start
        for _ in it:
            pass
    return first, time.perf_counter() - start - first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, default=Path("/tmp/netcanvas-image-folder"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batches", type=int, default=8)
    a = ap.parse_args()
    config = DatasetConfig(name="folder", path=str(a.folder), val_fraction=0.0,
                           test_fraction=0.0, normalize=False,
                           options={"stream": True, "workers": a.workers})
    load_dataset(config)  # the index, built once
    methods = ("fork", "forkserver", "spawn")
    firsts: dict[str, list[float]] = {m: [] for m in methods}
    rests: dict[str, list[float]] = {m: [] for m in methods}
    server = first_batch(config, "forkserver", a.batches)[0]  # starts the server once
    for _ in range(a.repeats):
        for m in methods:
            f, r = first_batch(config, m, a.batches)
            firsts[m].append(f)
            rests[m].append(r)
    print(f"{a.workers} workers, {a.batches} batches of {BATCH}; forkserver's very first start "
          f"(server included): {server:.2f} s")
    for m in methods:
        print(f"{m:>10}: first batch after {statistics.median(firsts[m]):.2f} s (median of "
              f"{a.repeats}), the other {a.batches - 1} batches {statistics.median(rests[m]):.2f} s")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
