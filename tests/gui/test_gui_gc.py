"""Cycles are collected on the GUI thread, never on a worker that happens to allocate
(issue 21, item 11: a worker's collection destroyed a dead menu and deadlocked with the GUI)."""

import gc
import threading

from netcanvas.app.gui_gc import collect_on_gui_thread


class _Cycle:
    def __init__(self, seen: list) -> None:
        self.me, self.seen = self, seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread() is threading.main_thread())


def test_a_worker_that_allocates_never_collects_cycles(qtbot):
    collect_on_gui_thread()
    assert not gc.isenabled()
    seen: list[bool] = []
    kept: list = []

    def work() -> None:
        for _ in range(200):
            _Cycle(seen)
        kept.append([[] for _ in range(200_000)])  # far past every generation's threshold

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen == []  # nothing was collected on the worker
    qtbot.waitUntil(lambda: len(seen) == 200, timeout=10_000)  # the GUI thread's timer
    assert all(seen)


def test_a_tests_collection_walks_only_what_the_earlier_tests_left(qtbot):
    """tests/gui/conftest.py collects at each test's end, then freezes what is left: the next
    collection walks the objects made since, not torch's, Qt's and the app's again (a full
    walk took ~1 s per test once the session had grown)."""
    collect_on_gui_thread()
    assert gc.get_freeze_count() > 0
    assert len(gc.get_objects()) < gc.get_freeze_count()
