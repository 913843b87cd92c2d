"""How long closing the main window takes while a training step is slow, with two CPU-busy
processes beside the app (issue 29 item 10; issue 9 measured it on a quiet machine only).
Target: at most main_window.CLOSE_SECONDS (2 s) whatever the step is doing.

Run: QT_QPA_PLATFORM=offscreen python bench/close_under_load.py [--rounds R] [--burners N]

The bench starts N burner processes itself (`while True: pass`, killed at the end), then for
each kind of slow step opens a window, starts a run, waits until the step is running, and
times `window.close()`. The step kinds: "sleep" (releases the GIL: waiting on I/O or a
device), "python" (a busy pure-Python loop holding the GIL between bytecodes) and "torch"
(large matmuls on every intra-op thread, competing with the burners for the cores). The
baseline is closing an idle window in the same process under the same load; each figure is
printed in seconds and as a ratio to that baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from netcanvas.app import main_window
from netcanvas.app.document import Document
from netcanvas.app.main_window import MainWindow
from netcanvas.app.training import dock as dock_module
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.training import loop
from PySide6.QtWidgets import QApplication

STEP_SECONDS = 6.0  # each slow step outlasts the 2 s target by far


def mlp_project() -> Project:
    g = Graph()
    x = g.add("input", "point", shape=(2,), position=(0, 0))
    fc = g.add("linear", "fc", out_features=2, position=(240, 0))
    out = g.add("output", "logits", position=(480, 0))
    g.connect(x, fc)
    g.connect(fc, out)
    project = Project(graph=g)
    project.dataset.name = "moons"
    project.training.epochs = 1
    project.training.device = "cpu"
    return project


def slow_step(kind: str, started: threading.Event):
    real = loop.Loop._step

    def step(self, *args):
        started.set()
        end = time.monotonic() + STEP_SECONDS
        if kind == "sleep":
            time.sleep(STEP_SECONDS)
        elif kind == "python":
            while time.monotonic() < end:
                pass
        else:
            a = torch.randn(1500, 1500)
            while time.monotonic() < end:
                a = torch.tanh(a @ a)
        return real(self, *args)

    return step


def pump_until(app, flag: threading.Event, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not flag.is_set() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if not flag.is_set():
        raise RuntimeError("the run never reached its first step")


def close_seconds(app, kind: str | None) -> float:
    """Seconds `close()` took: with a run in a slow step of `kind`, or idle (None)."""
    win = MainWindow()
    win.files.quiet = True
    win.show()
    win.set_document(Document(mlp_project()))
    if kind is not None:
        started = threading.Event()
        loop.Loop._step = slow_step(kind, started)
        win.training_dock.train_action.trigger()
        pump_until(app, started)
    win.document.mark_saved("/tmp/unused-close-bench.netcanvas")
    t0 = time.perf_counter()
    assert win.close()
    seconds = time.perf_counter() - t0
    win.deleteLater()
    app.processEvents()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burners", type=int, default=2)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    dock_module.ask_stop_run = lambda parent, label: True  # "Stop it" when asked
    real_step = loop.Loop._step
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(args.burners)]
    try:
        time.sleep(1)  # the burners are busy
        print(f"{os.cpu_count()} cores, {args.burners} busy processes beside the app, "
              f"torch threads {torch.get_num_threads()}; target <= "
              f"{main_window.CLOSE_SECONDS:g} s")
        baseline = statistics.median(close_seconds(app, None) for _ in range(args.rounds))
        print(f"{'idle window (baseline)':<28}{baseline:8.3f} s")
        for kind in ("sleep", "python", "torch"):
            times = []
            for _ in range(args.rounds):
                times.append(close_seconds(app, kind))
                loop.Loop._step = real_step
            print(f"{'slow step: ' + kind:<28}{statistics.median(times):8.3f} s  "
                  f"(max {max(times):.3f} s, {statistics.median(times) / baseline:.1f}x "
                  "baseline)")
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        main_window.wait_for_abandoned()  # let the slow steps end before exiting


if __name__ == "__main__":
    main()
