"""What the GUI tests' collection at each test's end costs (tests/gui/conftest.py): a plain
full `gc.collect()` against collect-then-`gc.freeze()` (the next collection walks only what
was made since), alternating in one process.

Run: QT_QPA_PLATFORM=offscreen python bench/gui_test_gc.py [--rounds R] [--windows N]

Each round opens and closes N main windows on the LeNet example (as N GUI tests would),
collecting after each as the chosen teardown does, and times those collections. Before the
rounds, the heavy modules the suite loads are imported, so the heap is the size a GUI test
session has. Prints the median seconds per collection of each and their ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import onnx  # noqa: F401  (the suite loads these; they fill the heap a collection walks)
import onnxruntime  # noqa: F401
import torch  # noqa: F401
from netcanvas.app.gui_gc import collect_on_gui_thread
from netcanvas.app.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication


def one_round(windows: int, freeze: bool) -> list[float]:
    times = []
    for _ in range(windows):
        window = MainWindow()
        window.show()
        QApplication.processEvents()
        window.document.mark_saved("/tmp/unused.netcanvas")
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        del window
        started = time.perf_counter()
        gc.collect()
        if freeze:
            gc.freeze()
        times.append(time.perf_counter() - started)
    gc.unfreeze()
    gc.collect()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=10)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    collect_on_gui_thread()
    one_round(2, False)  # warm-up: the lazily imported parts of the app
    plain, frozen = [], []
    for _ in range(args.rounds):
        plain += one_round(args.windows, freeze=False)
        frozen += one_round(args.windows, freeze=True)
    p, f = statistics.median(plain), statistics.median(frozen)
    print(f"objects tracked: {len(gc.get_objects())}")
    print(f"full collect per test: {p * 1000:.1f} ms; collect + freeze: {f * 1000:.1f} ms; "
          f"ratio {f / p:.3f}")
    app.quit()


if __name__ == "__main__":
    main()
