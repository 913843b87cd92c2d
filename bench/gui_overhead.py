"""What the app costs a training run: the digits example trained through the app's worker thread
with the live plots drawing (offscreen main window, real TrainingDock), against the headless
Trainer on the same data and settings, alternating in one process.

Run: QT_QPA_PLATFORM=offscreen python bench/gui_overhead.py [--epochs N] [--rounds R]
Every torch computation runs off the main (GUI) thread, the headless runs in a plain thread:
once a thread has run an OpenMP parallel region its worker team stays, and with more OpenMP
threads alive than cores libgomp stops spinning, which halves the throughput of every other
thread's parallel regions. The app never runs torch on its GUI thread, so neither does this.

Throughput is training samples per second of epoch time (the Trainer's own EpochEnded
seconds: every step plus validation; median over epochs, the first of each run skipped as
warm-up). Process CPU seconds per run are printed too: with other load on the machine they
say better than wall time what the app adds. Target: the app keeps at least 95% of the
headless throughput.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from netcanvas.app.document import Document
from netcanvas.app.files import examples
from netcanvas.app.main_window import MainWindow
from netcanvas.backend.data import load_dataset
from netcanvas.backend.project import config_key
from netcanvas.backend.project_io import load_project
from netcanvas.backend.training import EpochEnded, Trainer
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

EXAMPLE = "lenet_digits"


def off_main(job):
    """Run job() in a plain thread and return its result (see the docstring: OpenMP teams)."""
    out = []
    thread = threading.Thread(target=lambda: out.append(job()))
    thread.start()
    thread.join()
    return out[0]


def headless(project, dataset) -> tuple[list[float], float, float]:
    """(epoch seconds, wall seconds, CPU seconds) of one Trainer run, no Qt involved."""
    return off_main(lambda: _headless(project, dataset))


def _headless(project, dataset) -> tuple[list[float], float, float]:
    epochs: list[float] = []
    t0, c0 = time.perf_counter(), time.process_time()
    result = Trainer(project, dataset, on_event=lambda ev: isinstance(ev, EpochEnded)
                     and epochs.append(ev.seconds)).run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.failed is None, result.failed
    return epochs, wall, cpu


def in_app(window, project, dataset) -> tuple[list[float], float, float, int]:
    """(epoch seconds, wall seconds, CPU seconds, plot frames drawn) of one run in the dock."""
    window.set_document(Document(project))
    dock = window.training_dock
    dock.data_tab.dataset, dock.data_tab.loaded_key = dataset, config_key(project.dataset)
    epochs: list[float] = []
    frames = [0]
    loop = QEventLoop()
    ended = []

    def on_events(events):
        epochs.extend(ev.seconds for ev in events if isinstance(ev, EpochEnded))

    dock.run_tab.plots.redrawn.connect(lambda: frames.__setitem__(0, frames[0] + 1))
    dock.run_ended.connect(lambda result: (ended.append(result), loop.quit()))
    t0, c0 = time.perf_counter(), time.process_time()
    dock.start_training()
    dock.thread.yielded.connect(on_events)
    loop.exec()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    dock.run_ended.disconnect()
    dock.run_tab.plots.redrawn.disconnect()
    assert ended[0] is not None and ended[0].failed is None, ended[0]
    window.document.mark_saved("/tmp/gui_overhead.netcanvas")
    return epochs, wall, cpu, frames[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)  # the example's own
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    app = QApplication.instance() or QApplication([])
    path = next(p for p in examples() if p.stem == EXAMPLE)
    base = load_project(path)
    dataset = off_main(lambda: load_dataset(base.dataset))
    n = len(dataset.train)
    window = MainWindow()
    window.files.quiet = True
    window.resize(1600, 1000)
    window.show()
    app.processEvents()

    headless(load_project(path), dataset)  # warm-up: first-run allocations, lazy imports
    rows = {"headless": [], "app": []}  # (epoch seconds..., wall, cpu)
    for _ in range(args.rounds):
        for kind in ("headless", "app"):
            project = load_project(path)
            project.training.epochs = args.epochs
            if kind == "headless":
                epochs, wall, cpu = headless(project, dataset)
                frames = 0
            else:
                epochs, wall, cpu, frames = in_app(window, project, dataset)
            rows[kind].append((epochs[1:], wall, cpu))
            print(f"{kind:8s}  {n / statistics.median(epochs[1:]):8.0f} samples/s  "
                  f"wall {wall:6.2f} s  cpu {cpu:6.2f} s  plot frames {frames}", flush=True)

    def median(kind, i):
        return statistics.median(x for r in rows[kind] for x in (r[0] if i == 0 else [r[i]]))

    head, gui = n / median("headless", 0), n / median("app", 0)
    print(f"\n{EXAMPLE}: {args.epochs} epochs x {n} samples, {args.rounds} alternating rounds, "
          f"{torch.get_num_threads()} torch threads")
    print(f"headless Trainer  : {head:8.0f} samples/s (median epoch)")
    print(f"app + live plots  : {gui:8.0f} samples/s (median epoch)")
    print(f"ratio app/headless: {gui / head:.3f}  (target >= 0.95)")
    print(f"CPU seconds / run : headless {median('headless', 2):.2f}, app {median('app', 2):.2f}"
          f" (ratio {median('headless', 2) / median('app', 2):.3f})")
    window.training_dock.shutdown()
    window.close()


if __name__ == "__main__":
    main()
