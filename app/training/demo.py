"""`netcanvas --demo [--screenshot OUT.png]`: train the open project with live plots; with a
screenshot path, save the window once training ends and quit."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

WINDOW_SIZE = (1600, 1000)
DOCK_SHARE = 0.5  # of the window height, so the charts are readable in the screenshot


def start_demo(window, screenshot_path: str | None = None) -> None:
    """Show the window with the training dock forward and press Train.

    The project already open (the default example) trains with its own settings."""
    dock = window.training_dock
    window.resize(*WINDOW_SIZE)
    window.show()
    dock.show()
    dock.raise_()
    window.resizeDocks([dock], [int(WINDOW_SIZE[1] * DOCK_SHARE)], Qt.Orientation.Vertical)
    if screenshot_path:
        dock.run_ended.connect(lambda result: _finish(window, result, Path(screenshot_path)))
    QTimer.singleShot(0, window.frame_all)
    QTimer.singleShot(0, dock.start_training)


def _finish(window, result, path: Path) -> None:
    """Run tab forward, charts drawn, window grabbed, app closed (exit 1 if training failed)."""
    dock = window.training_dock
    dock.tabs.setCurrentWidget(dock.run_tab)
    dock.run_tab.plots.flush(force=True)
    for _ in range(3):
        QApplication.processEvents()
    window.frame_all()
    QApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(path))
    if not saved:
        print(f"netcanvas: could not write {path}", file=sys.stderr)
    failed = result is None or result.failed is not None
    if failed:
        message = result.failed.message if result is not None else "the data did not load"
        print(f"netcanvas: the demo run failed: {message}", file=sys.stderr)
    window.files.discard_recovery()
    QApplication.instance().exit(0 if saved and not failed else 1)
