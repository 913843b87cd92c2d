"""Quit does not wait for work that only fills a view (issue 21, quit under 0.5 s): a data
load still running when the window closes is cancelled and left to end with the process.
No timing assert: the load outlasts the close by design."""

from __future__ import annotations

import threading

from netcanvas.app import main_window
from netcanvas.app.main_window import MainWindow
from netcanvas.backend.data import DatasetError
from test_training_dock import mlp_project, open_project


def test_close_does_not_wait_for_a_data_load(qtbot, monkeypatch):
    started, release = threading.Event(), threading.Event()
    cancelled = []

    def load_forever(config, progress=None, cancel=None):
        started.set()
        release.wait(60)
        cancelled.append(cancel())
        raise DatasetError("cancelled")

    monkeypatch.setattr("netcanvas.backend.data.load_dataset", load_forever)
    win = MainWindow()
    win.files.quiet = True
    win.show()
    open_project(win, mlp_project())
    win.training_dock.data_tab.load()
    qtbot.waitUntil(started.is_set, timeout=60_000)
    win.document.mark_saved("/tmp/unused.netcanvas")
    try:
        assert win.close()
        assert main_window.threads_left_running()  # left to end with the process
    finally:
        release.set()
        main_window.wait_for_abandoned()  # one may have ended and been deleted already
    assert cancelled == [True]
