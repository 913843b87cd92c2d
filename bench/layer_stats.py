"""Training throughput with per-layer statistics on (every 20 steps, the default) against
off, in one process: the LeNet example on the 8x8 digits, runs alternating after an
uncounted warm-up round, each timed over its epochs after the first. Prints the median
seconds per epoch of each and the ratio (on / off), in wall-clock and this process's CPU
time (steadier on a shared machine). The target is a ratio of at most 1.03. With
--doctor, the "on" runs also feed every event to the training doctor
(backend/doctor/live.py), as `netcanvas train --doctor` and the app do.

    python bench/layer_stats.py [--rounds 5] [--epochs 6] [--threads 1] [--every 20] [--doctor]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import torch
from netcanvas.backend.data import load_dataset
from netcanvas.backend.doctor.live import TrainingDoctor
from netcanvas.backend.project_io import load_project
from netcanvas.backend.training import EpochEnded, Trainer

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "lenet_digits.netcanvas"


def seconds_per_epoch(project, dataset, every: int, doctor: bool = False
                      ) -> tuple[float, float]:
    marks: list[tuple[float, float]] = []
    watcher = TrainingDoctor(project, dataset.num_classes) if doctor else None

    def on_event(event):
        if watcher is not None:
            watcher.observe(event)
        if isinstance(event, EpochEnded):
            marks.append((time.perf_counter(), time.process_time()))

    Trainer(project, dataset, device="cpu", on_event=on_event, layer_stats=every).run()
    laps = [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(marks)]
    return statistics.median(w for w, _ in laps), statistics.median(c for _, c in laps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--doctor", action="store_true", help="the training doctor watches too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    project = load_project(EXAMPLE)
    project.training.epochs = args.epochs
    dataset = load_dataset(project.dataset)
    seconds_per_epoch(project, dataset, 0)  # warm-up
    off, on = [], []
    for _ in range(args.rounds):
        off.append(seconds_per_epoch(project, dataset, 0))
        on.append(seconds_per_epoch(project, dataset, args.every, args.doctor))
    for what, i in (("wall", 0), ("cpu", 1)):
        a, b = statistics.median(r[i] for r in off), statistics.median(r[i] for r in on)
        what_on = "statistics + doctor" if args.doctor else "statistics"
        print(f"{what}: {what_on} off {a * 1000:.1f} ms/epoch, on (every {args.every} steps) "
              f"{b * 1000:.1f} ms/epoch, ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
