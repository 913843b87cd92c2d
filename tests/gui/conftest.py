import atexit
import gc
import itertools
import os
import shutil
import tempfile

import pytest
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app keeps its settings and crash-recovery files here during tests, not in the user's;
# each process of `pytest -n N` has its own (a worker inherits the controller's environment).
_SANDBOX = tempfile.mkdtemp(prefix="netcanvas-gui-tests-")
atexit.register(shutil.rmtree, _SANDBOX, ignore_errors=True)  # its runs hold checkpoints
_set = os.environ.__setitem__ if "PYTEST_XDIST_WORKER" in os.environ else os.environ.setdefault
_set("NETCANVAS_CONFIG_DIR", os.path.join(_SANDBOX, "config"))
_set("NETCANVAS_RECOVERY_DIR", os.path.join(_SANDBOX, "recovery"))
_set("NETCANVAS_DATA_DIR", os.path.join(_SANDBOX, "data"))  # run folders


FULL_EVERY = 100  # tests between collections that also look at what earlier tests left alive
_tests = itertools.count(1)


def _collect_and_freeze(full: bool) -> None:
    """Collect the garbage, then freeze what is left (gc.freeze): the next test's collection
    looks only at the objects made since, not again at torch, Qt and the app's modules (a full
    collection over them took ~1 s per test once the session had grown). An object that
    outlived one test and became garbage later is collected by the next `full` collection,
    which unfreezes everything first."""
    if full:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


# A wait ends as soon as its condition holds; on a loaded machine (issue 21: two CPU burners
# beside the suite) a worker's result or a window's first paint can take far longer than
# pytest-qt's 5 s, so its waits give up only after this long unless a test says otherwise.
WAIT_MS = 60_000


class PatientBot(QtBot):
    """pytest-qt's bot with WAIT_MS as the default timeout of every wait."""

    def waitUntil(self, callback, *, timeout=WAIT_MS):
        return super().waitUntil(callback, timeout=timeout)

    def waitSignal(self, signal, *, timeout=WAIT_MS, **kwargs):
        return super().waitSignal(signal, timeout=timeout, **kwargs)

    def waitSignals(self, signals, *, timeout=WAIT_MS, **kwargs):
        return super().waitSignals(signals, timeout=timeout, **kwargs)

    def waitExposed(self, widget, *, timeout=WAIT_MS):
        return super().waitExposed(widget, timeout=timeout)

    def waitActive(self, widget, *, timeout=WAIT_MS):
        return super().waitActive(widget, timeout=timeout)

    def waitCallback(self, *, timeout=WAIT_MS, raising=None):
        return super().waitCallback(timeout=timeout, raising=raising)


@pytest.fixture
def qtbot(qapp, request):
    return PatientBot(request)


@pytest.fixture(autouse=True, scope="session")
def _cycles_collected_on_the_gui_thread(qapp):
    """As the app does (app/gui_gc.py): no collection on a worker thread."""
    from netcanvas.app.gui_gc import collect_on_gui_thread

    collect_on_gui_thread()
    _collect_and_freeze(full=True)


@pytest.fixture(autouse=True)
def _deletions_done_at_the_end_of_each_test(qapp):
    """The deletions a test asked for (its windows' deleteLater) happen here, on the GUI
    thread, and the garbage is collected here too: no Qt object of one test is left for
    Python's collector to destroy later on a worker thread while another test runs (that
    deadlocked the suite once, issue 21 item 11). Windows are deleted by the fixtures that
    made them; deleting every top-level here crashed pyqtgraph views that outlive them."""
    yield
    from netcanvas.app.main_window import abandon
    from PySide6.QtCore import QCoreApplication, QEvent, QThread
    from PySide6.QtWidgets import QApplication

    # A worker still busy when its widget goes (a test that builds a tab without the main
    # window's close path) is left to end on its own, as the window's close does: a QThread
    # deleted with its widget while running aborts the process.
    abandon([thread for top in QApplication.topLevelWidgets()
             for thread in top.findChildren(QThread) if thread.isRunning()])
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()
    _collect_and_freeze(full=next(_tests) % FULL_EVERY == 0)
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
