"""Helpers shared by the GUI tests of Try it and Look inside (imported by them; holds no
tests): a shown Try-it tab on a run, and a gate that proves a computation ran off the GUI
thread."""

from __future__ import annotations

import threading

from netcanvas.app.training.try_tab import TryTab


def open_tab(qtbot, run, data, size=(1100, 420)) -> TryTab:
    """A shown Try-it tab on `run`, its dataset already loaded."""
    widget = TryTab(lambda project: data)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    widget.set_run(run)
    return widget


class OffGuiThread:
    """Replaces `module.name` with a wrapper that records its thread and then waits until
    the test calls `release()` from the GUI thread: had the GUI thread run the computation,
    it could not release it, and the wrapper fails saying that `what` blocked it."""

    def __init__(self, monkeypatch, module, name: str, what: str):
        self.threads: list[threading.Thread] = []
        self._gui_ran = threading.Event()
        real = getattr(module, name)

        def watched(*args, **kwargs):  # runs only once the GUI thread has handled an event
            self.threads.append(threading.current_thread())
            assert self._gui_ran.wait(30), f"the GUI thread was blocked while {what}"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)

    def started(self) -> bool:
        return bool(self.threads)

    def release(self) -> None:
        """Called by the GUI thread, while the worker waits for it."""
        self._gui_ran.set()

    def ran_off_the_gui_thread(self) -> bool:
        return bool(self.threads) and self.threads[0] is not threading.main_thread()
